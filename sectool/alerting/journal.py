"""A channel's delivery journal: an outbox of findings to send and the ids already sent.

One JSON file per channel (``<journal folder>/<channel name>.json``)::

    {"version": 1, "channel": "soc-mail",
     "pending": [<finding as Finding.to_dict()>, ...],
     "sent": {"<finding id>": "<window end>", ...}}

A finding is queued (written to ``pending``) *before* any attempt to send it and moved to
``sent`` only after the receiver accepted it, and the file is replaced atomically after each
change. So a failed or interrupted run loses nothing (the next run sends what is pending),
and a finding accepted once is never queued again (its id is in ``sent``). The window
between "the receiver accepted it" and "the journal says so" is the only place a duplicate
can arise (a crash in between); it is as narrow as one file rename.

The journal stays bounded: findings whose window ended more than ``keep`` before the run are
neither queued, nor kept pending, nor remembered.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sectool.errors import InputError
from sectool.fileio import atomic_write_text
from sectool.traffic.detect.findings import Finding, parse_time

__all__ = ["DeliveryJournal"]

_VERSION = 1


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


class DeliveryJournal:
    """The outbox and sent-list of one channel, persisted after every change."""

    def __init__(self, path: Path, channel: str) -> None:
        self.path = path
        self.channel = channel
        self._pending: dict[str, Finding] = {}
        self._sent: dict[str, str] = {}

    @classmethod
    def load(cls, path: Path, channel: str) -> DeliveryJournal:
        """Read the journal (a missing file is an empty journal)."""
        journal = cls(path, channel)
        if not path.exists():
            return journal
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(
                f"cannot read the delivery journal: {exc}",
                file=path,
                expected="the JSON journal sectool writes (move the file away to start afresh)",
            ) from None
        if not isinstance(doc, dict) or doc.get("version") != _VERSION:
            raise InputError(
                "not a delivery journal", file=path, field="version", expected=f"version {_VERSION}"
            )
        pending, sent = doc.get("pending", []), doc.get("sent", {})
        if not isinstance(pending, list) or not isinstance(sent, dict):
            raise InputError("not a delivery journal", file=path, field="pending/sent")
        for i, item in enumerate(pending):
            try:
                f = Finding.from_dict(item)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise InputError(f"not a finding: {exc}", file=path, field=f"pending[{i}]") from None
            journal._pending[f.id] = f
        for key, value in sent.items():
            try:
                parse_time(value)  # enqueue compares it with the cut-off
            except (ValueError, TypeError, AttributeError, OverflowError):
                raise InputError(
                    "not a delivery journal: a sent entry without its time",
                    file=path,
                    field=f"sent.{key}",
                    expected="an ISO 8601 time",
                ) from None
        journal._sent = {str(k): str(v) for k, v in sent.items()}
        return journal

    # ------------------------------------------------------------------ queries

    def pending(self) -> list[Finding]:
        """Findings queued and not yet accepted, oldest first."""
        return sorted(self._pending.values(), key=lambda f: (f.window_start, f.detector, f.entity.value))

    def was_sent(self, finding_id: str) -> bool:
        return finding_id in self._sent

    @property
    def sent_count(self) -> int:
        return len(self._sent)

    # ------------------------------------------------------------------ changes

    def enqueue(self, findings: Iterable[Finding], *, now: datetime, keep: timedelta) -> list[Finding]:
        """Queue the findings not sent or queued before; forget entries older than ``keep``.

        Returns the newly queued findings. The journal is saved before this returns, so a
        crash while sending still leaves them queued.
        """
        cutoff = now - keep
        # What a channel could not deliver within `keep` is dropped, as `keep` promises (too old
        # to act on), so that a channel that stays down cannot grow its outbox without bound.
        self._pending = {k: f for k, f in self._pending.items() if f.window_end >= cutoff}
        added: list[Finding] = []
        for f in findings:
            if f.window_end < cutoff or f.id in self._sent or f.id in self._pending:
                continue
            self._pending[f.id] = f
            added.append(f)
        # The sent-list forgets only what enqueue would refuse anyway (older than the cutoff),
        # so forgetting can never let a finding be sent twice.
        self._sent = {k: v for k, v in self._sent.items() if parse_time(v) >= cutoff}
        self.save()
        return added

    def mark_sent(self, findings: Sequence[Finding]) -> None:
        """Record that the receiver accepted ``findings`` (saved at once)."""
        for f in findings:
            self._pending.pop(f.id, None)
            self._sent[f.id] = _iso(f.window_end)
        self.save()

    def save(self) -> None:
        doc: dict[str, Any] = {
            "version": _VERSION,
            "channel": self.channel,
            "pending": [f.to_dict() for f in self.pending()],
            "sent": dict(sorted(self._sent.items())),
        }
        atomic_write_text(self.path, json.dumps(doc, indent=1, sort_keys=True) + "\n")
