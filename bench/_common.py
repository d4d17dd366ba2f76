"""Helpers shared by the benchmarks: timing, peak memory in a fresh process, tables, results.

The benchmark scripts put this folder on ``sys.path`` themselves, so ``import _common`` works
when a script is run directly (``python bench/bench_capture.py``) and when a test loads it by path.

Peak memory is measured in a *fresh subprocess* (its peak resident set), never with
``tracemalloc`` in the timed process: tracemalloc slows Python code down two to three times and
would distort the very numbers it sits next to. A child reports its peak resident set and the
resident set it had after its imports (``base``), so ``peak - base`` is what the work itself used.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
#: Marker that precedes a child's JSON answer on its stdout (anything else it prints is passed on).
CHILD_MARK = "@@bench-result@@ "

T = TypeVar("T")


# ------------------------------------------------------------------------------------- timing
@dataclass
class Timing:
    """Wall-clock seconds of a block (``time.perf_counter``)."""

    seconds: float = 0.0


@contextmanager
def timed() -> Iterator[Timing]:
    """``with timed() as t: ...`` then ``t.seconds``."""
    t = Timing()
    start = time.perf_counter()
    try:
        yield t
    finally:
        t.seconds = time.perf_counter() - start


def best_of(fn: Callable[[], T], repeats: int) -> tuple[float, float, T]:
    """The shortest wall time and the shortest CPU time (this process) of ``repeats`` calls,
    and the last result. On a shared machine the CPU time is the steadier of the two."""
    best = cpu_best = float("inf")
    result: Any = None
    for _ in range(max(1, repeats)):
        start, cpu = time.perf_counter(), time.process_time()
        result = fn()
        cpu_best = min(cpu_best, time.process_time() - cpu)
        best = min(best, time.perf_counter() - start)
    return best, cpu_best, result


def rss_peak_mib() -> float:
    """Peak resident set of this process image so far, in MiB.

    ``VmHWM`` from ``/proc/self/status``, not ``ru_maxrss``: Linux carries the resident set of
    the forked parent over into a child's ``ru_maxrss`` across ``exec``, so a child started by
    a parent holding a large simulation would report the parent's size.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


def rss_now_mib() -> float:
    """Current resident set of this process in MiB (from ``/proc/self/statm``)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
    except OSError:  # not Linux: the peak is the best we have
        return rss_peak_mib()


# ---------------------------------------------------------------------------------- processes
def child_answer(result: Mapping[str, Any], *, base_mib: float) -> None:
    """Print a child's result for :func:`run_child` (adds peak and base resident set)."""
    payload = {**result, "rss_base_mib": round(base_mib, 1), "rss_peak_mib": round(rss_peak_mib(), 1)}
    print(CHILD_MARK + json.dumps(payload), flush=True)


def run_child(script: Path, args: Sequence[str], *, timeout: float | None = None) -> dict[str, Any]:
    """Run ``python script args...`` in a fresh process and return its :func:`child_answer`.

    Raises:
        RuntimeError: the child failed or gave no answer (its stderr is included).
    """
    cmd = [sys.executable, str(script), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, cwd=REPO)
    answer = None
    for line in proc.stdout.splitlines():
        if line.startswith(CHILD_MARK):
            answer = json.loads(line[len(CHILD_MARK) :])
    if proc.returncode != 0 or answer is None:
        tail = "\n".join(proc.stderr.splitlines()[-20:])
        raise RuntimeError(f"benchmark child {' '.join(cmd[1:])} failed (exit {proc.returncode}):\n{tail}")
    return answer


# ------------------------------------------------------------------------------------- output
def fmt_num(value: Any, digits: int = 0) -> str:
    """Thousands separators for numbers; text as it is."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain fixed-width table (first column left-aligned, the others right-aligned)."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [row[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))]
        return "  ".join(parts).rstrip()

    out = [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)


def ratio(a: float, b: float) -> float:
    """``a / b`` (``inf`` when ``b`` is zero)."""
    return a / b if b else float("inf")


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


@dataclass
class Environment:
    """Where a run happened: recorded next to the figures."""

    started: str
    load_average: tuple[float, float, float]
    cpus: int
    python: str
    machine: str
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def now(cls) -> Environment:
        return cls(
            started=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            load_average=tuple(round(x, 2) for x in os.getloadavg()),  # type: ignore[arg-type]
            cpus=os.cpu_count() or 0,
            python=platform.python_version(),
            machine=platform.machine(),
            extra={"commit": git_commit()},
        )

    def line(self) -> str:
        la = " ".join(f"{x:.2f}" for x in self.load_average)
        return (
            f"{self.started}, load average {la}, {self.cpus} CPUs, Python {self.python}, "
            f"commit {self.extra.get('commit')}"
        )


def git_commit() -> str:
    """The checkout's commit, with ``+dirty`` when ``sectool/`` has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "sectool"],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def header(title: str, env: Environment, command: Sequence[str]) -> None:
    print(f"== {title}")
    print(f"   {env.line()}")
    print(f"   command: {' '.join(command)}")


def write_results(name: str, data: Mapping[str, Any], out: Path | None = None) -> Path:
    """Write ``bench/results/<name>.json`` (or ``out``) atomically; returns the path."""
    from sectool.fileio import atomic_write_text

    path = out or RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    return path


# ------------------------------------------------------------------------------------ profile
def profile_text(fn: Callable[[], Any]) -> str:
    """Run ``fn`` under pyinstrument (1 ms sampling) and return its call tree as plain text."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    profiler.start()
    try:
        fn()
    finally:
        profiler.stop()
    return profiler.output_text(unicode=False, color=False, show_all=False)


def save_profile(name: str, text: str, out_dir: Path | None = None) -> Path:
    """Keep a profile next to the results (``bench/results/<name>.profile.txt``)."""
    from sectool.fileio import atomic_write_text

    path = (out_dir or RESULTS_DIR) / f"{name}.profile.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    return path


# ----------------------------------------------------------------------------- Elasticsearch
def es_client(url: str, **extra: Any) -> Any:
    """A client for the benchmark node (the project's own settings: TLS verified, env credentials)."""
    from sectool.traffic.es.client import make_client

    return make_client(url, **extra)


def bench_suffix() -> str:
    """A unique, lower-case suffix for index names of one run (smoke tests run in parallel)."""
    return f"{os.getpid()}-{time.time_ns() % 10**9}"
