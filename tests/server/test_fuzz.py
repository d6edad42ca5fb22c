"""Bad input never gets a 5xx: a bounded schemathesis run over every route in /openapi.json.

For each operation, schemathesis generates schema-valid and schema-violating requests
(hypothesis, a fixed number of examples each) and sends them over HTTP to the real server,
with an organizer token for organizer routes and a device token for device routes. Every
answer must be below 500, and every 4xx must be the JSON ``{"error", "message"}`` shape.
Runs on SQLite and PostgreSQL (where NUL bytes and integer overflow would otherwise be 500s).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.generation import GenerationMode  # noqa: E402

EXAMPLES = 5  # per operation and mode: ~40 operations x 2 modes x 5 = ~400 requests


def test_no_route_answers_5xx_to_generated_input(srv, demo):
    schema = schemathesis.openapi.from_url(srv.url + "/openapi.json")
    device = srv.pair(srv.pairing_code(demo["event"]["id"], "Main"), "fuzz-door")
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 30
    problems: list[str] = []
    for op in operations:
        _fuzz(srv, op, device["token"], problems)
    assert problems == []


def _fuzz(srv, op, device_token: str, problems: list[str]) -> None:
    token = device_token if op.path.startswith("/v1/device") else srv.organizer_token
    strategy = st.one_of(
        op.as_strategy(generation_mode=GenerationMode.POSITIVE),
        op.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=EXAMPLES * 2,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case):
        response = case.call(
            base_url=srv.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        where = f"{case.method} {case.formatted_path}"
        if response.status_code >= 500:
            problems.append(f"{where} -> {response.status_code}: {response.text[:200]}")
        elif response.status_code >= 400:
            body = response.json()
            if set(body) != {"error", "message"}:
                problems.append(f"{where} -> {response.status_code} not JSON error: {body}")

    check()
