"""Tests for the Statuspage REST API emulator, driven over HTTP with aiohttp."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from sandbox.statuspage_emulator import StatuspageEmulator

KEY = "sp-emulator-key"
PAGE = "pg0emulator01"
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
async def emulator() -> AsyncIterator[StatuspageEmulator]:
    em = StatuspageEmulator()
    await em.start()
    yield em
    await em.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        yield session


async def call(
    http: aiohttp.ClientSession,
    em: StatuspageEmulator,
    method: str,
    path: str,
    body: Any = None,
    *,
    key: str | None = KEY,
    data: str | None = None,
) -> tuple[int, Any, dict[str, str]]:
    headers = {"Authorization": f"OAuth {key}"} if key is not None else {}
    url = em.api_url + path.format(page=PAGE)
    async with http.request(method, url, json=body, data=data, headers=headers) as resp:
        if resp.content_type == "application/json":
            payload: Any = await resp.json()
        else:
            payload = await resp.text()
        return resp.status, payload, dict(resp.headers)


async def create(
    http: aiohttp.ClientSession, em: StatuspageEmulator, **fields: Any
) -> dict[str, Any]:
    fields.setdefault("name", "Elevated errors")
    fields.setdefault("status", "investigating")
    status, incident, _ = await call(
        http, em, "POST", "/pages/{page}/incidents", {"incident": fields}
    )
    assert status == 201, incident
    return dict(incident)


def component_id(em: StatuspageEmulator, name: str) -> str:
    component = em.component_by_name(name)
    assert component is not None
    return str(component["id"])


# ----- auth, pages, routing ------------------------------------------------------------
async def test_auth_missing_header_returns_401(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await call(http, emulator, "GET", "/pages/{page}", key=None)
    assert (status, body) == (401, {"error": "Could not authenticate"})


async def test_auth_wrong_key_returns_401(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await call(http, emulator, "GET", "/pages/{page}", key="nope")
    assert (status, body) == (401, {"error": "Could not authenticate"})


async def test_auth_rotated_key_refuses_old_and_accepts_new(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    emulator.api_key = "sp-rotated"
    assert (await call(http, emulator, "GET", "/pages/{page}"))[0] == 401
    assert (await call(http, emulator, "GET", "/pages/{page}", key="sp-rotated"))[0] == 200


async def test_auth_api_key_query_parameter_is_accepted(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    status, _, _ = await call(http, emulator, "GET", "/pages/{page}?api_key=" + KEY, key=None)
    assert status == 200


async def test_page_known_id_returns_page_object(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    status, page, _ = await call(http, emulator, "GET", "/pages/{page}")
    assert status == 200
    assert page["id"] == PAGE
    assert page["name"] == "Emulated Status"
    assert page["subdomain"] == "emulated-status"
    assert page["time_zone"] == "Etc/UTC"
    assert ISO_MS.match(page["created_at"])


async def test_page_unknown_id_returns_404(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    for path in ("/pages/nope", "/pages/nope/components", "/pages/nope/incidents"):
        status, body, _ = await call(http, emulator, "GET", path)
        assert (status, body) == (404, {"error": "Not found"})


async def test_routing_unknown_path_or_method_returns_404(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    assert (await call(http, emulator, "GET", "/nothing/here"))[:2] == (
        404,
        {"error": "Not found"},
    )
    assert (await call(http, emulator, "DELETE", "/pages/{page}"))[0] == 404
    # Auth is checked before routing, as on the real API.
    assert (await call(http, emulator, "GET", "/nothing/here", key=None))[0] == 401


async def test_routing_head_request_is_answered_like_get(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    assert (await call(http, emulator, "HEAD", "/pages/{page}/components"))[0] == 200
    assert (await call(http, emulator, "HEAD", "/pages/nope"))[0] == 404


# ----- components ----------------------------------------------------------------------
async def test_components_list_returns_seeded_components_in_order(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    status, components, _ = await call(http, emulator, "GET", "/pages/{page}/components")
    assert status == 200
    assert [c["name"] for c in components] == ["API", "ChatGPT", "Sora"]
    first = components[0]
    assert re.fullmatch(r"[a-z0-9]{14}", first["id"])
    assert first["status"] == "operational"
    assert first["position"] == 1
    assert first["page_id"] == PAGE
    assert first["group_id"] is None
    assert first["group"] is False
    assert first["showcase"] is True
    assert first["automation_email"].startswith(f"component+{first['id']}@")


async def test_component_patch_valid_status_updates_it(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    cid = component_id(emulator, "Sora")
    path = f"/pages/{{page}}/components/{cid}"
    status, body, _ = await call(
        http, emulator, "PATCH", path, {"component": {"status": "partial_outage"}}
    )
    assert (status, body["status"]) == (200, "partial_outage")
    assert emulator.components[cid]["status"] == "partial_outage"


async def test_component_patch_bad_status_or_unknown_id_is_refused(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    cid = component_id(emulator, "API")
    bad = {"component": {"status": "on_fire"}}
    status, body, _ = await call(http, emulator, "PATCH", f"/pages/{{page}}/components/{cid}", bad)
    assert (status, body) == (422, {"error": ["Status is not included in the list"]})
    assert emulator.components[cid]["status"] == "operational"
    assert (await call(http, emulator, "PATCH", "/pages/{page}/components/zzz", bad))[0] == 404


# ----- incidents -----------------------------------------------------------------------
async def test_incident_create_with_components_returns_201_shape(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    api, sora = component_id(emulator, "API"), component_id(emulator, "Sora")
    incident = await create(
        http,
        emulator,
        name="API errors",
        status="identified",
        body="We are looking into it.",
        components={api: "major_outage", sora: "degraded_performance"},
        metadata={"warroom": {"incident_id": 42}},
        deliver_notifications=True,
    )
    assert re.fullmatch(r"[a-z0-9]{12}", incident["id"])
    assert incident["page_id"] == PAGE
    assert incident["name"] == "API errors"
    assert incident["status"] == "identified"
    assert incident["impact"] == "critical"
    assert incident["impact_override"] is None
    assert incident["metadata"] == {"warroom": {"incident_id": 42}}
    assert incident["shortlink"] == f"http://stspg.io/{incident['id']}"
    assert incident["resolved_at"] is None
    assert incident["monitoring_at"] is None
    assert incident["postmortem_body"] is None
    assert incident["postmortem_published_at"] is None
    assert ISO_MS.match(incident["created_at"])
    assert [c["id"] for c in incident["components"]] == [api, sora]
    assert [c["status"] for c in incident["components"]] == ["major_outage", "degraded_performance"]
    (update,) = incident["incident_updates"]
    assert update["incident_id"] == incident["id"]
    assert update["status"] == "identified"
    assert update["body"] == "We are looking into it."
    assert update["deliver_notifications"] is True
    assert update["custom_tweet"] is None
    assert update["affected_components"][0] == {
        "code": api,
        "name": "API",
        "old_status": "operational",
        "new_status": "major_outage",
    }
    assert emulator.components[api]["status"] == "major_outage"
    assert emulator.components[sora]["status"] == "degraded_performance"
    assert emulator.incidents[incident["id"]]["metadata"] == incident["metadata"]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ({}, "none"),
        ({"API": "operational"}, "none"),
        ({"API": "degraded_performance"}, "minor"),
        ({"API": "partial_outage", "Sora": "degraded_performance"}, "major"),
        ({"API": "major_outage"}, "critical"),
    ],
)
async def test_incident_create_impact_derived_from_worst_component_status(
    emulator: StatuspageEmulator,
    http: aiohttp.ClientSession,
    statuses: dict[str, str],
    expected: str,
) -> None:
    components = {component_id(emulator, name): s for name, s in statuses.items()}
    incident = await create(http, emulator, components=components)
    assert incident["impact"] == expected


async def test_incident_create_impact_override_wins_and_body_defaults_empty(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    api = component_id(emulator, "API")
    incident = await create(
        http, emulator, impact_override="minor", components={api: "major_outage"}
    )
    assert (incident["impact"], incident["impact_override"]) == ("minor", "minor")
    assert incident["incident_updates"][0]["body"] == ""


async def test_incident_create_component_ids_only_marks_components_affected(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    api = component_id(emulator, "API")
    incident = await create(http, emulator, component_ids=[api])
    assert [c["id"] for c in incident["components"]] == [api]
    assert emulator.components[api]["status"] == "operational"
    assert incident["incident_updates"][0]["affected_components"] == []


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"name": "x", "status": "exploding"}, "Status is not included in the list"),
        ({"name": "x", "impact_override": "apocalyptic"}, "Impact override is not included"),
        ({"name": "x", "components": {"nope": "major_outage"}}, "Components are invalid"),
        ({"name": "x", "component_ids": ["nope"]}, "Component ids are invalid"),
        ({"name": "x", "components": {"API": "on_fire"}}, "Component status is not included"),
        ({"name": "x", "metadata": ["not", "an", "object"]}, "Metadata must be a JSON object"),
        ({"status": "investigating"}, "Name can't be blank"),
        ({"name": "  "}, "Name can't be blank"),
    ],
)
async def test_incident_create_bad_values_returns_422(
    emulator: StatuspageEmulator,
    http: aiohttp.ClientSession,
    fields: dict[str, Any],
    error: str,
) -> None:
    if fields.get("components") == {"API": "on_fire"}:
        fields["components"] = {component_id(emulator, "API"): "on_fire"}
    status, body, _ = await call(
        http, emulator, "POST", "/pages/{page}/incidents", {"incident": fields}
    )
    assert status == 422
    assert body["error"][0].startswith(error)
    assert emulator.incidents == {}
    assert all(c["status"] == "operational" for c in emulator.components.values())


async def test_incident_create_malformed_or_unwrapped_body_returns_400(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    path = "/pages/{page}/incidents"
    status, body, _ = await call(http, emulator, "POST", path, data="{not json")
    assert (status, body) == (400, {"error": "Request body is not valid JSON"})
    status, body, _ = await call(http, emulator, "POST", path, {"name": "unwrapped"})
    assert (status, body) == (400, {"error": "param is missing or the value is empty: incident"})


async def test_incident_patch_status_prepends_update_newest_first(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    api = component_id(emulator, "API")
    incident = await create(http, emulator, body="Looking", components={api: "major_outage"})
    path = f"/pages/{{page}}/incidents/{incident['id']}"
    change = {"status": "monitoring", "body": "Fix deployed", "components": {api: "operational"}}
    status, patched, _ = await call(http, emulator, "PATCH", path, {"incident": change})
    assert status == 200
    assert patched["status"] == "monitoring"
    assert ISO_MS.match(patched["monitoring_at"])
    assert [u["body"] for u in patched["incident_updates"]] == ["Fix deployed", "Looking"]
    assert patched["incident_updates"][0]["affected_components"][0]["old_status"] == "major_outage"
    assert patched["impact"] == "critical"  # impact does not drop as components recover
    assert emulator.components[api]["status"] == "operational"
    _, fetched, _ = await call(http, emulator, "GET", path)
    assert fetched == patched


async def test_incident_patch_resolve_sets_resolved_at_and_default_body(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    incident = await create(http, emulator)
    path = f"/pages/{{page}}/incidents/{incident['id']}"
    status, patched, _ = await call(
        http, emulator, "PATCH", path, {"incident": {"status": "resolved"}}
    )
    assert status == 200
    assert ISO_MS.match(patched["resolved_at"])
    assert patched["incident_updates"][0]["body"] == "This incident has been resolved."
    assert patched["incident_updates"][0]["status"] == "resolved"


async def test_incident_patch_name_only_adds_no_update(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    incident = await create(http, emulator)
    path = f"/pages/{{page}}/incidents/{incident['id']}"
    _, patched, _ = await call(http, emulator, "PATCH", path, {"incident": {"name": "Renamed"}})
    assert patched["name"] == "Renamed"
    assert len(patched["incident_updates"]) == 1


async def test_incident_patch_unknown_id_or_bad_value_is_refused(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    body = {"incident": {"status": "resolved"}}
    status, _, _ = await call(http, emulator, "PATCH", "/pages/{page}/incidents/zzz", body)
    assert status == 404
    incident = await create(http, emulator)
    path = f"/pages/{{page}}/incidents/{incident['id']}"
    bad = {"incident": {"status": "bogus", "name": "Changed"}}
    assert (await call(http, emulator, "PATCH", path, bad))[0] == 422
    assert emulator.incidents[incident["id"]]["name"] == "Elevated errors"


async def test_incidents_unresolved_lists_only_open_newest_first(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    first = await create(http, emulator, name="first")
    done = await create(http, emulator, name="done", status="resolved")
    last = await create(http, emulator, name="last")
    assert done["resolved_at"] is not None
    _, open_ones, _ = await call(http, emulator, "GET", "/pages/{page}/incidents/unresolved")
    assert [i["id"] for i in open_ones] == [last["id"], first["id"]]
    _, everything, _ = await call(http, emulator, "GET", "/pages/{page}/incidents")
    assert [i["name"] for i in everything] == ["last", "done", "first"]


async def test_incidents_list_q_and_paging_filter_results(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    for name in ("Checkout down", "Login slow", "checkout latency"):
        await create(http, emulator, name=name)
    _, found, _ = await call(http, emulator, "GET", "/pages/{page}/incidents?q=CHECKOUT")
    assert [i["name"] for i in found] == ["checkout latency", "Checkout down"]
    path = "/pages/{page}/incidents?per_page=2&page=2"
    _, second_page, _ = await call(http, emulator, "GET", path)
    assert [i["name"] for i in second_page] == ["Checkout down"]
    status, _, _ = await call(http, emulator, "GET", "/pages/{page}/incidents/zzz")
    assert status == 404


# ----- postmortems ---------------------------------------------------------------------
async def test_postmortem_draft_then_publish_sets_body_and_published_at(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    incident = await create(http, emulator, status="resolved")
    path = f"/pages/{{page}}/incidents/{incident['id']}/postmortem"
    status, _, _ = await call(http, emulator, "PUT", path + "/publish", {"postmortem": {}})
    assert status == 422  # nothing drafted yet
    draft = {"postmortem": {"body_draft": "## What happened\nA bad deploy."}}
    status, postmortem, _ = await call(http, emulator, "PUT", path, draft)
    assert (status, postmortem["body_draft"], postmortem["body"]) == (
        200,
        draft["postmortem"]["body_draft"],
        None,
    )
    publish = {
        "postmortem": {"notify_twitter": False, "notify_subscribers": False, "custom_tweet": ""}
    }
    status, published, _ = await call(http, emulator, "PUT", path + "/publish", publish)
    assert status == 200
    assert published["body"] == "## What happened\nA bad deploy."
    assert ISO_MS.match(published["published_at"])
    assert published["preview_key"]
    stored = emulator.incidents[incident["id"]]
    assert stored["postmortem_body"] == published["body"]
    assert stored["postmortem_published_at"] == published["published_at"]
    assert stored["status"] == "postmortem"


# ----- faults and rate limits ----------------------------------------------------------
async def test_fail_503_answers_html_once_then_succeeds(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    emulator.fail(503)
    status, body, headers = await call(http, emulator, "GET", "/pages/{page}")
    assert status == 503
    assert headers["Content-Type"].startswith("text/html")
    assert "unavailable" in body
    assert (await call(http, emulator, "GET", "/pages/{page}"))[0] == 200


async def test_fail_rate_limit_sends_retry_after_on_matching_requests_only(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    emulator.fail(420, method="post", path="/incidents", times=2, retry_after=7)
    assert (await call(http, emulator, "GET", "/pages/{page}/incidents"))[0] == 200
    body = {"incident": {"name": "x", "status": "investigating"}}
    for _ in range(2):
        status, error, headers = await call(http, emulator, "POST", "/pages/{page}/incidents", body)
        assert (status, error, headers["Retry-After"]) == (420, {"error": "Rate limited"}, "7")
    assert (await call(http, emulator, "POST", "/pages/{page}/incidents", body))[0] == 201


async def test_fail_custom_body_and_fifo_order_then_clear_faults(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    emulator.fail(422, body={"error": ["Custom refusal"]})
    emulator.fail(401)
    emulator.fail(500, times=5)
    assert (await call(http, emulator, "GET", "/pages/{page}"))[:2] == (
        422,
        {"error": ["Custom refusal"]},
    )
    assert (await call(http, emulator, "GET", "/pages/{page}"))[:2] == (
        401,
        {"error": "Could not authenticate"},
    )
    assert (await call(http, emulator, "GET", "/pages/{page}"))[0] == 500
    emulator.clear_faults()
    assert (await call(http, emulator, "GET", "/pages/{page}"))[0] == 200


async def test_rate_limit_per_second_excess_requests_get_420(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    emulator.rate_limit_per_second = 2
    assert (await call(http, emulator, "GET", "/pages/{page}"))[0] == 200
    assert (await call(http, emulator, "GET", "/pages/{page}"))[0] == 200
    status, body, headers = await call(http, emulator, "GET", "/pages/{page}")
    assert (status, body, headers["Retry-After"]) == (420, {"error": "Rate limited"}, "1")
    await asyncio.sleep(0.55)
    assert (await call(http, emulator, "GET", "/pages/{page}"))[0] == 200
    emulator.rate_limit_per_second = None
    statuses = {(await call(http, emulator, "GET", "/pages/{page}"))[0] for _ in range(5)}
    assert statuses == {200}


async def test_delay_slows_only_matching_requests(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    emulator.delay(0.3, method="GET", path="/components")
    started = time.monotonic()
    assert (await call(http, emulator, "GET", "/pages/{page}"))[0] == 200
    assert time.monotonic() - started < 0.25
    started = time.monotonic()
    assert (await call(http, emulator, "GET", "/pages/{page}/components"))[0] == 200
    assert time.monotonic() - started >= 0.3


async def test_delay_longer_than_client_timeout_times_out(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    emulator.delay(0.3)
    timeout = aiohttp.ClientTimeout(total=0.05)
    with pytest.raises(asyncio.TimeoutError):
        await http.get(emulator.api_url + f"/pages/{PAGE}", timeout=timeout)


# ----- request log ---------------------------------------------------------------------
async def test_requests_log_records_every_request_including_refused(
    emulator: StatuspageEmulator, http: aiohttp.ClientSession
) -> None:
    await call(http, emulator, "GET", "/pages/{page}", key="wrong")
    emulator.fail(503)
    body = {"incident": {"name": "x", "status": "investigating"}}
    await call(http, emulator, "POST", "/pages/{page}/incidents", body)
    await call(http, emulator, "POST", "/pages/{page}/incidents", body)
    await call(http, emulator, "POST", "/pages/{page}/incidents", data="garbage")
    assert emulator.requests == [
        ("GET", f"/v1/pages/{PAGE}", None),
        ("POST", f"/v1/pages/{PAGE}/incidents", body),
        ("POST", f"/v1/pages/{PAGE}/incidents", body),
        ("POST", f"/v1/pages/{PAGE}/incidents", None),
    ]


def test_emulator_before_start_has_no_base_url_but_has_components() -> None:
    em = StatuspageEmulator(components=["Web"], page_id="pgX", page_name="Acme")
    with pytest.raises(RuntimeError):
        _ = em.base_url
    assert [c["name"] for c in em.components.values()] == ["Web"]
    assert em.component_by_name("nope") is None
