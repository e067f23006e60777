"""Procedural generators, one module each; each has render(Spec) -> PIL.Image.

This file also names what the generators understand, so recipes, prompt rules and pages read the lists
from here: the generators, the compositions every generator interprets (Spec.composition), the motifs
of pattern.py and the scene features landscape.py and inkwash.py draw.
"""

from __future__ import annotations

import importlib

NAMES = ["flow", "landscape", "inkwash", "bauhaus", "pattern", "gradient", "poster"]
COMPOSITIONS = ["balanced", "centered", "thirds", "sparse", "dense"]
MOTIFS = ["cloud", "lattice", "waves", "fret", "dots"]
FEATURES = ["sun", "moon", "sea", "stars", "mist", "birds", "boat", "seal"]


def get(name: str):
    if name not in NAMES:
        raise KeyError(f"unknown generator {name!r}; accepted: {', '.join(NAMES)}")
    return importlib.import_module(f"muselab.image.generators.{name}")
