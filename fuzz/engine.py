"""The machinery every harness shares: one input through a reader, the smoke run, the long run.

A harness (``fuzz/<reader>.py``) is a :class:`Target`: the file suffix its input gets, whether it
is binary, where its seeds come from (slices of the real corpus, read at run time: never copied
into the repository), and optionally a second consumer of the same file (the local store's reader).

* :func:`run_one` is libFuzzer's ``TestOneInput``: write the bytes to a temporary file, read it
  with :func:`sectool.traffic.readers.read_events`, check the contract (:mod:`fuzz.oracle`).
* :func:`smoke` runs seeds and structured mutations from a fixed seed for a bounded count and
  time, in-process, and collects what broke (the test suite's run, tests/traffic/test_fuzz_smoke.py).
* :func:`main` is the long run under atheris (coverage-guided libFuzzer), with
  :mod:`fuzz.mutate` mixed into libFuzzer's mutations; ``--keep-going`` records each distinct
  crash as a reproducer file and goes on instead of stopping at the first.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fuzz.mutate import mutate_binary, mutate_text
from fuzz.oracle import ContractError, check_error, checked_events

__all__ = ["CORPUS", "DATA", "Crash", "SmokeResult", "Target", "main", "run_one", "smoke"]

REPO = Path(__file__).resolve().parents[1]
#: The real traffic corpus, as the tests find it (tests/conftest.py).
CORPUS = Path(os.environ.get("SECTOOL_CORPUS", REPO.parent / "shared" / "corpus"))
#: The readers' test fixtures.
DATA = REPO / "tests" / "traffic" / "data"


@dataclass(frozen=True)
class Target:
    """One harness: a reader and its seeds.

    Attributes:
        name: the harness name (``python -m fuzz.<name>``).
        suffix: the suffix of the temporary input file.
        binary: captures take the binary mutations, logs the line-based ones.
        seeds: the seed inputs, from the corpus folder.
        also: a second consumer of the same file (called after read_events), or ``None``.
    """

    name: str
    suffix: str
    binary: bool
    seeds: Callable[[Path], list[bytes]]
    also: Callable[[Path], None] | None = None

    def mutate(self, data: bytes, rng: random.Random) -> bytes:
        return (mutate_binary if self.binary else mutate_text)(data, rng)


@dataclass(frozen=True)
class Crash:
    """An input that broke the contract: what escaped, where, and the input itself."""

    signature: str  # exception type and the innermost sectool frame: one per distinct bug
    error: str
    data: bytes
    trace: str


@dataclass
class SmokeResult:
    inputs: int = 0
    events: int = 0
    input_errors: int = 0
    crashes: dict[str, Crash] = field(default_factory=dict)


_WORKDIR: Path | None = None


def _workdir() -> Path:
    global _WORKDIR
    if _WORKDIR is None:
        _WORKDIR = Path(tempfile.mkdtemp(prefix="sectool-fuzz-"))
    return _WORKDIR


def run_one(target: Target, data: bytes) -> tuple[int, bool]:
    """Read ``data`` as a file with ``target``'s reader and check the contract.

    Returns:
        ``(events read, whether it ended in an InputError)``.

    Raises:
        Anything but an :class:`~sectool.errors.InputError` naming the file: a crash.
    """
    from sectool.errors import InputError
    from sectool.traffic.readers import ReadReport, read_events

    path = _workdir() / f"input{target.suffix}"
    path.write_bytes(data)
    count = 0
    try:
        for _ in checked_events(read_events(path, report=ReadReport()), path):
            count += 1
    except InputError as exc:
        check_error(exc, path)
        failed = True
    else:
        failed = False
    if target.also is not None:
        try:
            target.also(path)
        except InputError as exc:
            check_error(exc, path)
    return count, failed


def signature(exc: BaseException) -> str:
    """The exception type and the innermost frame in sectool (or fuzz/): one per distinct bug."""
    if isinstance(exc, ContractError):  # raised in the oracle: the broken rule tells bugs apart
        return "ContractError: " + re.sub(r"'[^']*'|\S*[0-9]\S*", "_", str(exc))[:60]
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/sectool/" in f.filename] or frames
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
    return f"{type(exc).__name__} at {where}"


def _crash(exc: BaseException, data: bytes) -> Crash:
    trace = "".join(traceback.format_exception(exc))
    return Crash(signature(exc), f"{type(exc).__name__}: {exc}"[:500], data, trace)


def smoke(target: Target, *, count: int, seconds: float, seed: int, corpus: Path = CORPUS) -> SmokeResult:
    """The seeds, then structured mutations of them from ``random.Random(seed)``, until ``count``
    inputs or ``seconds`` passed; every distinct crash is kept (the first input of each)."""
    rng = random.Random(seed)  # noqa: S311 -- reproducible mutations, not secrets
    seeds = target.seeds(corpus)
    if not seeds:
        raise RuntimeError(f"{target.name}: no seeds found under {corpus}")
    result = SmokeResult()
    stop = time.monotonic() + seconds
    inputs = iter(seeds)
    while result.inputs < count and time.monotonic() < stop:
        data = next(inputs, None)
        if data is None:
            data = target.mutate(rng.choice(seeds), rng)
        result.inputs += 1
        try:
            events, failed = run_one(target, data)
        except Exception as exc:  # the point: anything else that escapes is a finding
            crash = _crash(exc, data)
            result.crashes.setdefault(crash.signature, crash)
            continue
        result.events += events
        result.input_errors += failed
    return result


# ------------------------------------------------------------------------------ the long run
def main(target: Target, argv: list[str] | None = None) -> None:
    """Fuzz ``target`` under atheris (libFuzzer) until its options say stop.

    Arguments are libFuzzer's (``-max_total_time=300``, ``-runs=N``, ``-seed=1``, ...) plus
    ``--keep-going`` (record each distinct crash and go on) and ``--workdir=DIR`` (default
    ``$TMPDIR/sectool-fuzz/<name>``: seeds/, corpus/ (what libFuzzer keeps), crashes/).
    """
    import atheris  # type: ignore[import-untyped]  # no stubs

    args = list(sys.argv[1:] if argv is None else argv)
    keep_going = "--keep-going" in args
    workdir = Path(tempfile.gettempdir()) / "sectool-fuzz" / target.name
    for arg in list(args):
        if arg.startswith("--workdir="):
            workdir = Path(arg.split("=", 1)[1])
        if arg.startswith("--"):
            args.remove(arg)
    seeds_dir, corpus_dir, crash_dir = (workdir / n for n in ("seeds", "corpus", "crashes"))
    for folder in (seeds_dir, corpus_dir, crash_dir):
        folder.mkdir(parents=True, exist_ok=True)
    for data in target.seeds(CORPUS):
        (seeds_dir / hashlib.sha1(data, usedforsecurity=False).hexdigest()).write_bytes(data)
    seen: set[str] = {p.name.split("__")[0] for p in crash_dir.iterdir()}

    def test_one_input(data: bytes) -> None:
        try:
            run_one(target, data)
        except Exception as exc:
            if not keep_going:
                raise
            crash = _crash(exc, data)
            key = hashlib.sha1(crash.signature.encode(), usedforsecurity=False).hexdigest()[:12]
            if key not in seen:
                seen.add(key)
                (crash_dir / f"{key}__input").write_bytes(data)
                (crash_dir / f"{key}__trace.txt").write_text(crash.trace)
                print(f"\n== new crash {crash.signature}: {crash.error[:200]}", file=sys.stderr)

    def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)  # noqa: S311 -- libFuzzer's seed: reproducible
        if rng.random() < 0.5:
            return bytes(atheris.Mutate(data, max_size))
        return target.mutate(data, rng)[:max_size]

    _import_readers()
    atheris.instrument_all()  # coverage of everything loaded: the readers, scapy, the encoder
    defaults = ["-max_len=65536", "-timeout=20", "-rss_limit_mb=3072", f"-artifact_prefix={crash_dir}/"]
    # Files or folders given: libFuzzer replays the files (a crash's input) or fuzzes from those
    # folders; else from the run's own corpus and the seeds.
    inputs = [] if any(not a.startswith("-") for a in args) else [str(corpus_dir), str(seeds_dir)]
    atheris.Setup(
        [sys.argv[0], *defaults, *args, *inputs],
        test_one_input,
        custom_mutator=custom_mutator,
    )
    atheris.Fuzz()


def _import_readers() -> None:
    """Load every reader now (read_events imports them lazily), so instrument_all sees them."""
    import sectool.traffic.es.encode
    import sectool.traffic.localstore
    import sectool.traffic.readers.eve
    import sectool.traffic.readers.ndjson
    import sectool.traffic.readers.pcap
    import sectool.traffic.readers.zeek  # noqa: F401
