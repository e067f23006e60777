"""The sampling names mean the same everywhere: one range per name (muselab.sampling), each domain its defaults."""

import pytest
from pydantic import ValidationError

from muselab.music.recipe import ContinueRecipe, MelodyRecipe
from muselab.text.recipe import WriteRecipe
from muselab.training.recipe import SampleRecipe

RECIPES = {
    "text": lambda **kw: WriteRecipe(form="free", prompt="x", **kw),
    "music": lambda **kw: MelodyRecipe(**kw),
    "music continue": lambda **kw: ContinueRecipe(primer_work_id="w", **kw),
    "training": lambda **kw: SampleRecipe(model_work_id="m", **kw),
}


@pytest.mark.parametrize("domain", RECIPES)
def test_every_domain_takes_the_same_ranges(domain, data_dir):
    make = RECIPES[domain]
    edges = make(temperature=0, top_k=1000)
    assert edges.temperature == 0 and edges.top_k == 1000
    assert make(temperature=5).temperature == 5
    for bad in ({"temperature": -0.1}, {"temperature": 5.1}, {"top_k": -1}, {"n": 0}, {"n": 33}):
        with pytest.raises(ValidationError) as e:
            make(**bad)
        assert next(iter(bad)) in str(e.value)


def test_schemas_share_the_help_text(data_dir):
    helps = {WriteRecipe.model_fields["temperature"].description, SampleRecipe.model_fields["temperature"].description}
    assert len(helps) == 1 and "0 always picks the likeliest" in helps.pop()


def test_domains_narrow_only_where_their_engine_must(data_dir):
    with pytest.raises(ValidationError, match="less than or equal to 8"):
        WriteRecipe(form="free", prompt="x", n=9)  # llama.cpp writes at most 8 sequences together
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        SampleRecipe(model_work_id="m", top_k=0)  # the trained-model sampler spells "no limit" None
    assert SampleRecipe(model_work_id="m", n=32).n == 32 and MelodyRecipe(n=32).n == 32

