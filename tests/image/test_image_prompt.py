import pytest

from muselab.image.prompt_rules import plan_from_prompt
from muselab.image.recipe import PaintRecipe

CASES = [
    # prompt, generator, palette, extra expectations
    ("水墨山水，云雾缭绕", "inkwash", "shanshui", {"features": ["mist"]}),
    ("an ink wash painting of misty mountains", "inkwash", "shanshui", {"features": ["mist"]}),
    ("日落时分的大海与群山", "landscape", "sunset", {"features": ["sun", "sea"]}),
    ("sunset over the sea with mountains", "landscape", "sunset", {"features": ["sun", "sea"]}),
    ("青花瓷云纹纹样", "pattern", "qinghua", {"motif": "cloud"}),
    ("a seamless lattice window pattern, porcelain blue and white", "pattern", "qinghua", {"motif": "lattice"}),
    ("青海波图案", "pattern", "qinghua", {"motif": "waves", "features": []}),
    ("包豪斯几何构成，鲜艳", "bauhaus", "bauhaus", {"mood": "vivid"}),
    ("bauhaus geometric shapes, minimal", "bauhaus", "bauhaus", {"composition": "sparse"}),
    ("霓虹流动的漩涡", "flow", "neon", {}),
    ("a calm flow field like ocean currents", "flow", "ocean", {"mood": "calm"}),
    ("梦幻的渐变背景，马卡龙色", "gradient", "pastel", {"mood": "dreamy"}),
    ('春节海报 "新年快乐"', "poster", "zhuhong", {"title": "新年快乐", "features": []}),
    ("poster for a jazz night “Blue Notes”", "poster", "night", {"title": "Blue Notes"}),
    ("敦煌壁画色的几何图形", "bauhaus", "dunhuang", {}),
    ("月夜江南水乡，水墨", "inkwash", "jiangnan", {"features": ["moon", "sea"]}),
]


@pytest.mark.parametrize("prompt,generator,palette,extra", CASES)
def test_prompt_selects_generator_and_palette(prompt, generator, palette, extra):
    r = PaintRecipe(prompt=prompt)
    assert (r.generator, r.palette) == (generator, palette), plan_from_prompt(prompt)
    for field, value in extra.items():
        assert getattr(r, field) == value, (field, getattr(r, field))


def test_every_choice_is_written_into_the_recipe_and_explicit_fields_win():
    r = PaintRecipe(prompt="水墨山水")
    dumped = r.model_dump()
    assert "auto" not in (
        dumped["generator"],
        dumped["palette"],
        dumped["mood"],
        dumped["composition"],
        dumped["motif"],
    )
    assert PaintRecipe.model_validate(dumped) == r  # a stored recipe validates to itself
    r2 = PaintRecipe(prompt="水墨山水", generator="flow", palette="neon", features=[])
    assert (r2.generator, r2.palette, r2.features) == ("flow", "neon", [])


def test_empty_prompt_has_sensible_defaults():
    r = PaintRecipe()
    assert r.generator == "gradient" and r.palette == "pastel" and r.mood == "natural"


def test_english_words_match_whole_words_only():
    # "seal" must not fire inside "sealion"; "sea" not inside "season"
    plan = plan_from_prompt("a season of sealions")
    assert "sea" not in plan["features"] and "seal" not in plan["features"]
