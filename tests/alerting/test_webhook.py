"""The webhook channel against a real HTTPS server on 127.0.0.1 (generic, Teams and Slack payloads)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sectool.alerting.config import WebhookOptions
from sectool.alerting.transport import ChannelError
from sectool.alerting.webhook import WebhookSender, build_payload
from sectool.errors import InputError
from sectool.traffic.detect.findings import Finding

from .conftest import sample_findings
from .receivers import HttpReceiver, Pki, free_port

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


@pytest.fixture
def https(pki: Pki) -> Iterator[HttpReceiver]:
    server = HttpReceiver(tls=pki.server_context()).start()
    yield server
    server.stop()


def _sender(url: str, pki: Pki, ca: str | None = None, **kw: object) -> WebhookSender:
    options = WebhookOptions.model_validate({"url_env": "HOOK_URL", **kw})
    env = {"HOOK_URL": url, "SECTOOL_WEBHOOK_CA_CERT": ca or str(pki.ca_cert)}
    return WebhookSender(options, channel="teams", playbook="nightly", now=NOW, timeout=5, env=env)


def _deliver(sender: WebhookSender, findings: list[Finding]) -> list[Finding]:
    marked: list[Finding] = []
    sender.deliver(findings, marked.extend)
    return marked


def test_generic_payload_carries_every_finding_as_json(https: HttpReceiver, pki: Pki) -> None:
    findings = sample_findings()
    marked = _deliver(_sender(https.url(), pki), findings)
    assert [f.id for f in marked] == [f.id for f in findings]
    assert len(https.requests) == 1
    req = https.requests[0]
    assert req["path"] == "/hook/T0KEN-abc123"
    assert req["headers"]["Content-Type"] == "application/json; charset=utf-8"
    body = req["json"]
    assert body["source"] == "sectool"
    assert body["playbook"] == "nightly"
    assert body["sent_at"] == "2026-12-07T06:00:00Z"
    assert [d["id"] for d in body["findings"]] == [f.id for f in findings]
    assert [Finding.from_dict(d) for d in body["findings"]] == findings


def test_batches_of_max_per_message_each_marked(https: HttpReceiver, pki: Pki) -> None:
    marked = _deliver(_sender(https.url(), pki, max_per_message=4), sample_findings())
    assert len(marked) == 6
    assert [len(r["json"]["findings"]) for r in https.requests] == [4, 2]


def test_teams_adaptive_card(https: HttpReceiver, pki: Pki) -> None:
    _deliver(_sender(https.url(), pki, format="teams", lang="en"), sample_findings())
    body = https.requests[0]["json"]
    assert body["type"] == "message"
    card = body["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    content = card["content"]
    assert content["type"] == "AdaptiveCard"
    assert content["body"][0]["text"] == "sectool: 6 new finding(s) (highest: critical)"
    facts = [b for b in content["body"] if b["type"] == "FactSet"]
    assert len(facts) == 6
    ids = {f["value"] for fs in facts for f in fs["facts"] if f["title"] == "Finding id"}
    assert ids == {f.id for f in sample_findings()}
    headings = [b["text"] for b in content["body"][1:] if b["type"] == "TextBlock"]
    assert headings[0].startswith("[CRITICAL]")
    assert any('C2 <b>"channel"</b>' in h for h in headings)  # Adaptive Cards render no HTML


def test_teams_card_breaks_markdown_links_from_network_data() -> None:
    from .conftest import finding

    evil = finding(
        "c2", "high", "domain", "[click](https://evil.example)", (), title="see [here](https://x.example)"
    )
    options = WebhookOptions.model_validate({"url_env": "X", "format": "teams"})
    text = str(build_payload([evil], options, playbook="p", channel="c", now=NOW))
    assert "](" not in text
    assert "[here] (https://x.example)" in text


def test_slack_blocks_are_plain_text(https: HttpReceiver, pki: Pki) -> None:
    _deliver(_sender(https.url(), pki, format="slack", lang="da"), sample_findings())
    body = https.requests[0]["json"]
    assert body["text"] == "sectool: 6 nye fund (højeste: kritisk)"
    assert body["blocks"][0]["type"] == "header"
    sections = body["blocks"][1:]
    assert len(sections) == 6
    assert all(b["text"]["type"] == "plain_text" for b in sections)
    assert sections[0]["text"]["text"].startswith("[KRITISK]")


@pytest.mark.parametrize("fmt", ["generic", "teams", "slack"])
def test_payload_formats_are_json_serialisable_and_name_each_finding(fmt: str) -> None:
    import json

    options = WebhookOptions.model_validate({"url_env": "X", "format": fmt, "lang": "en"})
    body = build_payload(sample_findings(), options, playbook="p", channel="c", now=NOW)
    text = json.dumps(body, ensure_ascii=False)
    for f in sample_findings():
        assert f.entity.value in text


def test_server_error_is_retryable_and_names_no_secret(https: HttpReceiver, pki: Pki) -> None:
    https.fail_next = 1
    with pytest.raises(ChannelError) as info:
        _deliver(_sender(https.url(), pki), sample_findings())
    assert info.value.retryable is True
    assert str(info.value) == f"webhook https://127.0.0.1:{https.port}: HTTP 500"
    assert "T0KEN" not in str(info.value)


def test_client_error_is_not_retried(https: HttpReceiver, pki: Pki) -> None:
    https.fail_next, https.fail_status = 1, 404
    with pytest.raises(ChannelError, match="HTTP 404") as info:
        _deliver(_sender(https.url(), pki), sample_findings())
    assert info.value.retryable is False


def test_partial_failure_marks_the_batches_that_went_through(https: HttpReceiver, pki: Pki) -> None:
    sender = _sender(https.url(), pki, max_per_message=2)
    marked: list[Finding] = []
    https.fail_next = 0

    # the second POST fails: the first batch is marked, the rest is not
    original = sender._post
    calls = {"n": 0}

    def flaky(pool: object, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            https.fail_next = 1
        original(pool, data)

    sender._post = flaky  # type: ignore[method-assign]
    with pytest.raises(ChannelError):
        sender.deliver(sample_findings(), marked.extend)
    assert [f.id for f in marked] == [f.id for f in sample_findings()[:2]]


def test_untrusted_certificate(https: HttpReceiver, pki: Pki) -> None:
    with pytest.raises(ChannelError, match="TLS failed: TLS certificate not trusted: ") as info:
        _deliver(_sender(https.url(), pki, ca=str(pki.other_ca_cert)), sample_findings())
    assert info.value.retryable is False
    assert "T0KEN" not in str(info.value)
    assert https.requests == []


def test_refused_connection_is_retryable() -> None:
    port = free_port()
    options = WebhookOptions.model_validate({"url_env": "HOOK_URL"})
    sender = WebhookSender(
        options,
        channel="c",
        playbook="p",
        now=NOW,
        timeout=2,
        env={"HOOK_URL": f"http://127.0.0.1:{port}/x?k=SECRET"},
    )
    with pytest.raises(ChannelError, match="Connection refused") as info:
        sender.deliver(sample_findings(), lambda batch: None)
    assert info.value.retryable is True
    assert "SECRET" not in str(info.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (None, "environment variable HOOK_URL is not set"),
        ("", "environment variable HOOK_URL is not set"),
        ("http://hooks.example.org/x", "must be an https URL"),
        ("ftp://hooks.example.org/x", "must be an https URL"),
        ("https:///nohost", "must be an https URL"),
        ("https://[::1/x", "is not a URL"),
    ],
)
def test_bad_webhook_url(url: str | None, message: str) -> None:
    options = WebhookOptions.model_validate({"url_env": "HOOK_URL"})
    env = {} if url is None else {"HOOK_URL": url}
    with pytest.raises(InputError, match=message) as info:
        WebhookSender(options, channel="c", playbook="p", now=NOW, timeout=2, env=env)
    assert info.value.location.field == "webhook.url_env"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/x", "http://localhost/x", "http://[::1]:9/x"])
def test_plain_http_only_to_this_machine(url: str) -> None:
    options = WebhookOptions.model_validate({"url_env": "HOOK_URL"})
    sender = WebhookSender(options, channel="c", playbook="p", now=NOW, timeout=2, env={"HOOK_URL": url})
    assert sender.label.startswith("http://")
