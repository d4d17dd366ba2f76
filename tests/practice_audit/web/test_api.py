"""The JSON API over real HTTP: clinic and admin operations, isolation, errors, OpenAPI."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
import pytest

from sectool.practice_audit.models import MAX_JUSTIFICATION, ClinicSize


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def all_yes(web, size: ClinicSize = ClinicSize.PARTNERSHIP) -> dict:
    return {"answers": {q.id: {"value": "yes"} for q in web.questions(size)}}


def test_questions_for_a_size(web, http: httpx.Client) -> None:
    r = http.get("/api/v1/questions", params={"size": "solo"})
    assert r.status_code == 200
    data = r.json()
    assert data["bank_version"] == web.store.bank.version
    assert [q["id"] for q in data["questions"]] == [q.id for q in web.questions(ClinicSize.SOLO)]
    assert {"da", "en"} <= set(data["questions"][0]["text"])
    assert len(http.get("/api/v1/questions").json()["questions"]) == len(web.store.bank.questions)
    assert http.get("/api/v1/questions", params={"size": "huge"}).status_code == 422


def test_draft_round_trip_and_submit(web, http: httpx.Client) -> None:
    clinic, token = web.invite()
    qs = web.questions()
    assert http.get("/api/v1/clinic/draft", headers=bearer(token)).json()["exists"] is False
    draft = {"answers": {qs[0].id: {"value": "partly", "action_owner": "Læge A", "action_due": "2026-05-01"}}}
    r = http.put("/api/v1/clinic/draft", json=draft, headers=bearer(token))
    assert r.status_code == 200
    body = r.json()
    assert body["exists"] is True
    missing = {p["question_id"] for p in body["problems"] if p["code"] == "unanswered_must_pass"}
    assert missing == {q.id for q in qs if q.must_pass and q.id != qs[0].id}
    got = http.get("/api/v1/clinic/draft", headers=bearer(token)).json()
    # The draft has the same flat shape as the PUT body: {"answers": {question id: answer}}.
    assert got["answers"][qs[0].id]["action_owner"] == "Læge A"
    assert set(got["answers"]) == {qs[0].id}
    # Round trip: what GET returns can be PUT back unchanged.
    again = http.put("/api/v1/clinic/draft", json={"answers": got["answers"]}, headers=bearer(token))
    assert again.json()["answers"] == got["answers"]
    # submitting the saved draft fails on the missing must-pass questions, and names them
    r = http.post("/api/v1/clinic/submit", headers=bearer(token))
    assert r.status_code == 422
    assert {p["question_id"] for p in r.json()["problems"]} == missing
    r = http.post("/api/v1/clinic/submit", json=all_yes(web), headers=bearer(token))
    assert r.status_code == 201
    sub = r.json()
    assert sub["version"] == 1
    assert sub["answers"][qs[0].id]["value"] == "yes"
    assert sub["result"]["status"] == "standards_met"
    assert sub["comparison"] is None
    assert web.store.latest_submission(clinic.id).version == 1
    result = http.get("/api/v1/clinic/result", headers=bearer(token)).json()
    assert result["result"] == sub["result"]
    listing = http.get("/api/v1/clinic/submissions", headers=bearer(token)).json()
    assert [s["version"] for s in listing] == [1]


def test_second_submission_carries_the_previous_for_comparison(web, http: httpx.Client) -> None:
    _, token = web.invite()
    first = all_yes(web)
    for q in web.questions():
        if not q.must_pass:
            first["answers"][q.id] = {"value": "no"}
    assert http.post("/api/v1/clinic/submit", json=first, headers=bearer(token)).status_code == 201
    r = http.post("/api/v1/clinic/submit", json=all_yes(web), headers=bearer(token))
    assert r.status_code == 201
    body = r.json()
    assert body["version"] == 2
    assert body["comparison"]["status_change"] in {"improved", "unchanged"}
    assert body["comparison"]["overall_change"] > 0
    assert body["comparison"]["closed_gaps"]
    v1 = http.get("/api/v1/clinic/result", params={"version": 1}, headers=bearer(token)).json()
    assert v1["version"] == 1
    assert http.get("/api/v1/clinic/result", params={"version": 5}, headers=bearer(token)).status_code == 404


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ({"no.such.question": {"value": "yes"}}, "unknown_question"),
    ],
)
def test_draft_with_impossible_answers_is_refused(web, http: httpx.Client, answers, code) -> None:
    clinic, token = web.invite()
    r = http.put("/api/v1/clinic/draft", json={"answers": answers}, headers=bearer(token))
    assert r.status_code == 422
    assert [p["code"] for p in r.json()["problems"]] == [code]
    assert web.store.get_draft(clinic.id) is None


def test_question_of_another_size_is_refused(web, http: httpx.Client) -> None:
    _, token = web.invite(size=ClinicSize.SOLO)
    other = next(q for q in web.store.bank.questions if not q.applies_to(ClinicSize.SOLO))
    r = http.put(
        "/api/v1/clinic/draft", json={"answers": {other.id: {"value": "yes"}}}, headers=bearer(token)
    )
    assert r.status_code == 422
    assert r.json()["problems"][0]["code"] == "not_for_size"


@pytest.mark.parametrize(
    "answer",
    [
        {"value": "yes", "justification": "x" * (MAX_JUSTIFICATION + 1)},
        {"value": "yes", "action_owner": "o" * 201},
        {"value": "maybe"},
        {"value": "yes", "action_due": "soon"},
        {"value": "yes", "unexpected": 1},
    ],
)
def test_invalid_answer_bodies_get_422(web, http: httpx.Client, answer) -> None:
    clinic, token = web.invite()
    q = web.questions()[0]
    r = http.put("/api/v1/clinic/draft", json={"answers": {q.id: answer}}, headers=bearer(token))
    assert r.status_code == 422
    assert r.json()["detail"]
    assert "x" * 100 not in r.text  # the refused value is not echoed back
    assert web.store.get_draft(clinic.id) is None


def test_one_clinic_token_cannot_read_or_write_another(web, http: httpx.Client) -> None:
    clinic_a, token_a = web.invite(name="API Alfa")
    clinic_b, token_b = web.invite(name="API Beta")
    q = web.questions()[0]
    secret = {"answers": {q.id: {"value": "alternative", "justification": "alfa-only"}}}
    assert http.put("/api/v1/clinic/draft", json=secret, headers=bearer(token_a)).status_code == 200
    assert http.post("/api/v1/clinic/submit", json=all_yes(web), headers=bearer(token_a)).status_code == 201
    # B sees only B
    assert http.get("/api/v1/clinic", headers=bearer(token_b)).json()["name"] == "API Beta"
    assert http.get("/api/v1/clinic/draft", headers=bearer(token_b)).json()["exists"] is False
    assert http.get("/api/v1/clinic/result", headers=bearer(token_b)).status_code == 404
    assert http.get("/api/v1/clinic/submissions", headers=bearer(token_b)).json() == []
    # B's writes land on B
    assert http.put("/api/v1/clinic/draft", json={"answers": {}}, headers=bearer(token_b)).status_code == 200
    assert web.store.get_draft(clinic_a.id) is None  # A's draft was cleared by A's submit, not touched by B
    assert len(web.store.submissions(clinic_a.id)) == 1
    assert web.store.submissions(clinic_b.id) == []
    # clinic tokens are not admin credentials
    assert http.get("/api/v1/admin/clinics", headers=bearer(token_a)).status_code == 401


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Basic abc"}, 401),
        ({"Authorization": "Bearer " + "A" * 43}, 403),
        ({"Authorization": "Bearer short"}, 403),
    ],
)
def test_clinic_api_without_a_valid_token(web, http: httpx.Client, headers, status) -> None:
    r = http.get("/api/v1/clinic/draft", headers=headers)
    assert r.status_code == status
    assert "answers" not in r.text


def test_expired_token_on_the_api_is_410(web, http: httpx.Client) -> None:
    _, token = web.invite(expires_in=timedelta(minutes=5))
    assert http.get("/api/v1/clinic", headers=bearer(token)).status_code == 200
    web.clock.advance(timedelta(minutes=6))
    r = http.get("/api/v1/clinic", headers=bearer(token))
    assert r.status_code == 410
    assert r.json()["code"] == "token_expired"


def test_admin_api_requires_the_admin_secret(web, http: httpx.Client) -> None:
    for path in ("/api/v1/admin/clinics", "/api/v1/admin/export"):
        assert http.get(path).status_code == 401
        assert http.get(path, headers=bearer("wrong-secret-wrong-secret")).status_code == 401
        assert http.get(path, headers=bearer(web.admin_secret)).status_code == 200
    r = http.post(
        "/api/v1/admin/invitations", json={"clinic_name": "x", "provider_number": "1", "size": "solo"}
    )
    assert r.status_code == 401


def test_admin_invites_lists_and_exports(web, http: httpx.Client) -> None:
    admin = bearer(web.admin_secret)
    r = http.post(
        "/api/v1/admin/invitations",
        json={
            "clinic_name": "=cmd|'/c calc'!A1",
            "provider_number": "API-777",
            "size": "large",
            "expires_in_days": 10,
        },
        headers=admin,
    )
    assert r.status_code == 201
    inv = r.json()
    assert inv["link"] == f"{web.url}/c/{inv['token']}"
    assert inv["clinic"]["size"] == "large"
    # the link works for the clinic
    assert http.get("/api/v1/clinic", headers=bearer(inv["token"])).json()["provider_number"] == "API-777"
    assert http.post(
        "/api/v1/clinic/submit", json=all_yes(web, ClinicSize.LARGE), headers=bearer(inv["token"])
    )
    clinics = http.get("/api/v1/admin/clinics", headers=admin).json()
    mine = next(c for c in clinics if c["provider_number"] == "API-777")
    assert mine["status"] == "standards_met"
    assert mine["submissions"] == 1
    rows = http.get("/api/v1/admin/export", headers=admin).json()["clinics"]
    assert next(r for r in rows if r["provider_number"] == "API-777")["status"] == "standards_met"
    text = http.get("/api/v1/admin/export", params={"format": "csv"}, headers=admin).text
    parsed = list(csv.DictReader(io.StringIO(text)))
    row = next(r for r in parsed if r["provider_number"] == "API-777")
    assert row["clinic"] == "'=cmd|'/c calc'!A1"  # formula neutralised


@pytest.mark.parametrize(
    "body",
    [
        {"clinic_name": "", "provider_number": "1", "size": "solo"},
        {"clinic_name": "x" * 201, "provider_number": "1", "size": "solo"},
        {"clinic_name": "Klinik", "provider_number": "12 34", "size": "solo"},
        {"clinic_name": "Klinik", "provider_number": "1", "size": "tiny"},
        {"clinic_name": "Klinik", "provider_number": "1", "size": "solo", "expires_in_days": 0},
    ],
)
def test_bad_invitations_are_422(web, http: httpx.Client, body) -> None:
    r = http.post("/api/v1/admin/invitations", json=body, headers=bearer(web.admin_secret))
    assert r.status_code == 422


def test_openapi_describes_the_operations(web, http: httpx.Client) -> None:
    spec = http.get("/openapi.json").json()
    paths = spec["paths"]
    for path, method in [
        ("/api/v1/questions", "get"),
        ("/api/v1/clinic/draft", "get"),
        ("/api/v1/clinic/draft", "put"),
        ("/api/v1/clinic/submit", "post"),
        ("/api/v1/clinic/result", "get"),
        ("/api/v1/admin/clinics", "get"),
        ("/api/v1/admin/export", "get"),
        ("/api/v1/admin/invitations", "post"),
    ]:
        assert method in paths[path], (path, method)
    assert not any(p.startswith("/c/") or p.startswith("/admin") for p in paths)  # HTML routes are not API
    schemes = spec["components"]["securitySchemes"]
    assert {"ClinicToken", "AdminToken"} <= set(schemes)
    assert "Answers" in spec["components"]["schemas"]
    assert http.get("/docs").status_code == 404  # no Swagger UI: it would need inline scripts


def test_admin_revokes_a_clinic_link(web, http: httpx.Client) -> None:
    clinic, token = web.invite()
    admin = bearer(web.admin_secret)
    assert http.post(f"/api/v1/admin/clinics/{clinic.id}/revoke").status_code == 401
    r = http.post(f"/api/v1/admin/clinics/{clinic.id}/revoke", headers=admin)
    assert r.status_code == 200
    assert r.json() == {"revoked": 1}
    assert http.get("/api/v1/clinic", headers=bearer(token)).status_code == 410
    assert http.post(f"/api/v1/admin/clinics/{clinic.id}/revoke", headers=admin).json() == {"revoked": 0}
    assert http.post("/api/v1/admin/clinics/999999/revoke", headers=admin).status_code == 404


def test_configured_base_url_is_used_for_invitation_links(fresh_db, start_server) -> None:
    from datetime import UTC, datetime

    from sectool.practice_audit.store import Store
    from sectool.practice_audit.web.app import create_app

    store = Store(fresh_db)
    secret = "b" * 32
    app = create_app(
        store,
        admin_secret=secret,
        now=lambda: datetime(2026, 1, 1, tzinfo=UTC),
        base_url="https://audit.example.dk/",
    )
    server = start_server(app)
    body = {"clinic_name": "Base Klinik", "provider_number": "BASE-1", "size": "solo"}
    r = httpx.post(f"{server.url}/api/v1/admin/invitations", json=body, headers=bearer(secret))
    assert r.status_code == 201
    assert r.json()["link"] == f"https://audit.example.dk/c/{r.json()['token']}"
    store.close()
