"""The e-mail channel against a real SMTP server (aiosmtpd) on 127.0.0.1 with STARTTLS."""

from __future__ import annotations

import email
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from email.message import Message
from email.policy import default as default_policy

import pytest

from sectool.alerting.config import EmailOptions
from sectool.alerting.mail import EmailSender, build_message
from sectool.alerting.transport import ChannelError
from sectool.traffic.detect.findings import Finding

from .conftest import sample_findings
from .receivers import HOST, Pki, SmtpReceiver, free_port

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


@pytest.fixture
def smtp(pki: Pki) -> Iterator[SmtpReceiver]:
    server = SmtpReceiver(pki).start()
    yield server
    server.stop()


def _options(port: int, **kw: object) -> EmailOptions:
    data: dict[str, object] = {
        "host": HOST,
        "port": port,
        "from": "sectool@region.example",
        "to": ["soc@region.example", "cert@region.example"],
    }
    data.update(kw)
    return EmailOptions.model_validate(data)


def _env(pki: Pki, **extra: str) -> dict[str, str]:
    env = {
        "SECTOOL_SMTP_CA_CERT": str(pki.ca_cert),
        "SECTOOL_SMTP_USER": "alerts",
        "SECTOOL_SMTP_PASSWORD": "s3cret",
    }
    env.update(extra)
    return env


def _send(options: EmailOptions, env: dict[str, str], findings: Sequence[Finding]) -> list[Finding]:
    marked: list[Finding] = []
    sender = EmailSender(options, min_severity="medium", playbook="nightly", now=NOW, timeout=5, env=env)
    sender.deliver(findings, marked.extend)
    return marked


def _parts(raw: bytes) -> tuple[Message, str, str]:
    msg = email.message_from_bytes(raw, policy=default_policy)
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return msg, text, html


def test_one_message_over_starttls_with_login_in_danish_and_english(smtp: SmtpReceiver, pki: Pki) -> None:
    findings = sample_findings()
    marked = _send(_options(smtp.port), _env(pki), findings)
    assert [f.id for f in marked] == [f.id for f in findings]
    assert len(smtp.messages) == 1
    got = smtp.messages[0]
    assert got["tls"] is True  # the message only travelled after STARTTLS
    assert smtp.logins == ["alerts"]
    assert got["from"] == "sectool@region.example"
    assert got["to"] == ["soc@region.example", "cert@region.example"]
    msg, text, html = _parts(got["data"])
    assert msg["Subject"] == "[sectool] 6 nye fund (højeste: kritisk) / 6 new finding(s) (highest: critical)"
    assert msg["Auto-Submitted"] == "auto-generated"
    for f in findings:
        assert f.id in text
        assert f.id in html
    # Danish first, then English; most severe first within each.
    assert text.index("Nye fund fra sectool") < text.index("New findings from sectool")
    assert "[KRITISK]" in text
    assert "[CRITICAL]" in text
    assert "T1573 Krypteret kommandokanal (Encrypted Channel)" in text
    assert "T1573 Encrypted Channel" in text
    danish = text[: text.index("New findings from sectool")]
    assert (
        danish.index("[KRITISK]") < danish.index("[HØJ]") < danish.index("[MIDDEL]") < danish.index("[LAV]")
    )


def test_html_part_escapes_network_data(smtp: SmtpReceiver, pki: Pki) -> None:
    _send(_options(smtp.port), _env(pki), sample_findings())
    _, text, html = _parts(smtp.messages[0]["data"])
    assert '<b>"channel"</b>' not in html
    assert "&lt;b&gt;&#34;channel&#34;&lt;/b&gt;" in html
    assert '<b>"channel"</b>' in text  # plain text is not HTML: shown as written


@pytest.mark.parametrize(
    ("lang", "present", "absent"),
    [
        ("da", "nye fund", "new finding"),
        ("en", "new finding", "nye fund"),
    ],
)
def test_language_choice(lang: str, present: str, absent: str) -> None:
    msg = build_message(
        sample_findings()[:2], _options(25, lang=lang), min_severity="high", playbook="pb", now=NOW
    )
    _, text, html = _parts(msg.as_bytes())
    body = text + html
    assert present in msg["Subject"]
    assert absent not in msg["Subject"]
    assert present in body.lower()
    assert absent not in body.lower()
    assert msg["Content-Language"] == lang


def test_untrusted_certificate_is_refused_without_retry(smtp: SmtpReceiver, pki: Pki) -> None:
    env = _env(pki, SECTOOL_SMTP_CA_CERT=str(pki.other_ca_cert))
    with pytest.raises(ChannelError, match="TLS certificate not trusted") as info:
        _send(_options(smtp.port), env, sample_findings())
    assert info.value.retryable is False
    assert smtp.messages == []


def test_no_ca_variable_means_the_system_store_which_does_not_know_the_test_ca(
    smtp: SmtpReceiver, pki: Pki
) -> None:
    env = _env(pki)
    del env["SECTOOL_SMTP_CA_CERT"]
    with pytest.raises(ChannelError, match="not trusted"):
        _send(_options(smtp.port), env, sample_findings())


def test_server_without_starttls_gets_nothing(pki: Pki) -> None:
    server = SmtpReceiver(pki, starttls=False).start()
    try:
        with pytest.raises(ChannelError, match="offers no STARTTLS") as info:
            _send(_options(server.port), _env(pki), sample_findings())
        assert info.value.retryable is False
        assert server.messages == []
    finally:
        server.stop()


def test_wrong_password_is_not_retried(smtp: SmtpReceiver, pki: Pki) -> None:
    with pytest.raises(ChannelError, match="login refused") as info:
        _send(_options(smtp.port), _env(pki, SECTOOL_SMTP_PASSWORD="wrong"), sample_findings())
    assert info.value.retryable is False
    assert "wrong" not in str(info.value)


def test_user_without_password_is_a_clear_error(smtp: SmtpReceiver, pki: Pki) -> None:
    env = _env(pki)
    del env["SECTOOL_SMTP_PASSWORD"]
    with pytest.raises(ChannelError, match="SECTOOL_SMTP_USER is set but SECTOOL_SMTP_PASSWORD is not"):
        _send(_options(smtp.port), env, sample_findings())


def test_temporary_failure_is_retryable(smtp: SmtpReceiver, pki: Pki) -> None:
    smtp.temp_fail = 1
    with pytest.raises(ChannelError, match="451") as info:
        _send(_options(smtp.port), _env(pki), sample_findings())
    assert info.value.retryable is True
    marked = _send(_options(smtp.port), _env(pki), sample_findings())
    assert len(marked) == 6
    assert len(smtp.messages) == 1


def test_refused_connection_is_retryable(pki: Pki) -> None:
    with pytest.raises(ChannelError, match=f"SMTP {HOST}:\\d+: Connection refused") as info:
        _send(_options(free_port()), _env(pki), sample_findings())
    assert info.value.retryable is True


def test_missing_ca_file_names_the_variable(smtp: SmtpReceiver, pki: Pki, tmp_path: object) -> None:
    from sectool.errors import InputError

    with pytest.raises(InputError, match="SECTOOL_SMTP_CA_CERT"):
        _send(_options(smtp.port), _env(pki, SECTOOL_SMTP_CA_CERT="/nonexistent/ca.pem"), sample_findings())
