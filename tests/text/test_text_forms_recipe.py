"""Forms (built-in and the user's own files) and the write recipe's validation."""

import json

import pytest
from pydantic import ValidationError

from muselab.engines import get_task
from muselab.text.forms import FormError, get_form, load_forms
from muselab.text.recipe import WriteRecipe, detect_language

BUILTIN = {"free", "story", "poem", "classical_poem", "lyrics", "script", "ad_copy", "slogan", "news", "product",
           "summary", "continue", "rewrite", "expand", "shorten", "tone", "translate"}


def test_all_builtin_forms_load_in_both_languages(data_dir):
    forms = load_forms()
    assert BUILTIN <= set(forms)
    for f in forms.values():
        for lang in ("en", "zh"):
            assert f.title[lang] and f.system[lang] and f.template[lang]
        values = {"prompt": "p", "text": "t"}
        assert f.render("zh", values) and f.render("en", values)


def test_optional_rows_vanish_when_empty(data_dir):
    story = get_form("story")
    en = story.render("en", {"prompt": "a cat on the moon", "genre": "", "length": "short"})
    assert "Characters:" not in en and "Idea: a cat on the moon" in en
    zh = story.render("zh", {"prompt": "猫去月球", "characters": "小白", "length": "约500字的", "genre": "科幻"})
    assert "人物：小白" in zh and "请写一篇约500字的科幻故事。" in zh


def test_user_form_file_is_picked_up_and_validated(data_dir):
    forms_dir = data_dir / "forms"
    forms_dir.mkdir()
    (forms_dir / "haiku.json").write_text(json.dumps({
        "name": "haiku", "title": {"en": "Haiku", "zh": "俳句"}, "system": {"en": "You write haiku."},
        "template": {"en": ["Write a haiku about {prompt}", "Mood: {tone}"]}, "defaults": {"temperature": 1.1},
    }), encoding="utf-8")
    form = get_form("haiku")
    assert form.source.endswith("haiku.json")
    assert form.system["zh"] == "You write haiku."  # one language serves both
    r = WriteRecipe(form="haiku", prompt="autumn rain")
    assert r.temperature == 1.1  # the form's default is recorded in the recipe

    (forms_dir / "bad.json").write_text(json.dumps({"name": "bad", "title": {"en": "B"}, "system": {"en": "s"},
                                                    "template": {"en": ["x"]}, "defaults": {"volume": 11}}))
    with pytest.raises(FormError, match="volume"):
        load_forms()


def test_recipe_defaults_come_from_the_form_unless_given(data_dir):
    r = WriteRecipe(form="story", prompt="一只猫去月球")
    assert r.temperature == 0.9 and r.max_tokens == 700
    r = WriteRecipe(form="story", prompt="x", temperature=0.2)
    assert r.temperature == 0.2
    assert WriteRecipe(form="classical_poem", prompt="秋", poem_form="qiyan_lushi").poem_form == "七言律诗"


@pytest.mark.parametrize("fields,needle", [
    ({"form": "story", "prompt": "  "}, "prompt must not be empty"),
    ({"form": "sonnet", "prompt": "x"}, "unknown form 'sonnet'"),
    ({"form": "rewrite", "prompt": "make it nicer"}, "works on a given text"),
    ({"form": "classical_poem", "prompt": "秋", "poem_form": "sonnet"}, "unknown classical form"),
    ({"form": "story", "prompt": "x", "temperature": 6}, "temperature"),
    ({"form": "story", "prompt": "x", "n": 9}, "n"),
    ({"form": "story", "prompt": "x", "stop": [""]}, "stop strings must not be empty"),
    ({"form": "story", "prompt": "x", "colour": "red"}, "colour"),
    ({"form": "rewrite", "text": "a", "text_work_id": "w1"}, "either text or text_work_id"),
    ({"form": "rewrite", "text_work": "w1", "text_work_id": "w2"}, "former name of text_work_id"),
])
def test_bad_recipes_are_refused_with_the_field_named(data_dir, fields, needle):
    with pytest.raises(ValidationError) as e:
        WriteRecipe.model_validate(fields)
    assert needle in str(e.value)


def test_task_is_registered(data_dir):
    spec = get_task("text.generate")
    assert spec.recipe_class() is WriteRecipe
    assert callable(spec.engine_function())


def test_language_detection():
    assert detect_language("写一首关于秋天的诗") == "zh"
    assert detect_language("a poem about autumn") == "en"
    assert detect_language("Write about 长安 at night, in English please") == "en"
    assert detect_language("") == "en"


def test_recipes_kept_under_the_old_name_text_work_still_validate_restore_and_remix(data_dir, sqlite_studio, tmp_path):
    from muselab.engines import LocalContext
    from muselab.library.store import NewWork
    from muselab.text.engine import _input_text

    old = {"form": "rewrite", "text_work": "w1", "prompt": "plainer", "seed": 7}
    assert WriteRecipe.model_validate(old).text_work_id == "w1"
    assert "text_work" not in WriteRecipe.model_json_schema()["properties"]  # the schema shows only the new name
    validated = sqlite_studio.validate("text.generate", old)
    assert validated["text_work_id"] == "w1" and "text_work" not in validated and validated["seed"] == 7
    kept = sqlite_studio.library.add(NewWork(kind="text", media_type="text/plain", data=b"x", task="text.generate",
                                             recipe=old, seed=7))
    for again in (sqlite_studio.library.restore(kept.id), sqlite_studio.library.remix(kept.id)):
        assert sqlite_studio.validate(again["task"], again["recipe"])["text_work_id"] == "w1"
    draft = tmp_path / "draft.txt"
    draft.write_text("月落乌啼", encoding="utf-8")
    recipe = WriteRecipe.model_validate(old)
    assert _input_text(recipe, LocalContext(inputs={"w1": draft})) == "月落乌啼"  # the engine reads it
