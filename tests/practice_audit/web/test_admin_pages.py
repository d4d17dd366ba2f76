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


def test_a_restart_ends_sessions_even_with_the_same_secret(fresh_db, start_server, make_web_app) -> None:
    from datetime import UTC, datetime

    from tests.practice_audit.web.conftest import Web

    store = Store(fresh_db)
    clock = lambda: datetime(2026, 1, 1, tzinfo=UTC)  # noqa: E731
    first = start_server(make_web_app(store, clock))
    with httpx.Client(base_url=first.url) as client:
        Web(first.url, store, clock).admin_login(client)  # type: ignore[arg-type]
        cookie = client.cookies.get("sectool_admin")
        assert client.get("/admin").status_code == 200
    restarted = start_server(make_web_app(store, clock))  # same store, same admin secret
    with httpx.Client(base_url=restarted.url, cookies={"sectool_admin": cookie}) as replay:
        r = replay.get("/admin")
        assert r.status_code == 303
        assert r.headers["location"].endswith("/admin/login")
    store.close()


def test_api_bearer_guesses_are_throttled_with_the_form(fresh_db, start_server, make_web_app) -> None:
    from datetime import UTC, datetime

    store = Store(fresh_db)
    server = start_server(make_web_app(store, lambda: datetime(2026, 1, 1, tzinfo=UTC)))
    good = {"Authorization": "Bearer test-admin-secret-0123456789abcdef"}
    with httpx.Client(base_url=server.url) as client:
        assert client.get("/api/v1/admin/clinics").status_code == 401  # no credentials: not a guess
        for _ in range(10):
            r = client.get(
                "/api/v1/admin/clinics", headers={"Authorization": "Bearer wrong-guess-0123456789"}
            )
            assert r.status_code == 401
        r = client.get("/api/v1/admin/clinics", headers=good)
        assert r.status_code == 429
        assert r.headers["retry-after"] == "900"
        # The form login shares the throttle: guessing on the API does not open another door.
        csrf = web_csrf(client)
        r = client.post(
            "/admin/login", data={"csrf_token": csrf, "secret": "test-admin-secret-0123456789abcdef"}
        )
        assert r.status_code == 429
    store.close()


def _invite_form(web, http: httpx.Client, **values: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    page = http.get("/admin").text
    form = {"csrf_token": web.csrf_from(page), "days": "14", **values}
    return http.post("/admin/invite", data=form)


def test_invite_form_refuses_renaming_a_clinic_without_confirmation(web, http: httpx.Client) -> None:
    web.admin_login(http)
    r = _invite_form(web, http, name="Klinik Ren", provider_number="REN-1", size="partnership")
    assert r.status_code == 201
    assert "Ingen ældre links til klinikken gælder." in r.text
    r = _invite_form(web, http, name="Klinik Omdøbt", provider_number="REN-1", size="solo")
    assert r.status_code == 409
    assert (
        "Ydernummeret REN-1 tilhører allerede Klinik Ren (Kompagniskabspraksis). "
        "Tjek ydernummeret, eller sæt kryds i &#39;Ret navn eller størrelse&#39; "
        "for at ændre klinikken til Klinik Omdøbt (Solopraksis)."
    ) in r.text
    assert 'value="Klinik Omdøbt"' in r.text
    clinic = web.store.clinic_by_provider_number("REN-1")
    assert (clinic.name, clinic.size.value) == ("Klinik Ren", "partnership")
    r = _invite_form(web, http, name="Klinik Omdøbt", provider_number="REN-1", size="solo", update="1")
    assert r.status_code == 201
    assert "Ældre links til klinikken, der stadig gælder, til de udløber: 1." in r.text
    clinic = web.store.clinic_by_provider_number("REN-1")
    assert (clinic.name, clinic.size.value) == ("Klinik Omdøbt", "solo")


def test_api_invite_refuses_a_rename_with_409(web, http: httpx.Client) -> None:
    admin = {"Authorization": f"Bearer {web.admin_secret}"}
    body = {"clinic_name": "API Ren", "provider_number": "API-REN", "size": "solo"}
    r = http.post("/api/v1/admin/invitations", json=body, headers=admin)
    assert (r.status_code, r.json()["older_links_valid"]) == (201, 0)
    r = http.post("/api/v1/admin/invitations", json={**body, "clinic_name": "API Other"}, headers=admin)
    assert r.status_code == 409
    assert "name 'API Ren' -> 'API Other'" in r.json()["detail"]
    r = http.post(
        "/api/v1/admin/invitations", json={**body, "clinic_name": "API Other", "update": True}, headers=admin
    )
    assert (r.status_code, r.json()["older_links_valid"]) == (201, 1)
