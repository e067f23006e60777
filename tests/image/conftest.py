import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # helpers next to the tests (tiny_diffusers, synth)


from image_samples import make_photo, make_shapes  # noqa: E402


@pytest.fixture
def shapes_dir(tmp_path):
    return make_shapes(tmp_path / "shapes")


@pytest.fixture
def photo(tmp_path):
    return make_photo(tmp_path / "photo.png")
