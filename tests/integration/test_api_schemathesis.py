"""schemathesis against /api/v1/openapi.json on a live server with the demo data: every operation, with data the
description allows and data it forbids, must answer as the description says (status, media type, body shape,
headers) and never fail on the server.  Runs once, in the SQLite pass (its site has its own SQLite file)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a development extra")
from hypothesis import HealthCheck, settings  # noqa: E402

from tests.live_demo import serve_demo  # noqa: E402


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgres"):
        pytest.skip("the live API site has its own SQLite database; it runs once, in the SQLite pass")
    # The rate limit is tested on its own (test_api.py); here it would only cut the generated requests short.
    with serve_demo(tmp_path_factory.mktemp("api"), RATELIMIT_ENABLED=False) as base:
        yield base


@pytest.fixture(scope="module")
def api_schema(live_api: str):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_url(f"{live_api}/api/v1/openapi.json")


MODES = ("positive", "negative")


def test_the_api_answers_as_its_openapi_description_says(api_schema) -> None:  # type: ignore[no-untyped-def]
    """Every operation, in both generation modes, with every default check; all failures reported together."""
    from hypothesis import given
    from schemathesis import GenerationMode

    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 12, [op.label for op in operations]
    for operation in operations:
        has_parameters = bool(operation.definition.raw.get("parameters"))
        for mode in MODES if has_parameters else MODES[:1]:  # nothing to make invalid without parameters
            @given(case=operation.as_strategy(generation_mode=GenerationMode(mode)))
            @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def run(case) -> None:  # type: ignore[no-untyped-def]
                case.call_and_validate()

            try:
                run()
            except Exception as exc:  # noqa: BLE001 - collected, then reported together below
                failures.append(f"{operation.label} ({mode}): {exc}")
    assert not failures, "\n\n".join(failures)
