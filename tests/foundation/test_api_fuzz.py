"""A bounded schema-driven fuzz of the whole HTTP API (schemathesis): no request may get a server error.

Stateless: every operation, with generated (mostly wrong) inputs and, half the time, real ids from a
seeded library so the handlers run past their 404s. Stateful: schemathesis chains operations through the
links it infers (list works -> get, tag, star, delete one...). Slow: run with `pytest -m slow`."""

from __future__ import annotations

import hashlib

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402

pytestmark = pytest.mark.slow

# Generating text with the bundled language model takes seconds a call; its input checks are fuzzed
# through /v1/write and /v1/jobs (which only queue: no workers run here).
SKIP_PATHS = r"^/v1/(chat/)?completions$"
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """An app over a library with real Works, a board and a finished job, and their ids."""
    from muselab.api.app import create_app
    from muselab.config import Settings
    from muselab.library.store import NewWork
    from muselab.studio import Studio

    studio = Studio(Settings(data_dir=tmp_path_factory.mktemp("fuzz"), allowed_hosts=["testserver"]))
    text = studio.library.add(NewWork(kind="text", media_type="text/plain", data=b"autumn wind", title="poem",
                                      task="demo.text", recipe={"prompt": "x", "seed": 1}))
    image = studio.library.add(NewWork(kind="image", media_type="image/png", data=_png(), title="picture"))
    studio.library.add_to_board("best", [text.id])
    job, _ = studio.submit("demo.text", {"prompt": "x", "steps": 1, "step_seconds": 0})
    studio.run_here(job.id)
    app = create_app(studio, start_workers=False)
    ids = {"work_id": [text.id, image.id], "job_id": [job.id], "board": ["best"]}
    yield app, ids
    studio.close()


@pytest.fixture(scope="module")
def api_schema(seeded):
    app, _ = seeded
    return schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex=SKIP_PATHS)


def test_no_operation_gives_a_server_error(api_schema, seeded):
    _, ids = seeded
    calls = []

    def check(case):
        for name, value in list((case.path_parameters or {}).items()):
            choice = int(hashlib.sha256(repr(value).encode()).hexdigest(), 16)
            if name in ids and choice % 2:  # half the time a real id, so the handler runs past its lookup
                case.path_parameters[name] = ids[name][choice % len(ids[name])]
        response = case.call()
        calls.append(response.status_code)
        assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} " \
                                            f"{response.text[:500]}"

    operations = [result.ok() for result in api_schema.get_all_operations()]
    for operation in operations:
        FUZZ(given(case=operation.as_strategy())(check))()
    assert len(operations) > 30 and len(calls) > 10 * len(operations), "the fuzz really ran"


def test_stateful_sequences_give_no_server_error(api_schema):
    workflow = api_schema.as_state_machine()

    class NoServerErrors(workflow):
        def validate_response(self, response, case, **kwargs):
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:500]}"

    NoServerErrors.run(settings=settings(max_examples=40, stateful_step_count=8, deadline=None,
                                         suppress_health_check=list(HealthCheck), derandomize=True))


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 40, 40)).save(buf, format="PNG")
    return buf.getvalue()
