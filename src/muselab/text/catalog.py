"""What the writing studio offers, for every face to show: its forms and its language models."""

from __future__ import annotations

from pathlib import Path

from muselab.errors import InvalidInput
from muselab.library.store import Library, WorkFilter


def forms() -> list[dict]:
    """The built-in forms and the user's own, as shown to people."""
    from muselab.text.forms import FormError, load_forms

    try:
        return [f.public() for f in load_forms().values()]
    except FormError as e:
        raise InvalidInput(str(e), "form") from None


def language_models(models_dir: Path, library: Library) -> list[dict]:
    """Bundled models, the user's GGUF files and remote servers, and the models trained in this studio
    (library Works; they write in 'complete' mode)."""
    from muselab.models import Registry
    from muselab.text.backends.trained import MEDIA_TYPE, trained_info

    found = [m.public() for m in Registry(models_dir).list()]
    works, _ = library.list(WorkFilter(kind="model", limit=100))
    for work in works:
        if work.media_type == MEDIA_TYPE:
            found.append(trained_info({"id": work.id, "title": work.title, "meta": work.meta}).public())
    return found


def sampling_defaults() -> dict[str, dict]:
    """Each sampling control with its default, help text and range (the page builds its controls from these)."""
    from muselab.text.sampling import SamplingFields

    schema = SamplingFields.model_json_schema()["properties"]
    limits = {"min": ("minimum", "exclusiveMinimum"), "max": ("maximum", "exclusiveMaximum")}
    return {name: {"default": f.default if name != "stop" else [], "help": f.description,
                   **{end: schema[name][key] for end, keys in limits.items() for key in keys if key in schema[name]}}
            for name, f in SamplingFields.model_fields.items()}
