"""A real headless Chromium (Debian's ``chromium``) drives the clinic form through Playwright.

One browser per session; each test gets a fresh context (own cookies). Screenshots and a
PDF of the printed result are written to the ``artifacts_dir`` folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import playwright.sync_api as playwright_sync
import pytest

from sectool.practice_audit.models import ClinicSize

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/install-system-deps)")
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="da-DK")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(str(e)))
    pg.problems = problems  # type: ignore[attr-defined]
    yield pg
    context.close()


def test_clinic_fills_saves_reloads_submits_and_sees_the_result(web, page, artifacts_dir: Path) -> None:
    expect = playwright_sync.expect
    clinic, token = web.invite(
        name="Lægerne i Browserby <script>alert(1)</script>", size=ClinicSize.PARTNERSHIP
    )
    questions = web.questions(ClinicSize.PARTNERSHIP)
    first, second, third = questions[:3]
    gap = next(q for q in questions if not q.must_pass and q.id not in {first.id, second.id, third.id})

    page.goto(f"{web.url}/c/{token}")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.locator(".clinic-facts .clinic-name")).to_have_text(clinic.name)  # shown as text
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
                 .filter(el => el.labels.length === 0).map(el => el.id || el.name)"""
    )
    assert unlabelled == []
    unnamed_groups = page.evaluate(
        """() => [...document.querySelectorAll('fieldset')]
                 .filter(f => !f.querySelector(':scope > legend')).length"""
    )
    assert unnamed_groups == 0
    # part of the form, through the labels (as a screen reader user would)
    page.locator(f"label[for='a-{first.id}-yes']").click()
    page.locator(f"label[for='a-{second.id}-partly']").click()
    page.get_by_label("Begrundelse eller kommentar").nth(1).fill("Delvist på plads; mangler for vikarer")
    page.locator(f"#q-{_css(second.id)} details summary").click()
    page.locator(f"#o-{_css(second.id)}").fill("Praksissekretær")
    page.locator(f"#d-{_css(second.id)}").fill("2026-06-30")
    page.locator(f"label[for='a-{third.id}-no']").click()
    page.get_by_role("button", name="Gem kladde").first.click()
    page.wait_for_url(f"**/c/{token}?saved=1*")
    expect(page.get_by_role("status")).to_contain_text("Kladden er gemt")

    page.reload()
    expect(page.locator(f"#a-{_css(first.id)}-yes")).to_be_checked()
    expect(page.locator(f"#a-{_css(second.id)}-partly")).to_be_checked()
    expect(page.locator(f"#a-{_css(third.id)}-no")).to_be_checked()
    expect(page.locator(f"#j-{_css(second.id)}")).to_have_value("Delvist på plads; mangler for vikarer")
    expect(page.locator(f"#o-{_css(second.id)}")).to_have_value("Praksissekretær")
    expect(page.locator(f"#d-{_css(second.id)}")).to_have_value("2026-06-30")
    expect(page.locator("#progress")).to_contain_text(f"3 af {len(questions)}")

    # finish: everything not yet answered is 'yes', except one gap with an owner
    for q in questions:
        if q.id in {first.id, second.id, third.id}:
            continue
        page.locator(f"#a-{_css(q.id)}-{'no' if q.id == gap.id else 'yes'}").check()
    page.get_by_role("button", name="Indsend besvarelse").click()
    page.wait_for_url(f"**/c/{token}/result*")

    submission = web.store.latest_submission(clinic.id)
    assert submission is not None
    expect(page.locator("h1")).to_have_text("Jeres resultat")
    expect(page.locator("#maturity")).to_have_text(f"Niveau {submission.result.maturity} af 5")
    expect(page.locator("#status")).to_have_text(
        {"standards_met": "Standarderne er opfyldt", "approaching": "Nærmer sig standarderne"}.get(
            submission.result.status.value, "Standarderne er ikke opfyldt"
        )
    )
    bars = page.locator("svg.bar")
    expect(bars).to_have_count(sum(1 for d in submission.result.domains if d.percent is not None))
    expect(page.locator(".plan-item")).to_have_count(len(submission.result.plan))
    expect(page.locator(".plan")).to_contain_text("Praksissekretær")
    expect(page.locator(".print-button")).to_be_visible()  # the static script ran under the CSP
    assert submission.answers.answers[second.id].action_owner == "Praksissekretær"
    page.screenshot(path=str(artifacts_dir / "practice-audit-result.png"), full_page=True)

    # print stylesheet: chrome and downloads are hidden, the bars stay
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".downloads")).to_be_hidden()
    expect(bars.first).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "practice-audit-result-print.png"), full_page=True)
    page.pdf(path=str(artifacts_dir / "practice-audit-result.pdf"), format="A4")
    page.emulate_media(media="screen")

    # download the JSON
    with page.expect_download() as info:
        page.get_by_role("link", name="JSON (data)").click()
    assert info.value.suggested_filename == f"sikkerhedstjek-{clinic.provider_number}-v1.json"
    assert page.problems == []  # no CSP violations or script errors


def test_missing_must_pass_is_listed_and_values_kept_in_the_browser(web, page, artifacts_dir: Path) -> None:
    expect = playwright_sync.expect
    _, token = web.invite(name="Mangel Klinik", size=ClinicSize.SOLO)
    questions = web.questions(ClinicSize.SOLO)
    must = [q for q in questions if q.must_pass]
    optional = next(q for q in questions if not q.must_pass)
    page.goto(f"{web.url}/c/{token}")
    page.locator(f"#a-{_css(optional.id)}-alternative").check()
    page.locator(f"#j-{_css(optional.id)}").fill("Vi har en anden løsning")
    page.locator(f"#a-{_css(must[0].id)}-yes").check()
    page.get_by_role("button", name="Indsend besvarelse").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("li")).to_have_count(len(must) - 1)
    expect(page.locator(f"#a-{_css(optional.id)}-alternative")).to_be_checked()
    expect(page.locator(f"#j-{_css(optional.id)}")).to_have_value("Vi har en anden løsning")
    expect(page.locator(f"#a-{_css(must[0].id)}-yes")).to_be_checked()
    page.screenshot(path=str(artifacts_dir / "practice-audit-missing.png"))
    # the summary links jump to the question, its text in view
    summary.locator("a").first.click()
    expect(page.locator(f"#q-{_css(must[1].id)} legend")).to_be_in_viewport()


def test_phone_layout_and_english(web, browser, artifacts_dir: Path) -> None:
    expect = playwright_sync.expect
    _, token = web.invite(name="Mobil Klinik", size=ClinicSize.SOLO)
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    page = context.new_page()
    page.goto(f"{web.url}/c/{token}")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Save draft").first).to_be_visible()
    # nothing is wider than the screen
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    page.screenshot(path=str(artifacts_dir / "practice-audit-phone.png"))
    # the choice sticks after a reload
    page.goto(f"{web.url}/c/{token}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    context.close()


def _css(ident: str) -> str:
    """Escape a question id (it contains dots) for a CSS id selector."""
    return ident.replace(".", "\\.")


def test_security_officer_signs_in_and_sees_the_clinics(web, page, artifacts_dir: Path) -> None:
    expect = playwright_sync.expect
    clinic, _ = web.invite(name="Admin Browser <b>Klinik</b>", size=ClinicSize.LARGE)
    page.goto(f"{web.url}/admin")
    page.wait_for_url("**/admin/login")
    page.get_by_label("Administratornøgle").fill(web.admin_secret)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{web.url}/admin")
    expect(page.get_by_role("heading", name="Klinikoversigt")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Admin Browser <b>Klinik</b>")).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "sectool_admin")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/admin"
    assert web.admin_secret not in page.url
    page.screenshot(path=str(artifacts_dir / "practice-audit-admin.png"), full_page=True)
    page.get_by_role("button", name="Log ud").click()
    page.wait_for_url("**/admin/login")
    assert clinic.provider_number
    assert page.problems == []
