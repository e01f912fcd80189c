"""A bounded property-based run over the whole API (schemathesis, ADR 0012).

For every operation of the OpenAPI schema, as the group office and as a unit liaison, schemathesis
generates requests — valid ones from the schema, and invalid ones (wrong types, values out of range,
missing required fields, unknown fields) — and checks each answer: never a server error, the body of
every documented answer matches its schema, and the status code is one the schema documents.

It runs on one backend (SQLite) as its own step of ``bin/test`` (``LIANFANG_FUZZ=1``), a few minutes in
all; the number of examples per operation is ``LIANFANG_FUZZ_EXAMPLES`` (default 8). A failure prints
the request that reproduces it (``curl`` form) and the check that failed.

Every example of one operation runs inside the test's transaction, so a deleted unit or a created
report is gone for the next operation: the world is the same for each.
"""

from __future__ import annotations

import json
import os

import pytest

pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.skipif(not os.environ.get("LIANFANG_FUZZ"), reason="the API fuzz run is its own step: LIANFANG_FUZZ=1"),
]

if os.environ.get("LIANFANG_FUZZ"):
    import schemathesis
    from django.core.wsgi import get_wsgi_application
    from drf_spectacular.generators import SchemaGenerator
    from hypothesis import HealthCheck, Phase, settings
    from schemathesis import checks

    from tests.fuzz.world import FUZZ_PERSONAS, build_fuzz_world

    def _load_schema():
        document = SchemaGenerator().get_schema(request=None, public=True)
        raw = json.loads(json.dumps(document, default=str))  # lazy translations to plain strings
        loaded = schemathesis.openapi.from_dict(raw)
        loaded.app = get_wsgi_application()
        return loaded

    schema = _load_schema()
    EXAMPLES = int(os.environ.get("LIANFANG_FUZZ_EXAMPLES", "8"))
    CHECKS = [
        checks.not_a_server_error,
        checks.response_schema_conformance,
        checks.status_code_conformance,
        checks.content_type_conformance,
    ]

    @pytest.fixture(scope="module")
    def fuzz_world(django_db_setup, django_db_blocker):
        from django.db import transaction

        with django_db_blocker.unblock():
            outer = transaction.atomic()
            outer.__enter__()
            try:
                yield build_fuzz_world()
            finally:
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)

    @pytest.mark.parametrize("persona", FUZZ_PERSONAS)
    @schema.parametrize()
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def test_api_operation(case, persona, fuzz_world, db):
        case.call_and_validate(
            headers={"Authorization": f"Token {fuzz_world.tokens[persona]}", "Accept-Language": "zh-hans"},
            checks=CHECKS,
        )
