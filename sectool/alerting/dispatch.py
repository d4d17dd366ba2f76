"""Send findings to every configured channel, each through its own delivery journal.

For each channel, in the order configured: the findings at or above its minimum severity
that its journal has not seen are queued; then everything pending (this run's and what
earlier runs could not deliver) is sent, with bounded retries and exponential back-off.
A channel that still fails does not stop the others; when all were tried,
:class:`AlertDeliveryError` (a :class:`~sectool.errors.ServiceError`, exit code 1) names
every failed channel, and its findings stay pending for the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from sectool.alerting.config import AlertSettings, ChannelConfig
from sectool.alerting.journal import DeliveryJournal
from sectool.alerting.transport import ChannelError, Sleep, with_retries
from sectool.errors import InputError, ServiceError
from sectool.traffic.detect.findings import SEVERITIES, Finding

__all__ = ["AlertDeliveryError", "ChannelResult", "Sender", "deliver_alerts", "make_sender"]


class Sender(Protocol):
    """A channel's transport: deliver ``pending``, calling ``mark_sent`` for what was accepted."""

    notes: list[str]

    def deliver(self, pending: Sequence[Finding], mark_sent: Callable[[Sequence[Finding]], None]) -> None: ...


@dataclass
class ChannelResult:
    """What one channel did in this run."""

    name: str
    kind: str
    queued: int = 0  # newly queued this run
    sent: int = 0  # accepted by the receiver this run (this run's and earlier ones)
    pending: int = 0  # still waiting after this run
    attempts: int = 0
    error: str | None = None
    notes: list[str] = field(default_factory=list)


class AlertDeliveryError(ServiceError):
    """One or more channels failed after their retries; their findings stay pending."""

    def __init__(self, results: Sequence[ChannelResult]) -> None:
        self.results = list(results)
        failed = [r for r in results if r.error]
        parts = [f"{r.name}: {r.error} ({r.pending} finding(s) kept for the next run)" for r in failed]
        super().__init__(f"{len(failed)} alert channel(s) failed: " + "; ".join(parts))


def make_sender(
    channel: ChannelConfig, *, playbook: str, now: datetime, env: Mapping[str, str] | None
) -> Sender:
    """The transport of ``channel``."""
    timeout = channel.timeout.total_seconds()
    if channel.email is not None:
        from sectool.alerting.mail import EmailSender

        return EmailSender(
            channel.email,
            min_severity=channel.min_severity,
            playbook=playbook,
            now=now,
            timeout=timeout,
            env=env,
        )
    if channel.webhook is not None:
        from sectool.alerting.webhook import WebhookSender

        return WebhookSender(
            channel.webhook, channel=channel.name, playbook=playbook, now=now, timeout=timeout, env=env
        )
    assert channel.syslog is not None
    from sectool.alerting.syslog5424 import SyslogSender

    return SyslogSender(channel.syslog, now=now, timeout=timeout, env=env)


def _at_least(findings: Sequence[Finding], severity: str) -> list[Finding]:
    floor = SEVERITIES.index(severity)
    return [f for f in findings if SEVERITIES.index(f.severity) >= floor]


def deliver_alerts(
    settings: AlertSettings,
    findings: Sequence[Finding],
    *,
    journal_dir: Path,
    playbook: str,
    now: datetime,
    env: Mapping[str, str] | None = None,
    sleep: Sleep = time.sleep,
    senders: Mapping[str, Sender] | None = None,
) -> list[ChannelResult]:
    """Queue and send ``findings`` on every channel of ``settings``.

    Args:
        settings: The validated step configuration.
        findings: Candidate findings (normally the new findings of this run).
        journal_dir: Folder of the per-channel journals.
        playbook: Name shown in the messages.
        now: The run's time (message dates, the journal's ``keep`` cut-off).
        env: Environment for secrets and CA files (default ``os.environ``).
        sleep: Waits between retries (tests pass a recorder).
        senders: Transports by channel name, replacing the real ones (tests).

    Returns:
        One result per channel.

    Raises:
        AlertDeliveryError: a channel still failed after its retries (after all were tried).
    """
    results = [
        _run_channel(
            ch,
            findings,
            journal_dir=journal_dir,
            keep=settings.keep,
            playbook=playbook,
            now=now,
            env=env,
            sleep=sleep,
            sender=(senders or {}).get(ch.name),
        )
        for ch in settings.channels
    ]
    if any(r.error for r in results):
        raise AlertDeliveryError(results)
    return results


def _run_channel(
    ch: ChannelConfig,
    findings: Sequence[Finding],
    *,
    journal_dir: Path,
    keep: timedelta,
    playbook: str,
    now: datetime,
    env: Mapping[str, str] | None,
    sleep: Sleep,
    sender: Sender | None,
) -> ChannelResult:
    result = ChannelResult(ch.name, ch.kind)
    path = journal_dir / f"{ch.name}.json"
    try:
        journal = DeliveryJournal.load(path, ch.name)
        result.queued = len(journal.enqueue(_at_least(findings, ch.min_severity), now=now, keep=keep))
    except InputError as exc:  # a damaged journal: this channel cannot know what it sent
        result.error = str(exc)
        return result
    except OSError as exc:
        result.error = f"cannot write the delivery journal {path}: {exc.strerror or exc}"
        return result
    if not journal.pending():
        return result

    def mark(batch: Sequence[Finding]) -> None:
        journal.mark_sent(batch)
        result.sent += len(batch)

    try:
        if sender is None:
            sender = make_sender(ch, playbook=playbook, now=now, env=env)
        transport = sender

        def attempt() -> None:
            result.attempts += 1
            # Each attempt sends only what is still pending: what an earlier attempt
            # delivered is already marked and is not sent again.
            transport.deliver(journal.pending(), mark)

        with_retries(
            attempt,
            retries=ch.retries,
            backoff=ch.backoff.total_seconds(),
            max_backoff=ch.max_backoff.total_seconds(),
            sleep=sleep,
        )
    except (ChannelError, InputError) as exc:
        # InputError: the environment lacks the channel's URL or CA file; like an
        # unreachable receiver it must not keep the other channels from their alerts.
        result.error = str(exc)
    except OSError as exc:  # the journal could not be saved after a delivery
        result.error = f"cannot write the delivery journal {path}: {exc.strerror or exc}"
    if sender is not None:
        result.notes.extend(sender.notes)
    result.pending = len(journal.pending())
    return result
