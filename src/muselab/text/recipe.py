"""What can be asked of the writing studio: one recipe for every form."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from muselab.engines import Recipe
from muselab.text.sampling import SamplingFields
from muselab.text.story import StoryProject

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

LENGTHS = {
    "short": {"en": "short (about 300 words)", "zh": "约500字的"},
    "medium": {"en": "medium-length (about 800 words)", "zh": "约1500字的"},
    "long": {"en": "long (about 1500 words)", "zh": "约3000字的"},
}


# former field name -> current one (recipes are stored with every Work and must keep validating)
RENAMED = {"text_work": "text_work_id"}


def detect_language(*texts: str | None) -> str:
    """zh when Chinese characters make up a noticeable part of the text, else en."""
    joined = "".join(t for t in texts if t)
    if not joined:
        return "en"
    han = len(CJK.findall(joined))
    letters = sum(1 for ch in joined if ch.isalpha())
    return "zh" if han and han >= 0.2 * max(1, letters) else "en"


class WriteRecipe(SamplingFields, Recipe):
    """Everything that determines a piece of writing, seed included."""

    form: str = Field(default="free", description="story, poem, classical_poem, lyrics, script, ad_copy, slogan, news, "
                      "product, summary, continue, rewrite, expand, shorten, tone, translate, free, or a user form.")
    prompt: str = Field(default="", max_length=20000, description="What to write: an idea, a theme, instructions.")
    text: str | None = Field(
        default=None, max_length=400000,
        description="The text to work on (continue, rewrite, expand, shorten, tone, translate, summary).")
    text_work_id: str | None = Field(default=None, max_length=200, description="Or: id of a text Work to work on.")
    language: Literal["auto", "zh", "en"] = Field(default="auto",
                                                  description="Language of the instructions and answer.")
    model: str | None = Field(default=None, max_length=200, description="Model name from `muselab models ls`.")
    mode: Literal["chat", "complete"] = Field(
        default="chat", description="chat: instructions to an instruct model; complete: raw continuation of the text "
        "(for base models such as gemma3-270m).")
    # form options
    genre: str = Field(default="", max_length=200)
    characters: str = Field(default="", max_length=2000)
    setting: str = Field(default="", max_length=2000)
    length: Literal["", "short", "medium", "long"] = Field(default="", description="For stories and summaries.")
    tone: str = Field(default="", max_length=200)
    style: str = Field(default="", max_length=200)
    audience: str = Field(default="", max_length=200)
    poem_form: str = Field(default="五言绝句", description="Classical form: 五言绝句, 七言绝句, 五言律诗, 七言律诗 "
                           "(or wuyan_jueju, qiyan_jueju, wuyan_lushi, qiyan_lushi).")
    target_language: Literal["", "zh", "en"] = Field(default="", description="For translate; empty = the other one.")
    # checking classical forms
    form_check: Literal["regenerate", "flag", "off"] = Field(
        default="regenerate", description="Classical poems: regenerate a candidate whose form is wrong, only flag it, "
        "or skip the check.")
    max_attempts: int = Field(default=4, ge=1, le=10, description="Tries per candidate when regenerating.")
    # story tools
    story: StoryProject | None = Field(default=None, description="Memory, author's note and lorebook for long work.")

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        """Recipes kept before a field was renamed still validate, restore and remix (under the new name)."""
        if not isinstance(data, dict):
            return data
        renamed = dict(data)
        for old, new in RENAMED.items():
            if old in renamed:
                value = renamed.pop(old)
                if renamed.get(new) not in (None, value):
                    raise ValueError(f"{old} is the former name of {new}: give only {new}")
                renamed[new] = value
        return renamed

    @model_validator(mode="before")
    @classmethod
    def _form_defaults(cls, data: Any) -> Any:
        """Fill sampling fields the user left out from the form's defaults, so the recipe records them."""
        if not isinstance(data, dict):
            return data
        from muselab.text.forms import FormError, get_form

        name = data.get("form", "free")
        if not isinstance(name, str):
            return data
        try:
            form = get_form(name)
        except FormError as e:
            raise ValueError(str(e)) from None
        data = dict(data)
        for key, value in form.defaults.items():
            if data.get(key) is None:
                data[key] = value
        return data

    @field_validator("poem_form")
    @classmethod
    def _poem_form(cls, v: str) -> str:
        from muselab.text.poem import canonical_form

        return canonical_form(v)

    @model_validator(mode="after")
    def _inputs(self) -> WriteRecipe:
        from muselab.text.forms import get_form

        form = get_form(self.form)
        has_text = bool((self.text or "").strip()) or bool(self.text_work_id)
        if self.text and self.text_work_id:
            raise ValueError("give either text or text_work_id, not both")
        if form.needs == "text" and not has_text:
            raise ValueError(f"form {self.form!r} works on a given text: set text (or text_work_id)")
        if form.needs == "prompt" and not self.prompt.strip() and not (self.mode == "complete" and has_text):
            raise ValueError(f"prompt must not be empty for form {self.form!r}: say what to write")
        if self.mode == "complete" and not has_text and not self.prompt.strip():
            raise ValueError("mode 'complete' continues a text: set text (or prompt)")
        return self
