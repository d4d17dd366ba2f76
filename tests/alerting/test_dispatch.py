"""All channels together against real receivers: a receiver that fails and then recovers gets
exactly what it missed, nothing is sent twice, and a failing channel does not stop the others."""

from __future__ import annotations

import email
import json
from collections.abc import Iterator
from datetime import timedelta
from email.policy import default as default_policy
from pathlib import Path

import pytest

from sectool.alerting.config import AlertSettings
from sectool.alerting.dispatch import AlertDeliveryError, deliver_alerts
from sectool.errors import ServiceError

from .conftest import BASE, finding, sample_findings
from .receivers import HOST, HttpReceiver, Pki, SmtpReceiver, TcpSyslogReceiver, free_port, wait_for

NOW = BASE + timedelta(hours=12)


@pytest.fixture
def receivers(pki: Pki) -> Iterator[dict[str, object]]:
    smtp = SmtpReceiver(pki).start()
    hook = HttpReceiver(tls=pki.server_context()).start()
    syslog = TcpSyslogReceiver(tls=pki.server_context()).start()
    yield {"smtp": smtp, "hook": hook, "syslog": syslog}
    smtp.stop()
    hook.stop()
    syslog.stop()


def _settings(smtp: int, syslog: int, retries: int = 2) -> AlertSettings:
    return AlertSettings.model_validate(
        {
            "channels": [
                {
                    "name": "soc-mail",
                    "min_severity": "high",
                    "retries": retries,
                    "backoff": "1s",
                    "email": {
                        "host": HOST,
                        "port": smtp,
                        "from": "sectool@r.example",
                        "to": ["soc@r.example"],
                    },
                },
                {
                    "name": "hook",
                    "min_severity": "medium",
                    "retries": retries,
                    "backoff": "1s",
                    "max_backoff": "1500ms",
                    "webhook": {"url_env": "HOOK_URL", "max_per_message": 2},
                },
                {
                    "name": "siem",
                    "min_severity": "low",
                    "retries": retries,
                    "syslog": {"host": HOST, "port": syslog, "transport": "tls"},
                },
            ]
        }
    )


def _env(pki: Pki, hook: HttpReceiver) -> dict[str, str]:
    ca = str(pki.ca_cert)
    return {
        "SECTOOL_SMTP_CA_CERT": ca,
        "SECTOOL_SMTP_USER": "alerts",
        "SECTOOL_SMTP_PASSWORD": "s3cret",
        "SECTOOL_WEBHOOK_CA_CERT": ca,
        "SECTOOL_SYSLOG_CA_CERT": ca,
        "HOOK_URL": hook.url(),
    }


def _hook_ids(hook: HttpReceiver) -> list[str]:
    return [f["id"] for r in hook.requests for f in r["json"]["findings"]]


def _mail_ids(smtp: SmtpReceiver) -> list[list[str]]:
    out = []
    for m in smtp.messages:
        text = email.message_from_bytes(m["data"], policy=default_policy).get_body(("plain",)).get_content()  # type: ignore[union-attr]
        out.append(
            sorted(
                line.split(": ")[1] for line in text.splitlines() if line.strip().startswith("Finding id:")
            )
        )
    return out


def test_failing_receiver_recovers_and_gets_exactly_what_it_missed(
    receivers: dict[str, object], pki: Pki, tmp_path: Path
) -> None:
    smtp, hook, syslog = receivers["smtp"], receivers["hook"], receivers["syslog"]
    assert isinstance(smtp, SmtpReceiver)
    assert isinstance(hook, HttpReceiver)
    assert isinstance(syslog, TcpSyslogReceiver)
    settings = _settings(smtp.port, syslog.port)
    env = _env(pki, hook)
    findings = sample_findings()
    by_sev = {
        sev: {f.id for f in findings if f.severity in sevs}
        for sev, sevs in {
            "high": ("high", "critical"),
            "medium": ("medium", "high", "critical"),
            "low": ("low", "medium", "high", "critical"),
        }.items()
    }

    # Run 1: the webhook answers 500 to every attempt (1 + 2 retries).
    hook.fail_next = 3
    slept: list[float] = []
    with pytest.raises(AlertDeliveryError) as info:
        deliver_alerts(
            settings, findings, journal_dir=tmp_path, playbook="pb", now=NOW, env=env, sleep=slept.append
        )
    assert isinstance(info.value, ServiceError)
    message = str(info.value)
    assert message.startswith("1 alert channel(s) failed: hook: webhook https://127.0.0.1:")
    assert "HTTP 500 (5 finding(s) kept for the next run)" in message
    assert "T0KEN" not in message
    assert hook.attempts == 3
    assert slept == [1.0, 1.5]  # exponential, bounded by max_backoff
    results = {r.name: r for r in info.value.results}
    assert (results["hook"].sent, results["hook"].pending, results["hook"].attempts) == (0, 5, 3)
    # the other channels were tried and delivered
    assert _mail_ids(smtp) == [sorted(by_sev["high"])]
    assert wait_for(lambda: len(syslog.messages) == 6)
    assert (results["soc-mail"].sent, results["siem"].sent) == (4, 6)
    pending = json.loads((tmp_path / "hook.json").read_text(encoding="utf-8"))["pending"]
    assert sorted(p["id"] for p in pending) == sorted(by_sev["medium"])

    # Run 2: the webhook is back; the same findings are offered again, plus a new one.
    extra = finding(
        "exfiltration",
        "high",
        "pair",
        "10.1.1.1 -> 91.236.114.43",
        (("destination.ip", "91.236.114.43"), ("source.ip", "10.1.1.1")),
        hour=7,
    )
    results2 = {
        r.name: r
        for r in deliver_alerts(
            settings,
            [*findings, extra],
            journal_dir=tmp_path,
            playbook="pb",
            now=NOW,
            env=env,
            sleep=slept.append,
        )
    }
    assert sorted(_hook_ids(hook)) == sorted(by_sev["medium"] | {extra.id})
    assert len(_hook_ids(hook)) == len(set(_hook_ids(hook)))  # none twice
    assert _mail_ids(smtp) == [sorted(by_sev["high"]), [extra.id]]
    assert wait_for(lambda: len(syslog.messages) == 7)
    assert (results2["hook"].sent, results2["hook"].queued, results2["hook"].pending) == (6, 1, 0)
    assert (results2["soc-mail"].sent, results2["siem"].sent) == (1, 1)

    # Run 3: nothing new, nothing sent.
    results3 = deliver_alerts(
        settings, [*findings, extra], journal_dir=tmp_path, playbook="pb", now=NOW, env=env
    )
    assert [r.sent for r in results3] == [0, 0, 0]
    assert len(smtp.messages) == 2
    assert len(_hook_ids(hook)) == 6
    assert len(syslog.messages) == 7


def test_syslog_listener_down_then_up(pki: Pki, tmp_path: Path) -> None:
    port = free_port()
    settings = AlertSettings.model_validate(
        {
            "channels": [
                {
                    "name": "siem",
                    "min_severity": "low",
                    "retries": 1,
                    "backoff": "0s",
                    "syslog": {"host": HOST, "port": port, "transport": "tcp"},
                }
            ]
        }
    )
    findings = sample_findings()
    with pytest.raises(
        AlertDeliveryError, match=r"siem: syslog tcp://127.0.0.1:\d+: Connection refused \(6 finding"
    ):
        deliver_alerts(settings, findings, journal_dir=tmp_path, playbook="pb", now=NOW, env={})
    server = TcpSyslogReceiver(port=port).start()
    try:
        deliver_alerts(settings, findings, journal_dir=tmp_path, playbook="pb", now=NOW, env={})
        assert wait_for(lambda: len(server.messages) == 6)
        deliver_alerts(settings, findings, journal_dir=tmp_path, playbook="pb", now=NOW, env={})
        assert not wait_for(lambda: len(server.messages) > 6, timeout=0.3)
    finally:
        server.stop()


def test_missing_webhook_url_fails_that_channel_only(pki: Pki, tmp_path: Path) -> None:
    server = TcpSyslogReceiver().start()
    try:
        settings = AlertSettings.model_validate(
            {
                "channels": [
                    {"name": "hook", "min_severity": "low", "webhook": {"url_env": "NOT_SET_ANYWHERE"}},
                    {
                        "name": "siem",
                        "min_severity": "low",
                        "syslog": {"host": HOST, "port": server.port, "transport": "tcp"},
                    },
                ]
            }
        )
        with pytest.raises(
            AlertDeliveryError, match=r"hook: .*environment variable NOT_SET_ANYWHERE is not set"
        ):
            deliver_alerts(settings, sample_findings(), journal_dir=tmp_path, playbook="pb", now=NOW, env={})
        assert wait_for(lambda: len(server.messages) == 6)
    finally:
        server.stop()


def test_findings_below_the_minimum_severity_are_not_queued(tmp_path: Path) -> None:
    server = TcpSyslogReceiver().start()
    try:
        settings = AlertSettings.model_validate(
            {
                "channels": [
                    {
                        "name": "siem",
                        "min_severity": "critical",
                        "syslog": {"host": HOST, "port": server.port, "transport": "tcp"},
                    }
                ]
            }
        )
        (result,) = deliver_alerts(
            settings, sample_findings(), journal_dir=tmp_path, playbook="pb", now=NOW, env={}
        )
        assert (result.queued, result.sent) == (2, 2)
        assert wait_for(lambda: len(server.messages) == 2)
    finally:
        server.stop()


def test_a_relay_that_answers_451_once_gets_one_message_after_the_retry(pki: Pki, tmp_path: Path) -> None:
    smtp = SmtpReceiver(pki).start()
    try:
        smtp.temp_fail = 1
        settings = AlertSettings.model_validate(
            {
                "channels": [
                    {
                        "name": "mail",
                        "min_severity": "low",
                        "retries": 2,
                        "email": {
                            "host": HOST,
                            "port": smtp.port,
                            "from": "a@r.example",
                            "to": ["b@r.example"],
                        },
                    }
                ]
            }
        )
        env = {"SECTOOL_SMTP_CA_CERT": str(pki.ca_cert)}
        slept: list[float] = []
        (result,) = deliver_alerts(
            settings,
            sample_findings(),
            journal_dir=tmp_path,
            playbook="pb",
            now=NOW,
            env=env,
            sleep=slept.append,
        )
        assert (result.attempts, result.sent, result.pending) == (2, 6, 0)
        assert slept == [2.0]  # the default back-off
        assert len(smtp.messages) == 1
    finally:
        smtp.stop()


def test_a_damaged_journal_fails_its_channel_only(tmp_path: Path) -> None:
    server = TcpSyslogReceiver().start()
    try:
        (tmp_path / "broken.json").write_text("{", encoding="utf-8")
        settings = AlertSettings.model_validate(
            {
                "channels": [
                    {
                        "name": "broken",
                        "min_severity": "low",
                        "syslog": {"host": HOST, "port": 9, "transport": "tcp"},
                    },
                    {
                        "name": "siem",
                        "min_severity": "low",
                        "syslog": {"host": HOST, "port": server.port, "transport": "tcp"},
                    },
                ]
            }
        )
        with pytest.raises(
            AlertDeliveryError, match=r"broken: .*broken\.json: cannot read the delivery journal"
        ):
            deliver_alerts(settings, sample_findings(), journal_dir=tmp_path, playbook="pb", now=NOW, env={})
        assert wait_for(lambda: len(server.messages) == 6)
    finally:
        server.stop()
