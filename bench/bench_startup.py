"""Benchmark: how long a ``sectool`` process spends importing before it works (issue 13).

Each command runs in a fresh ``python -X importtime -m sectool ...`` process. Its import time is
the sum of the cumulative times of the top-level imports in that report (everything the process
imported, Python's own ``site`` included); the process's CPU time and wall time are recorded
next to it. Commands, each measured on the tree *before* the start-up change (a commit exported
with ``git archive``; the same virtualenv, through ``PYTHONPATH``) and on this working tree,
interleaved so that both see the same load, ``--repeats`` times (the median, and the minimum:
the least disturbed run, closest to the cost itself on a shared machine):

- ``sectool --help``, ``sectool traffic detect --help``, ``sectool traffic ingest --help``;
- ``sectool traffic detect`` up to its first read of events: options parsed, configuration
  loaded, detectors built, then the (missing) events file stops it with exit 2. Everything it
  imported by then is start-up; reading and detecting are the work.

    .venv/bin/python bench/bench_startup.py                  # 5 repeats, before = a65d3e2
    .venv/bin/python bench/bench_startup.py --before HEAD~3  # another "before"
    .venv/bin/python bench/bench_startup.py --smoke          # 1 repeat, this tree only (tests)

Bytecode: an installed sectool has its ``.pyc`` files; the project's sessions run with
``PYTHONDONTWRITEBYTECODE=1``, so there every process compiles sectool's modules from source
again. The children therefore run with ``PYTHONPYCACHEPREFIX`` pointing into the work folder
(bytecode cached outside the source tree, written by the warm-up run) and without
``PYTHONDONTWRITEBYTECODE``; ``--no-bytecode`` measures the sessions' way instead.

Goal (issue 13): at most 0.3 s of import time for each command on the project VM.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

#: The last commit before sectool's CLI imported its sub-apps lazily.
BEFORE_COMMIT = "a65d3e2"
GOAL_SECONDS = 0.3
#: Beside the other benchmarks' folders (a fixed, documented place; not a temporary file).
DEFAULT_WORKDIR = Path("/var/tmp/sectool-bench/startup")  # nosec B108
#: Libraries worth naming when a command loads them (start-up cost or "should not be here").
HEAVY = ("pandas", "numpy", "pyarrow", "elasticsearch", "pydantic", "rich", "yaml", "sqlalchemy")
_MISSING = "/nonexistent/sectool-bench-startup/events.parquet"
COMMANDS: dict[str, tuple[str, ...]] = {
    "sectool --help": ("--help",),
    "sectool traffic detect --help": ("traffic", "detect", "--help"),
    "sectool traffic ingest --help": ("traffic", "ingest", "--help"),
    "sectool traffic detect (to first read)": (
        "traffic",
        "detect",
        "--from",
        _MISSING,
        "--since",
        "2026-03-03T00:00:00Z",
        "--until",
        "2026-03-04T00:00:00Z",
    ),
}
#: What each command must end with for its figure to mean what it says.
EXPECTED: dict[str, tuple[int, str]] = {
    "sectool traffic detect (to first read)": (2, "event file not found"),
}
_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)\s*$")


@dataclass(frozen=True)
class Sample:
    """One process: import time (s), CPU time (s), wall time (s), modules it imported."""

    import_s: float
    cpu_s: float
    wall_s: float
    modules: frozenset[str]


def parse_importtime(text: str) -> tuple[float, frozenset[str]]:
    """The sum of the top-level cumulative times (seconds) of a ``-X importtime`` report on
    stderr, and the names of every module in it. Other stderr lines are ignored.

    Raises:
        ValueError: the text holds no import-time line (the process was not run with
            ``-X importtime``, or died before importing anything).
    """
    total_us = 0
    modules: set[str] = set()
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        modules.add(match.group(4))
        if not match.group(3):  # no indent: imported by the script itself, not by a module
            total_us += int(match.group(2))
    if not modules:
        raise ValueError("no '-X importtime' lines in the output")
    return total_us / 1e6, frozenset(modules)


def heavy_loaded(modules: frozenset[str]) -> list[str]:
    """The :data:`HEAVY` libraries among ``modules`` (top-level package names)."""
    tops = {m.split(".")[0] for m in modules}
    return [h for h in HEAVY if h in tops]


def export_tree(commit: str, workdir: Path) -> Path:
    """``sectool/`` as it was at ``commit``, exported once with ``git archive`` into
    ``workdir/<sha>/`` (no worktree, no change to the repository's state); returns the folder
    to put on ``PYTHONPATH``."""
    sha = subprocess.run(
        ["git", "rev-parse", "--verify", f"{commit}^{{commit}}"],
        capture_output=True,
        text=True,
        cwd=c.REPO,
        check=True,
    ).stdout.strip()
    dest = workdir / sha[:12]
    if (dest / "sectool" / "__init__.py").is_file():
        return dest
    tar_bytes = subprocess.run(
        ["git", "archive", "--format=tar", sha, "sectool"], capture_output=True, cwd=c.REPO, check=True
    ).stdout
    partial = Path(tempfile.mkdtemp(prefix=f"{sha[:12]}.", dir=workdir))
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        tar.extractall(partial, filter="data")  # our own commit; "data" refuses links and absolute paths
    partial.rename(dest)  # complete or absent: a run killed half-way leaves only a temporary folder
    return dest


def run_once(tree: Path, args: Sequence[str], *, cwd: Path, pycache: Path | None) -> tuple[Sample, int, str]:
    """One ``python -P -X importtime -m sectool args`` with ``tree`` first on the path; returns
    the sample, the exit code and stderr without the import-time lines.

    ``-P`` and a neutral ``cwd`` keep the current folder off ``sys.path``, so ``PYTHONPATH``
    decides which ``sectool`` is imported (the editable install comes after it). With
    ``pycache`` bytecode is read from and written to that folder; without, sectool's modules
    are compiled from source in every process (the libraries keep their installed bytecode).
    """
    drop = ("FORCE_COLOR", "SECTOOL_DEBUG", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONPATH"] = str(tree)
    env["COLUMNS"] = "100"
    if pycache is not None:
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    cmd = [sys.executable, "-P", "-X", "importtime", "-m", "sectool", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env, timeout=120, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    import_s, modules = parse_importtime(proc.stderr)
    rest = "\n".join(line for line in proc.stderr.splitlines() if not line.startswith("import time:"))
    return Sample(import_s, cpu, wall, modules), proc.returncode, rest


def check_outcome(name: str, code: int, stderr: str) -> None:
    """Raise if a command did not end as its measurement assumes (help: exit 0)."""
    want_code, want_text = EXPECTED.get(name, (0, ""))
    if code != want_code or want_text not in stderr:
        tail = "\n".join(stderr.splitlines()[-10:])
        raise RuntimeError(f"{name}: exit {code}, expected {want_code} {want_text!r}:\n{tail}")


def measure(
    trees: dict[str, Path], repeats: int, *, cwd: Path, pycache: Path | None, warm_up: bool = True
) -> dict[str, dict[str, list[Sample]]]:
    """``{command: {tree label: samples}}``, trees interleaved within each repeat."""
    samples: dict[str, dict[str, list[Sample]]] = {n: {t: [] for t in trees} for n in COMMANDS}
    if warm_up:  # byte-compile both trees and fill the page cache; not counted
        for args in COMMANDS.values():
            for tree in trees.values():
                run_once(tree, args, cwd=cwd, pycache=pycache)
    for _ in range(repeats):
        for name, args in COMMANDS.items():
            for label, tree in trees.items():
                sample, code, stderr = run_once(tree, args, cwd=cwd, pycache=pycache)
                check_outcome(name, code, stderr)
                samples[name][label].append(sample)
    return samples


def summarise(samples: list[Sample]) -> dict[str, Any]:
    """Medians of a command's samples on one tree, and the heavy libraries it loaded."""
    return {
        "import_s": round(statistics.median(s.import_s for s in samples), 4),
        # the least disturbed run: on a shared machine the closest to the cost itself
        "import_s_min": round(min(s.import_s for s in samples), 4),
        "cpu_s": round(statistics.median(s.cpu_s for s in samples), 4),
        "wall_s": round(statistics.median(s.wall_s for s in samples), 4),
        "modules": round(statistics.median(len(s.modules) for s in samples)),
        "heavy": heavy_loaded(samples[-1].modules),
        "import_s_all": [round(s.import_s, 4) for s in samples],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="1 repeat, no warm-up; this tree only")
    parser.add_argument("--repeats", type=int, default=5, help="runs per command and tree (median)")
    parser.add_argument(
        "--before",
        default=None,
        help=f"commit to compare with (default {BEFORE_COMMIT}; none in --smoke unless given)",
    )
    parser.add_argument(
        "--workdir", type=Path, default=None, help=f"exported trees (default {DEFAULT_WORKDIR})"
    )
    parser.add_argument(
        "--no-bytecode", action="store_true", help="compile sectool from source in every process"
    )
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)

    smoke = args.smoke
    repeats = 1 if smoke else max(1, args.repeats)
    before = args.before if (args.before or smoke) else BEFORE_COMMIT
    env = c.Environment.now()
    command = ["bench/bench_startup.py", *(argv if argv is not None else sys.argv[1:])]
    c.header("sectool start-up: import time per command (python -X importtime)", env, command)

    with tempfile.TemporaryDirectory(prefix="sectool-startup-") as neutral:
        workdir = args.workdir or (Path(neutral) if smoke else DEFAULT_WORKDIR)
        workdir.mkdir(parents=True, exist_ok=True)
        trees: dict[str, Path] = {}
        if before:
            trees["before"] = export_tree(before, workdir)
        trees["after"] = c.REPO
        pycache = None if args.no_bytecode else workdir / "pycache"
        samples = measure(trees, repeats, cwd=Path(neutral), pycache=pycache, warm_up=not smoke)

    results = {name: {t: summarise(s) for t, s in per_tree.items()} for name, per_tree in samples.items()}
    rows = []
    for name, per_tree in results.items():
        now = per_tree["after"]
        row = [name]
        if "before" in per_tree:
            then = per_tree["before"]
            row += [
                f"{then['import_s']:.3f}",
                f"{then['import_s_min']:.3f}",
                f"{then['cpu_s']:.3f}",
                then["modules"],
            ]
        row += [
            f"{now['import_s']:.3f}",
            f"{now['import_s_min']:.3f}",
            f"{now['cpu_s']:.3f}",
            f"{now['wall_s']:.3f}",
            now["modules"],
        ]
        if "before" in per_tree:
            row.append(f"{c.ratio(per_tree['before']['import_s'], now['import_s']):.1f}x")
        row += [c.verdict(now["import_s"] <= GOAL_SECONDS), " ".join(now["heavy"]) or "-"]
        rows.append(row)
    headers = ["command"]
    if before:
        headers += ["before import s", "min", "CPU s", "modules"]
    headers += ["import s", "min", "CPU s", "wall s", "modules"]
    if before:
        headers.append("faster")
    headers += [f"<= {GOAL_SECONDS} s", "heavy libraries loaded"]
    print(
        f"median of {repeats} run(s); before = {before or '(not measured)'}; after = this tree; "
        f"bytecode {'compiled in every process' if args.no_bytecode else 'cached'}"
    )
    print(c.table(headers, rows))
    if before:
        for name, per_tree in results.items():
            gone = [h for h in per_tree["before"]["heavy"] if h not in per_tree["after"]["heavy"]]
            if gone:
                print(f"  {name}: no longer loads {', '.join(gone)}")

    summary = {
        "benchmark": "startup",
        "environment": env.__dict__,
        "command": " ".join(command),
        "smoke": smoke,
        "before": before,
        "repeats": repeats,
        "bytecode_cached": not args.no_bytecode,
        "goal_import_s": GOAL_SECONDS,
        "results": results,
    }
    if not smoke or args.json:
        print(f"results: {c.write_results('startup', summary, args.json)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
