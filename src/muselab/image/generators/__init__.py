"""Procedural generators, one module each; each has render(Spec) -> PIL.Image."""

from __future__ import annotations

import importlib

NAMES = ["flow", "landscape", "inkwash", "bauhaus", "pattern", "gradient", "poster"]


def get(name: str):
    if name not in NAMES:
        raise KeyError(f"unknown generator {name!r}; accepted: {', '.join(NAMES)}")
    return importlib.import_module(f"muselab.image.generators.{name}")
