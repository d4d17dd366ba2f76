"""Run a playbook: steps in order, one JSON log line per step, a lock, exit codes.

Exit codes: 0 every step went well; 1 a step failed (the steps before keep their output,
the later steps do not run) or the playbook is already running; 3 findings at or above
the playbook's ``alert_severity`` were found (cron or a monitoring system can alert).
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sectool.errors import InputError, SectoolError
from sectool.playbook.lock import LockHeld, playbook_lock
from sectool.playbook.model import ALERT_SEVERITIES, Playbook
from sectool.playbook.steps import RunContext, StepOutcome, StepUnavailable, get_step

__all__ = ["EXIT_ALERT", "EXIT_FAILED", "EXIT_OK", "LogSink", "RunResult", "StepRecord", "run_playbook"]

EXIT_OK, EXIT_FAILED, EXIT_ALERT = 0, 1, 3


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class LogSink:
    """Writes JSON log lines to a file (appended, flushed per line) and/or a text stream."""

    def __init__(self, path: Path | None = None, stream: TextIO | None = None) -> None:
        self.path = path
        self.stream = stream
        self._fh: TextIO | None = None
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = path.open("a", encoding="utf-8")
            except OSError as exc:
                raise InputError(
                    f"cannot write the log: {exc.strerror or type(exc).__name__}", file=path, field="log"
                ) from None

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, sort_keys=False, default=str)
        for target in (self._fh, self.stream):
            if target is not None:
                target.write(line + "\n")
                target.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


@contextlib.contextmanager
def _lock_or_log(log: LogSink, lock_dir: Path, header: dict[str, Any]) -> Iterator[Path]:
    """Hold the playbook's lock; when another run holds it, write a ``run_locked`` log line
    (so monitoring tells "still running" from "failed") and re-raise."""
    with contextlib.ExitStack() as stack:
        try:
            path = stack.enter_context(playbook_lock(lock_dir, str(header["playbook"])))
        except LockHeld as exc:
            log.write(
                {
                    "event": "run_locked",
                    "run_id": header["run_id"],
                    "playbook": header["playbook"],
                    "workdir": header["workdir"],
                    "time": header["time"],
                    "message": str(exc),
                    "exit_code": EXIT_FAILED,
                }
            )
            raise
        yield path


@dataclass
class StepRecord:
    index: int
    step: str
    label: str
    status: str  # ok | failed | unavailable | skipped | planned
    start: datetime | None = None
    end: datetime | None = None
    outcome: StepOutcome = field(default_factory=StepOutcome)
    error: str | None = None

    @property
    def duration(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return round((self.end - self.start).total_seconds(), 3)


@dataclass
class RunResult:
    run_id: str
    exit_code: int
    steps: list[StepRecord]
    state: dict[str, Any]
    max_severity: str | None = None

    @property
    def failed(self) -> StepRecord | None:
        return next((s for s in self.steps if s.status == "failed"), None)


#: Called after every step (the CLI prints a line and advances its progress display).
StepCallback = Callable[[StepRecord, int], None]


def _record(run_id: str, pb: Playbook, rec: StepRecord, total: int) -> dict[str, Any]:
    return {
        "event": "step",
        "run_id": run_id,
        "playbook": pb.name,
        "step": rec.index + 1,
        "steps": total,
        "type": rec.step,
        "label": rec.label,
        "status": rec.status,
        "start": _iso(rec.start) if rec.start else None,
        "end": _iso(rec.end) if rec.end else None,
        "duration_s": rec.duration,
        "counts": rec.outcome.counts,
        "outputs": rec.outcome.outputs,
        "notes": rec.outcome.notes,
        "error": rec.error,
    }


def _max_severity(steps: list[StepRecord]) -> str | None:
    seen = {sev for s in steps for sev, n in s.outcome.severities.items() if n and sev in ALERT_SEVERITIES}
    return max(seen, key=ALERT_SEVERITIES.index) if seen else None


def run_playbook(
    pb: Playbook,
    *,
    workdir: Path,
    since: datetime,
    until: datetime,
    now: datetime,
    log: LogSink,
    lock_dir: Path | None = None,
    dry_run: bool = False,
    on_step: StepCallback | None = None,
    on_start: StepCallback | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> RunResult:
    """Run ``pb``'s steps in order under the playbook's lock (not taken for a dry run).

    Raises:
        LockHeld: another run of the same playbook is in progress (nothing was run).
    """
    run_id = uuid.uuid4().hex[:12]
    ctx = RunContext(playbook=pb.name, workdir=workdir, since=since, until=until, now=now)
    total = len(pb.steps)
    records = [StepRecord(s.index, s.step, s.label, "planned" if dry_run else "skipped") for s in pb.steps]
    header = {
        "event": "run_start",
        "run_id": run_id,
        "playbook": pb.name,
        "file": pb.file,
        "workdir": str(workdir),
        "since": _iso(since),
        "until": _iso(until),
        "dry_run": dry_run,
        "time": _iso(clock()),
    }
    if dry_run:
        log.write(header)
        for rec, step in zip(records, pb.steps, strict=True):
            out = _record(run_id, pb, rec, total)
            out["params"] = step.params.model_dump(mode="json", by_alias=True)
            log.write(out)
            if on_step:
                on_step(rec, total)
        log.write(
            {"event": "run_end", "run_id": run_id, "playbook": pb.name, "status": "dry-run", "exit_code": 0}
        )
        return RunResult(run_id, EXIT_OK, records, ctx.state)

    with _lock_or_log(log, lock_dir or workdir / ".locks", header):
        log.write(header)
        started = time.monotonic()
        exit_code = EXIT_OK
        for rec, step in zip(records, pb.steps, strict=True):
            if on_start:
                on_start(rec, total)
            rec.start = clock()
            try:
                rec.outcome = get_step(step.step).run(step.params, ctx)
                rec.status = "ok"
            except StepUnavailable as exc:
                rec.status, rec.error = "unavailable", str(exc)
            except SectoolError as exc:
                rec.status, rec.error = "failed", str(exc)
            except Exception as exc:  # a bug in a step must not lose the log line
                rec.status, rec.error = "failed", f"internal error: {type(exc).__name__}: {exc}"
            rec.end = clock()
            log.write(_record(run_id, pb, rec, total))
            if on_step:
                on_step(rec, total)
            if rec.status == "failed":
                exit_code = EXIT_FAILED
                break
        for rec in records:
            if rec.status == "skipped":
                log.write(_record(run_id, pb, rec, total))
        max_sev = _max_severity(records)
        if (
            exit_code == EXIT_OK
            and pb.alert_severity is not None
            and max_sev is not None
            and ALERT_SEVERITIES.index(max_sev) >= ALERT_SEVERITIES.index(pb.alert_severity)
        ):
            exit_code = EXIT_ALERT
        log.write(
            {
                "event": "run_end",
                "run_id": run_id,
                "playbook": pb.name,
                "status": {EXIT_OK: "ok", EXIT_FAILED: "failed", EXIT_ALERT: "alert"}[exit_code],
                "exit_code": exit_code,
                "max_severity": max_sev,
                "alert_severity": pb.alert_severity,
                "duration_s": round(time.monotonic() - started, 3),
                "time": _iso(clock()),
            }
        )
    return RunResult(run_id, exit_code, records, ctx.state, max_sev)
