"""The security officers' HTML view: login, session cookie, list, exports, invitations."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import httpx
import pytest

from sectool.practice_audit.store import Store


def test_admin_redirects_to_login_and_exports_need_a_session(web, http: httpx.Client) -> None:
    r = http.get("/admin")
    assert r.status_code == 303
    assert r.headers["location"] == "/admin/login"
    for path in ("/admin/export.csv", "/admin/export.json", "/admin/export.csv?all_versions=true"):
        r = http.get(path)
        assert r.status_code == 303
        assert r.headers["location"] == "/admin/login"


def test_login_sets_a_strict_httponly_cookie_scoped_to_admin(web, http: httpx.Client) -> None:
    page = http.get("/admin/login")
    assert page.status_code == 200
    assert 'type="password"' in page.text
    r = http.post("/admin/login", data={"csrf_token": web.csrf_from(page.text), "secret": web.admin_secret})
    assert r.status_code == 303
    cookie = next(
        v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("sectool_admin=")
    )
    attrs = {a.strip().split("=")[0].lower() for a in cookie.split(";")}
    assert {"httponly", "path", "samesite"} <= attrs
    assert "samesite=strict" in cookie.lower()
    assert "path=/admin" in cookie.lower()
    assert web.admin_secret not in cookie
    overview = http.get("/admin")
    assert overview.status_code == 200
    assert "Klinikoversigt" in overview.text


def test_wrong_secret_and_missing_csrf(web, http: httpx.Client) -> None:
    page = http.get("/admin/login")
    r = http.post("/admin/login", data={"csrf_token": web.csrf_from(page.text), "secret": "wrong-" * 5})
    assert r.status_code == 401
    assert "Forkert nøgle" in r.text
    assert "sectool_admin" not in r.headers.get("set-cookie", "")
    r = http.post("/admin/login", data={"secret": web.admin_secret})
    assert r.status_code == 403
    assert http.get("/admin").status_code == 303


def test_secret_in_the_url_is_not_accepted(web, http: httpx.Client) -> None:
    assert (
        http.get("/admin", params={"secret": web.admin_secret, "token": web.admin_secret}).status_code == 303
    )
    assert http.get("/admin/login", params={"secret": web.admin_secret}).status_code == 200
    assert "sectool_admin" not in str(http.cookies)


def test_bearer_header_does_not_log_into_the_html_view(web, http: httpx.Client) -> None:
    r = http.get("/admin", headers={"Authorization": f"Bearer {web.admin_secret}"})
    assert r.status_code == 303


def test_forged_or_expired_session_cookie_is_refused(web, http: httpx.Client) -> None:
    web.admin_login(http)
    good = http.cookies.get("sectool_admin")
    assert good
    issued, sid, mac = good.split(".")
    for forged in (
        f"{issued}.{sid}.{'0' * len(mac)}",
        f"{int(issued) + 1}.{sid}.{mac}",
        "garbage",
        web.admin_secret,
    ):
        with httpx.Client(base_url=web.url, cookies={"sectool_admin": forged}) as other:
            assert other.get("/admin").status_code == 303, forged
    web.clock.advance(timedelta(hours=9))
    assert http.get("/admin").status_code == 303


def test_logout_revokes_the_session(web, http: httpx.Client) -> None:
    web.admin_login(http)
    cookie = http.cookies.get("sectool_admin")
    page = http.get("/admin")
    assert http.post("/admin/logout", data={}).status_code == 403  # CSRF applies to logout too
    r = http.post("/admin/logout", data={"csrf_token": web.csrf_from(page.text)})
    assert r.status_code == 303
    with httpx.Client(base_url=web.url, cookies={"sectool_admin": cookie}) as replay:
        assert replay.get("/admin").status_code == 303


def test_overview_lists_clinics_with_status_and_maturity(web, http: httpx.Client) -> None:
    clinic, _token = web.invite(name="Oversigt Klinik")
    web.store.submit(clinic.id, _all_yes(web), now=web.clock())
    web.invite(name="Aldrig Indsendt")
    web.admin_login(http)
    page = http.get("/admin?lang=en").text
    row = re.search(
        r"<tr>\s*<th scope=\"row\" class=\"clinic-name\">Oversigt Klinik</th>(.*?)</tr>", page, re.S
    )
    assert row, page
    assert "Standards met" in row.group(1)
    assert clinic.provider_number in row.group(1)
    never = re.search(r"Aldrig Indsendt</th>(.*?)</tr>", page, re.S)
    assert never
    assert "never" in never.group(1)


def _all_yes(web):
    from sectool.practice_audit.models import Answer, Answers, AnswerValue

    return Answers(answers={q.id: Answer(value=AnswerValue.YES) for q in web.questions()})


def test_exports_csv_neutralised_and_json(web, http: httpx.Client) -> None:
    clinic, _ = web.invite(name="@SUM(A1:A9) Klinik")
    web.store.submit(clinic.id, _all_yes(web), now=web.clock())
    web.admin_login(http)
    r = http.get("/admin/export.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    row = next(x for x in rows if x["provider_number"] == clinic.provider_number)
    assert row["clinic"] == "'@SUM(A1:A9) Klinik"
    assert row["status"] == "standards_met"
    envelope = http.get("/admin/export.json").json()
    assert envelope["generated_at"] == web.clock().isoformat()
    data = envelope["clinics"]
    assert (
        next(x for x in data if x["provider_number"] == clinic.provider_number)["clinic"]
        == "@SUM(A1:A9) Klinik"
    )
    history = http.get("/admin/export.json", params={"all_versions": "true"}).json()["clinics"]
    assert len(history) >= len(data)


def test_invite_through_the_form_shows_the_link_once(web, http: httpx.Client) -> None:
    web.admin_login(http)
    page = http.get("/admin").text
    form = {
        "csrf_token": web.csrf_from(page),
        "name": "Ny Klinik <i>",
        "provider_number": "FORM-1",
        "size": "solo",
        "days": "14",
    }
    r = http.post("/admin/invite", data=form)
    assert r.status_code == 201
    link = re.search(r'id="invite-link" class="link-box" readonly value="([^"]+)"', r.text)
    assert link
    assert "Ny Klinik &lt;i&gt;" in r.text
    token = link.group(1).rsplit("/c/", 1)[1]
    clinic = web.store.clinic_for_token(token, now=web.clock())
    assert clinic.name == "Ny Klinik <i>"
    assert clinic.token_expires_at == web.clock() + timedelta(days=14)
    # the token is not shown again
    assert token not in http.get("/admin").text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Kliniknavn mangler"),
        ({"name": "x" * 201}, "er for lang"),
        ({"provider_number": "12 34"}, "Ydernummeret skal være"),
        ({"size": "huge"}, "Vælg en klinikstørrelse"),
        ({"days": "0"}, "Gyldighed skal være"),
        ({"days": "abc"}, "Gyldighed skal være"),
    ],
)
def test_invite_form_errors_keep_the_values(web, http: httpx.Client, changes, message) -> None:
    web.admin_login(http)
    page = http.get("/admin").text
    form = {
        "csrf_token": web.csrf_from(page),
        "name": "Fejl Klinik",
        "provider_number": "ERR-1",
        "size": "solo",
    }
    form["days"] = "30"
    form.update(changes)
    r = http.post("/admin/invite", data=form)
    assert r.status_code == 422
    assert message in r.text
    if changes.get("name", "Fejl Klinik") == "Fejl Klinik":
        assert 'value="Fejl Klinik"' in r.text
    assert web.store.clinic_by_provider_number("ERR-1") is None


def test_invite_requires_csrf(web, http: httpx.Client) -> None:
    web.admin_login(http)
    r = http.post(
        "/admin/invite", data={"name": "X", "provider_number": "CSRF-1", "size": "solo", "days": "3"}
    )
    assert r.status_code == 403
    assert web.store.clinic_by_provider_number("CSRF-1") is None


def test_login_is_throttled_after_repeated_failures(fresh_db, start_server, make_web_app) -> None:
    from datetime import UTC, datetime

    store = Store(fresh_db)
    clock_value = datetime(2026, 1, 1, tzinfo=UTC)
    server = start_server(make_web_app(store, lambda: clock_value))
    with httpx.Client(base_url=server.url) as client:
        csrf = web_csrf(client)
        for _ in range(10):
            assert (
                client.post("/admin/login", data={"csrf_token": csrf, "secret": "nope" * 5}).status_code
                == 401
            )
        r = client.post(
            "/admin/login", data={"csrf_token": csrf, "secret": "test-admin-secret-0123456789abcdef"}
        )
        assert r.status_code == 429
        assert "For mange forkerte forsøg" in r.text
    store.close()


def web_csrf(client: httpx.Client) -> str:
    page = client.get("/admin/login").text
    match = re.search(r'name="csrf_token" value="([^"]*)"', page)
    assert match
    return match.group(1)


def test_revoking_a_link_ends_it_for_the_clinic(web, http: httpx.Client) -> None:
    clinic, token = web.invite(name="Forkert Adresse Klinik")
    web.admin_login(http)
    page = http.get("/admin").text
    assert f'action="/admin/clinics/{clinic.id}/revoke"' in page
    assert http.post(f"/admin/clinics/{clinic.id}/revoke", data={}).status_code == 403
    assert http.get(f"/c/{token}").status_code == 200
    r = http.post(f"/admin/clinics/{clinic.id}/revoke", data={"csrf_token": web.csrf_from(page)})
    assert r.status_code == 303
    assert http.get(f"/c/{token}").status_code == 410
    assert f'action="/admin/clinics/{clinic.id}/revoke"' not in http.get("/admin").text
    assert (
        http.post("/admin/clinics/999999/revoke", data={"csrf_token": web.csrf_from(page)}).status_code == 404
    )
