"""Health, OpenAPI, the clock header, and JSON errors for routes that do not exist."""

from __future__ import annotations

import time

import httpx


def test_healthz_and_openapi(srv):
    r = httpx.get(srv.url + "/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert abs(float(r.headers["X-Gatehouse-Time"]) - time.time()) < 600
    paths = httpx.get(srv.url + "/openapi.json").json()["paths"]
    for path in ("/v1/pair", "/v1/device/manifest", "/v1/device/scans", "/v1/device/feed"):
        assert path in paths


def test_unknown_route_and_method_are_json(srv):
    r = httpx.get(srv.url + "/v1/nothing-here")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = httpx.delete(srv.url + "/healthz")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"
    assert "X-Gatehouse-Time" in r.headers


def test_malformed_json_body_is_a_4xx(srv):
    r = httpx.post(
        srv.url + "/v1/events",
        content=b"{not json",
        headers={
            "Authorization": f"Bearer {srv.organizer_token}",
            "Content-Type": "application/json",
        },
    )
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"
