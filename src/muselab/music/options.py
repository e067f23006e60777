"""What the compose recipes accept, for every face to offer: tasks, keys, modes, styles, moods, instruments.

Everything here is read from the recipes (their fields and Literal types), the task list and the theory and
style tables, so a face never retypes a list that could drift from what validation accepts.
"""

from __future__ import annotations

from typing import Literal, get_args, get_origin


def _choices(annotation) -> list:
    """The values a Literal field (or a list or optional of one) accepts; [] for any other field."""
    for arg in (annotation, *get_args(annotation)):
        if get_origin(arg) is Literal:
            return list(get_args(arg))
    return []


def _limits(schema: dict) -> dict:
    """A numeric field's range from its JSON schema (an optional field keeps it in anyOf)."""
    for part in (schema, *schema.get("anyOf", [])):
        found = {key: part[name] for key, name in (("min", "minimum"), ("min", "exclusiveMinimum"),
                                                   ("max", "maximum"), ("max", "exclusiveMaximum")) if name in part}
        if found:
            return found
    return {}


def task_options(spec) -> dict:
    """One task as a form sees it: its fields with their defaults and numeric ranges, the Work it works on (if
    any) and the values of each choice field."""
    recipe = spec.recipe_class()
    fields = recipe.model_fields
    schema = recipe.model_json_schema()["properties"]
    return {
        "name": spec.name, "title": spec.title, "fields": list(fields),
        "input": next((name for name, f in fields.items() if name.endswith("work_id") and f.is_required()), None),
        "defaults": {name: f.default for name, f in fields.items() if isinstance(f.default, (int, float, str))},
        "limits": {name: found for name in fields if (found := _limits(schema[name]))},
        "choices": {name: values for name, f in fields.items() if (values := _choices(f.annotation))},
    }


def music_options() -> dict:
    from muselab.music import TASKS
    from muselab.music.recipe import AudioFormat, Generator, Renderer, TimeSignature, Variation
    from muselab.music.styles import INSTRUMENT_ALIASES, INSTRUMENTS, MOOD_ALIASES, MOODS, STYLE_ALIASES, STYLES
    from muselab.music.theory import MODE_ALIASES, MODES, NOTE_NAMES, PENTATONIC

    chinese = {mode: alias for alias, mode in MODE_ALIASES.items() if mode in PENTATONIC and len(alias) == 1}
    return {
        "tasks": [task_options(spec) for spec in TASKS],
        "keys": NOTE_NAMES,
        "modes": [{"name": m, "label": f"{m} {chinese[m]}" if m in chinese else m} for m in MODES],
        "styles": list(STYLES), "style_aliases": STYLE_ALIASES,
        "moods": list(MOODS), "mood_aliases": MOOD_ALIASES,
        "instruments": sorted(INSTRUMENTS), "instrument_aliases": INSTRUMENT_ALIASES,
        "time_signatures": list(get_args(TimeSignature)),
        "generators": list(get_args(Generator)),
        "renderers": list(get_args(Renderer)),
        "audio_formats": list(get_args(AudioFormat)),
        "variations": list(get_args(Variation)),
        "mode_aliases": MODE_ALIASES,
    }
