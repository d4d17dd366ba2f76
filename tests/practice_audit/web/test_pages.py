"""The clinic's HTML pages over real HTTP: draft, submit, result, downloads, errors."""

from __future__ import annotations

import itertools
import json
import re
from datetime import timedelta

import httpx
import pytest
from markupsafe import escape

from sectool.practice_audit.models import MAX_JUSTIFICATION, MAX_OWNER, ClinicSize, Status


def _radio_checked(page: str, qid: str, value: str) -> bool:
    tag = re.search(rf'<input type="radio" name="a:{re.escape(qid)}" id="[^"]*" value="{value}"[^>]*>', page)
    assert tag, f"no radio {qid}={value}"
    return "checked" in tag.group(0)


def test_form_renders_every_question_for_the_size_with_labels(web, http: httpx.Client) -> None:
    _, token = web.invite(size=ClinicSize.SOLO)
    page = http.get(f"/c/{token}")
    assert page.status_code == 200
    assert '<html lang="da">' in page.text
    questions = web.questions(ClinicSize.SOLO)
    others = set(q.id for q in web.store.bank.questions) - {q.id for q in questions}
    for q in questions:
        assert f'name="a:{q.id}"' in page.text
        # every input has a label pointing at it
        assert f'<label for="j-{q.id}">' in page.text
        assert f'<label for="o-{q.id}">' in page.text
        assert str(escape(q.text.da)) in page.text
    for qid in others:
        assert f'name="a:{qid}"' not in page.text
    # one fieldset with a legend per domain, one per question
    domains = {q.domain for q in questions}
    assert page.text.count('<fieldset class="domain"') == len(domains)
    assert page.text.count('<fieldset class="answer-choices"') == len(questions)


def test_must_pass_questions_do_not_offer_not_applicable(web, http: httpx.Client) -> None:
    _, token = web.invite()
    page = http.get(f"/c/{token}").text
    for q in web.questions():
        offered = f'name="a:{q.id}" id="a-{q.id}-not_applicable"' in page
        assert offered is not q.must_pass


def test_draft_is_saved_and_shown_again(web, http: httpx.Client) -> None:
    clinic, token = web.invite()
    qs = web.questions()
    csrf = web.open_form(http, token)
    form = {
        "csrf_token": csrf,
        "action": "save",
        f"a:{qs[0].id}": "partly",
        f"j:{qs[0].id}": "Vi arbejder på det\r\nlinje to",
        f"o:{qs[0].id}": "Dr. Hansen",
        f"d:{qs[0].id}": "2026-06-30",
        f"a:{qs[1].id}": "no",
    }
    r = http.post(f"/c/{token}", data=form)
    assert r.status_code == 303
    assert r.headers["location"].startswith(f"/c/{token}?saved=1")
    # a new browser session (no cookies) sees the draft through the link alone
    with httpx.Client(base_url=web.url) as other:
        page = other.get(f"/c/{token}").text
    assert _radio_checked(page, qs[0].id, "partly")
    assert _radio_checked(page, qs[1].id, "no")
    assert "Vi arbejder på det\nlinje to</textarea>" in page
    assert 'value="Dr. Hansen"' in page
    assert 'value="2026-06-30"' in page
    draft = web.store.get_draft(clinic.id)
    assert draft is not None
    assert set(draft.answers) == {qs[0].id, qs[1].id}


def test_saved_notice_after_redirect(web, http: httpx.Client) -> None:
    _, token = web.invite()
    csrf = web.open_form(http, token)
    r = http.post(f"/c/{token}", data={"csrf_token": csrf, "action": "save"}, follow_redirects=True)
    assert r.status_code == 200
    assert "Kladden er gemt" in r.text


def test_submit_with_must_pass_missing_lists_them_and_keeps_everything(web, http: httpx.Client) -> None:
    clinic, token = web.invite()
    qs = web.questions()
    must = [q for q in qs if q.must_pass]
    assert len(must) >= 2
    answered_must, missing = must[0], must[1:]
    other = next(q for q in qs if not q.must_pass)
    csrf = web.open_form(http, token)
    form = {
        "csrf_token": csrf,
        "action": "submit",
        f"a:{answered_must.id}": "yes",
        f"a:{other.id}": "alternative",
        f"j:{other.id}": "Vi bruger <b>papir</b> & lås",
        f"o:{other.id}": "Klinikchef",
    }
    r = http.post(f"/c/{token}", data=form)
    assert r.status_code == 422
    page = r.text
    summary = page[page.index('id="error-summary"') : page.index("</div>", page.index('id="error-summary"'))]
    for q in missing:
        assert f'href="#q-{q.id}"' in summary
        assert f'id="err-{q.id}"' in page
    assert f'href="#q-{answered_must.id}"' not in summary
    # everything entered is still there, escaped
    assert _radio_checked(page, answered_must.id, "yes")
    assert _radio_checked(page, other.id, "alternative")
    assert "Vi bruger &lt;b&gt;papir&lt;/b&gt; &amp; lås</textarea>" in page
    assert 'value="Klinikchef"' in page
    assert web.store.latest_submission(clinic.id) is None
    # and kept as a draft in case the clinic leaves now
    draft = web.store.get_draft(clinic.id)
    assert draft is not None
    assert draft.answers[other.id].justification == "Vi bruger <b>papir</b> & lås"


def test_alternative_without_justification_is_refused_on_submit(web, http: httpx.Client) -> None:
    clinic, token = web.invite()
    qs = web.questions()
    form = {"csrf_token": web.open_form(http, token), "action": "submit", **web.yes_to_all()}
    form[f"a:{qs[0].id}"] = "alternative"
    r = http.post(f"/c/{token}", data=form)
    assert r.status_code == 422
    assert f'id="err-{qs[0].id}"' in r.text
    assert "kræver en skriftlig begrundelse" in r.text
    assert web.store.latest_submission(clinic.id) is None


def test_submit_shows_result_with_status_maturity_bars_and_plan(web, http: httpx.Client) -> None:
    clinic, token = web.invite()
    qs = web.questions()
    gap = next(q for q in qs if not q.must_pass)
    form = {"csrf_token": web.open_form(http, token), "action": "submit", **web.yes_to_all()}
    form[f"a:{gap.id}"] = "no"
    form[f"o:{gap.id}"] = "IT-ansvarlig"
    form[f"d:{gap.id}"] = "2026-09-01"
    r = http.post(f"/c/{token}", data=form)
    assert r.status_code == 303
    assert r.headers["location"].startswith(f"/c/{token}/result")
    stored = web.store.latest_submission(clinic.id)
    assert stored is not None
    assert stored.version == 1
    assert stored.result.status is Status.STANDARDS_MET
    page = http.get(r.headers["location"]).text
    assert "Standarderne er opfyldt" in page
    assert f"Niveau {stored.result.maturity} af 5" in page
    assert f"{round(stored.result.overall_percent)} %" in page
    bars = re.findall(r'<rect class="bar-fill bar-\w+" x="0" y="0" width="(\d+)"', page)
    assert len(bars) == sum(1 for d in stored.result.domains if d.percent is not None)
    assert sorted(int(b) for b in bars) == sorted(
        round(d.percent) for d in stored.result.domains if d.percent is not None
    )
    assert str(escape(gap.recommendation.da)) in page
    assert "IT-ansvarlig" in page
    assert "2026-09-01" in page
    assert web.store.get_draft(clinic.id) is None
    # What a screen reader reads: no heading repeats the label right after it ("Status Status").
    text = " ".join(re.sub(r"<[^>]+>", " ", page.split("<main", 1)[1]).split())
    words = text.split()
    assert not [w for a, w in itertools.pairwise(words) if a == w and w.isalpha()], text


def test_second_submission_compares_with_the_first(web, http: httpx.Client) -> None:
    clinic, token = web.invite(expires_in=timedelta(days=400))
    qs = web.questions()
    first = {"csrf_token": web.open_form(http, token), "action": "submit", **web.yes_to_all()}
    nonmust = [q for q in qs if not q.must_pass]
    for q in nonmust:
        first[f"a:{q.id}"] = "no"
    assert http.post(f"/c/{token}", data=first).status_code == 303
    web.clock.advance(timedelta(days=365))
    # the form is prefilled from the first submission
    page = http.get(f"/c/{token}").text
    assert "fra jeres seneste indsendelse" in page
    assert _radio_checked(page, nonmust[0].id, "no")
    second = {"csrf_token": web.csrf_from(page), "action": "submit", **web.yes_to_all()}
    assert http.post(f"/c/{token}", data=second).status_code == 303
    result = http.get(f"/c/{token}/result").text
    assert "version 2" in result
    assert "Sammenlignet med sidste indsendelse" in result
    assert re.search(r'<td class="delta">\+\d+</td>', result)
    versions = [s.version for s in web.store.submissions(clinic.id)]
    assert versions == [1, 2]
    old = http.get(f"/c/{token}/result?v=1")
    assert old.status_code == 200
    assert "version 1" in old.text
    assert http.get(f"/c/{token}/result?v=9").status_code == 404


def test_downloads_json_and_markdown(web, http: httpx.Client) -> None:
    clinic, token = web.invite(name='Klinik =HYPERLINK("x") <script>alert(1)</script>')
    form = {"csrf_token": web.open_form(http, token), "action": "submit", **web.yes_to_all()}
    assert http.post(f"/c/{token}", data=form).status_code == 303
    r = http.get(f"/c/{token}/result.json")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert "attachment" in r.headers["content-disposition"]
    data = r.json()
    assert data["clinic"]["name"] == clinic.name
    assert data["submission"]["version"] == 1
    assert data["result"]["status"] == "standards_met"
    assert data["comparison"] is None
    assert set(data["submission"]) == {"version", "submitted_at", "size", "bank_version", "answers"}
    md = http.get(f"/c/{token}/result.md?lang=en")
    assert md.status_code == 200
    assert md.headers["content-type"].startswith("text/markdown")
    title = md.text.splitlines()[0]
    assert title.startswith("# ")
    assert "Klinik" in title
    assert "alert(1)" in title
    assert "<script>" not in md.text
    assert "Standards met" in md.text


def test_result_before_any_submission(web, http: httpx.Client) -> None:
    _, token = web.invite()
    r = http.get(f"/c/{token}/result")
    assert r.status_code == 404
    assert "ikke indsendt" in r.text
    assert http.get(f"/c/{token}/result.json").status_code == 404


@pytest.mark.parametrize(
    ("mutate", "status", "text"),
    [
        (lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), 403, "Linket er ikke gyldigt"),
        (lambda t: t[:-2], 403, "Linket er ikke gyldigt"),
        (lambda t: t + "x", 403, "Linket er ikke gyldigt"),
        (lambda t: "not-a-token", 403, "Linket er ikke gyldigt"),
        (lambda t: "%3Cscript%3E", 403, "Linket er ikke gyldigt"),
    ],
)
def test_tampered_token_gets_a_clear_page_without_data(web, http: httpx.Client, mutate, status, text) -> None:
    clinic, token = web.invite(name="Hemmelig Klinik ApS")
    for path in ("/c/{}", "/c/{}/result", "/c/{}/result.json", "/c/{}/result.md"):
        r = http.get(path.format(mutate(token)))
        assert r.status_code == status, path
        assert text in r.text
        assert "Hemmelig Klinik" not in r.text
        assert clinic.provider_number not in r.text
    r = http.post(f"/c/{mutate(token)}", data={"action": "save"})
    assert r.status_code == status


def test_expired_token_gets_410_without_data(web, http: httpx.Client) -> None:
    clinic, token = web.invite(name="Udløbet Klinik", expires_in=timedelta(hours=1))
    assert http.get(f"/c/{token}").status_code == 200
    csrf = web.open_form(http, token)
    web.clock.advance(timedelta(hours=2))
    for path in (f"/c/{token}", f"/c/{token}/result", f"/c/{token}/result.json"):
        r = http.get(path)
        assert r.status_code == 410
        assert "Linket er udløbet" in r.text
        assert "Udløbet Klinik" not in r.text
    r = http.post(f"/c/{token}", data={"csrf_token": csrf, "action": "save", **web.yes_to_all()})
    assert r.status_code == 410
    assert web.store.get_draft(clinic.id) is None
    en = http.get(f"/c/{token}?lang=en")
    assert en.status_code == 410
    assert "This link has expired" in en.text


@pytest.mark.parametrize("csrf", [None, "", "forged-value", "A" * 43, "x" * 500])
def test_post_without_valid_csrf_is_refused(web, http: httpx.Client, csrf) -> None:
    clinic, token = web.invite()
    web.open_form(http, token)  # the client has a CSRF cookie
    data = {"action": "save", **web.yes_to_all()}
    if csrf is not None:
        data["csrf_token"] = csrf
    r = http.post(f"/c/{token}", data=data)
    assert r.status_code == 403
    assert "Formularen er udløbet" in r.text
    assert web.store.get_draft(clinic.id) is None


def test_csrf_token_without_its_cookie_is_refused(web, http: httpx.Client) -> None:
    clinic, token = web.invite()
    csrf = web.open_form(http, token)
    with httpx.Client(base_url=web.url) as attacker:  # no cookie: a cross-site form post
        r = attacker.post(f"/c/{token}", data={"csrf_token": csrf, "action": "save", **web.yes_to_all()})
    assert r.status_code == 403
    assert web.store.get_draft(clinic.id) is None


def test_csrf_token_of_one_clinic_does_not_work_for_another(web, http: httpx.Client) -> None:
    _, token_a = web.invite(name="Klinik A")
    clinic_b, token_b = web.invite(name="Klinik B")
    csrf_a = web.open_form(http, token_a)
    web.open_form(http, token_b)  # same browser, same cookie nonce
    r = http.post(f"/c/{token_b}", data={"csrf_token": csrf_a, "action": "save", **web.yes_to_all()})
    assert r.status_code == 403
    assert web.store.get_draft(clinic_b.id) is None


def test_one_clinic_cannot_see_or_change_another(web, http: httpx.Client) -> None:
    clinic_a, token_a = web.invite(name="Klinik Alfa")
    clinic_b, token_b = web.invite(name="Klinik Beta")
    qs = web.questions()
    form = {"csrf_token": web.open_form(http, token_a), "action": "submit", **web.yes_to_all()}
    form[f"j:{qs[0].id}"] = "alfa-hemmelighed"
    assert http.post(f"/c/{token_a}", data=form).status_code == 303
    page_b = http.get(f"/c/{token_b}").text
    assert "Klinik Beta" in page_b
    assert "Klinik Alfa" not in page_b
    assert "alfa-hemmelighed" not in page_b
    assert http.get(f"/c/{token_b}/result").status_code == 404
    assert http.get(f"/c/{token_b}/result.json").status_code == 404
    assert http.get(f"/c/{token_b}/result?v=1").status_code == 404
    # B's own save only ever touches B
    r = http.post(
        f"/c/{token_b}", data={"csrf_token": web.csrf_from(page_b), "action": "save", **web.yes_to_all()}
    )
    assert r.status_code == 303
    assert web.store.get_draft(clinic_a.id) is None
    assert len(web.store.submissions(clinic_a.id)) == 1
    assert web.store.submissions(clinic_b.id) == []


@pytest.mark.parametrize(
    ("field", "length", "expected"),
    [
        (
            "j",
            MAX_JUSTIFICATION + 1,
            f"Begrundelsen er for lang: {MAX_JUSTIFICATION + 1} tegn, højst {MAX_JUSTIFICATION}",
        ),
        ("o", MAX_OWNER + 1, f"Ansvarlig er for lang: {MAX_OWNER + 1} tegn, højst {MAX_OWNER}"),
    ],
)
@pytest.mark.parametrize("action", ["save", "submit"])
def test_too_long_fields_are_rejected_with_a_clear_message(
    web, http: httpx.Client, field, length, expected, action
) -> None:
    clinic, token = web.invite()
    qs = web.questions()
    form = {"csrf_token": web.open_form(http, token), "action": action, **web.yes_to_all()}
    form[f"{field}:{qs[0].id}"] = "x" * length
    r = http.post(f"/c/{token}", data=form)
    assert r.status_code == 422
    assert expected in r.text
    assert "Kladden er ikke gemt" in r.text
    assert "x" * length in r.text  # kept for the clinic to shorten
    assert web.store.get_draft(clinic.id) is None
    assert web.store.latest_submission(clinic.id) is None


def test_line_breaks_count_once_like_the_browser_does(web, http: httpx.Client) -> None:
    clinic, token = web.invite()
    qs = web.questions()
    text = "ab\r\n" * (MAX_JUSTIFICATION // 3)  # 3 characters each after normalising CRLF
    form = {
        "csrf_token": web.open_form(http, token),
        "action": "save",
        f"a:{qs[0].id}": "yes",
        f"j:{qs[0].id}": text,
    }
    assert http.post(f"/c/{token}", data=form).status_code == 303
    draft = web.store.get_draft(clinic.id)
    assert draft is not None
    assert draft.answers[qs[0].id].justification == text.replace("\r\n", "\n").strip()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"a": "maybe"}, "Ugyldigt svar."),
        ({"a": "yes", "d": "31-12-2026"}, "Fristen skal være en dato"),
        ({"a": "yes", "d": "2026-02-30"}, "Fristen skal være en dato"),
        ({"j": "tekst uden svar"}, "Vælg et svar"),
    ],
)
def test_bad_field_values_are_shown_next_to_the_question(web, http: httpx.Client, extra, message) -> None:
    clinic, token = web.invite()
    q = web.questions()[0]
    form = {"csrf_token": web.open_form(http, token), "action": "save"}
    form.update({f"{k}:{q.id}": v for k, v in extra.items()})
    r = http.post(f"/c/{token}", data=form)
    assert r.status_code == 422
    err = r.text[r.text.index(f'id="err-{q.id}"') :]
    assert message in err[: err.index("</ul>")]
    assert web.store.get_draft(clinic.id) is None


def test_script_in_clinic_name_and_answers_is_shown_as_text_everywhere(web, http: httpx.Client) -> None:
    evil = '<script>alert("x")</script>'
    _clinic, token = web.invite(name=f"Klinik {evil}")
    qs = web.questions()
    gap = next(q for q in qs if not q.must_pass)
    form = {"csrf_token": web.open_form(http, token), "action": "submit", **web.yes_to_all()}
    form[f"a:{gap.id}"] = "no"
    form[f"j:{gap.id}"] = evil
    form[f"o:{gap.id}"] = evil
    assert http.post(f"/c/{token}", data=form).status_code == 303
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
    pages = [http.get(f"/c/{token}").text, http.get(f"/c/{token}/result").text]
    with httpx.Client(base_url=web.url) as admin:
        web.admin_login(admin)
        pages.append(admin.get("/admin").text)
    for page in pages:
        assert "<script>alert" not in page
        assert escaped in page
    # the only script on any page is the static file
    assert re.findall(r"<script[^>]*>", pages[1]) == ['<script src="/static/print.js" defer>']


def test_language_switch_to_english_and_back(web, http: httpx.Client) -> None:
    _, token = web.invite()
    q = web.questions()[0]
    da = http.get(f"/c/{token}").text
    assert '<html lang="da">' in da
    assert "Gem kladde" in da
    assert f'href="/c/{token}?lang=en"' in da
    en = http.get(f"/c/{token}?lang=en")
    assert en.cookies.get("sectool_lang") == "en"
    assert '<html lang="en">' in en.text
    assert "Save draft" in en.text
    assert str(escape(q.text.en)) in en.text
    # the choice sticks through the cookie, and form actions carry it for cookie-less browsers
    again = http.get(f"/c/{token}").text
    assert '<html lang="en">' in again
    assert f'action="/c/{token}?lang=en"' in again
    back = http.get(f"/c/{token}?lang=da").text
    assert '<html lang="da">' in back
    assert '<html lang="da">' in http.get(f"/c/{token}?lang=xx").text


def test_unknown_page_and_home(web, http: httpx.Client) -> None:
    r = http.get("/nope")
    assert r.status_code == 404
    assert "Siden findes ikke" in r.text
    home = http.get("/?lang=en")
    assert home.status_code == 200
    assert "through the link in their invitation" in home.text


def test_static_files_are_served(web, http: httpx.Client) -> None:
    css = http.get("/static/style.css")
    assert css.status_code == 200
    assert "@media print" in css.text
    assert http.get("/static/print.js").status_code == 200


def test_json_bodies_of_result_are_valid(web, http: httpx.Client) -> None:
    _, token = web.invite(size=ClinicSize.LARGE)
    form = {"csrf_token": web.open_form(http, token), "action": "submit", **web.yes_to_all(ClinicSize.LARGE)}
    assert http.post(f"/c/{token}", data=form).status_code == 303
    data = json.loads(http.get(f"/c/{token}/result.json").text)
    assert data["clinic"]["size"] == "large"
    assert data["result"]["questions"] == len(web.questions(ClinicSize.LARGE))


def test_missing_must_pass_with_owner_and_due_date_is_approaching(web, http: httpx.Client) -> None:
    clinic, token = web.invite()
    must = next(q for q in web.questions() if q.must_pass)
    form = {"csrf_token": web.open_form(http, token), "action": "submit", **web.yes_to_all()}
    form[f"a:{must.id}"] = "no"
    form[f"o:{must.id}"] = "Praksisejer"
    form[f"d:{must.id}"] = (web.clock().date() + timedelta(days=60)).isoformat()
    assert http.post(f"/c/{token}", data=form).status_code == 303
    stored = web.store.latest_submission(clinic.id)
    assert stored is not None
    assert stored.result.status is Status.APPROACHING
    page = http.get(f"/c/{token}/result?lang=en").text
    assert '<p class="tile-value" id="status">Approaching standards</p>' in page
    assert "Praksisejer" in page


def test_a_very_long_text_within_the_body_limit_gets_the_form_message(web, http: httpx.Client) -> None:
    _, token = web.invite()
    q = web.questions()[0]
    form = {"csrf_token": web.open_form(http, token), "action": "save", f"a:{q.id}": "yes"}
    form[f"j:{q.id}"] = "z" * (1024 * 1024 + 10)  # over Starlette's default 1 MB per field
    r = http.post(f"/c/{token}", data=form)
    assert r.status_code == 422
    assert f"Begrundelsen er for lang: {1024 * 1024 + 10} tegn" in r.text


def test_format_problems_and_missing_must_pass_are_shown_together(web, http: httpx.Client) -> None:
    clinic, token = web.invite()
    must = [q for q in web.questions() if q.must_pass]
    form = {"csrf_token": web.open_form(http, token), "action": "submit"}
    form[f"a:{must[0].id}"] = "yes"
    form[f"d:{must[0].id}"] = "not-a-date"
    r = http.post(f"/c/{token}", data=form)
    assert r.status_code == 422
    assert "Fristen skal være en dato" in r.text
    for q in must[1:]:
        assert f'id="err-{q.id}"' in r.text
    assert "Kladden er ikke gemt" in r.text
    assert web.store.get_draft(clinic.id) is None
