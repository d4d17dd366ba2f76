"""Benchmark: scoring generated risk registers of 1k, 10k and 100k risks.

Scoring must grow linearly with the number of risks. The script builds validated
registers (not timed), scores each one several times (best of N, ``time.perf_counter``)
and prints the time per risk and the ratios 10k/1k and 100k/10k (10.0 = linear), twice:
with Python's cyclic garbage collector enabled (what a caller sees; a 100k register is
about 1.3 million tracked objects, and one full collection over them lands inside the
timing) and disabled (``timeit``'s default, the cost of the scoring itself).

    .venv/bin/python bench/bench_risk_scoring.py            # 1k, 10k, 100k
    .venv/bin/python bench/bench_risk_scoring.py --smoke    # tiny sizes, for the test suite
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import itertools
import random
import sys
import time
from collections.abc import Sequence

from sectool.iso27001 import load_catalogue, load_matrix, score_register
from sectool.iso27001.model import Asset, ControlRef, PlannedControlRef, Register, Risk, SoaEntry

AS_OF = dt.date(2026, 12, 1)
STATUSES = ("implemented", "partially", "planned", "not_implemented")


def generate(n: int, seed: int = 27001) -> Register:
    """A register with ``n`` risks over 50 assets, 0-5 existing and 0-3 planned controls each."""
    rng = random.Random(seed)
    ids = list(load_catalogue().ids)
    assets = tuple(Asset(id=f"a{i}", name=f"Asset {i}") for i in range(50))
    risks = []
    for i in range(n):
        risks.append(
            Risk(
                id=f"R-{i:06d}",
                title=f"Generated risk {i}",
                owner=None if i % 97 == 0 else "CISO",
                assets=(f"a{rng.randrange(50)}",),
                likelihood=rng.randint(1, 5),
                impact=rng.randint(1, 5),
                existing_controls=tuple(
                    ControlRef(control=c, status=rng.choice(STATUSES))
                    for c in rng.sample(ids, rng.randint(0, 5))
                ),
                planned_controls=tuple(
                    PlannedControlRef(control=c) for c in rng.sample(ids, rng.randint(0, 3))
                ),
                treatment="accept" if i % 50 == 0 else "mitigate",
                next_review=AS_OF + dt.timedelta(days=rng.randint(-60, 365)),
            )
        )
    soa = tuple(SoaEntry(control=c, applicable=True, justification="generated") for c in ids[:90])
    return Register(name=f"generated {n}", appetite="medium", assets=assets, risks=tuple(risks), soa=soa)


def best_of(register: Register, repeats: int, *, gc_enabled: bool = True) -> tuple[float, float]:
    """Best wall time (``perf_counter``) and best CPU time (``process_time``) over ``repeats`` runs.

    CPU time is reported too because the benchmark machine is shared: wall time then includes
    waiting for a core, CPU time does not.
    """
    matrix = load_matrix()
    catalogue = load_catalogue()
    best_wall = best_cpu = float("inf")
    for _ in range(repeats):
        gc.collect()
        if not gc_enabled:
            gc.disable()
        try:
            wall, cpu = time.perf_counter(), time.process_time()
            score_register(register, matrix, as_of=AS_OF, catalogue=catalogue)
            best_cpu = min(best_cpu, time.process_time() - cpu)
            best_wall = min(best_wall, time.perf_counter() - wall)
        finally:
            gc.enable()
    return best_wall, best_cpu


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds), for the test suite")
    parser.add_argument("--repeats", type=int, default=None, help="runs per size; the best counts")
    args = parser.parse_args(argv)
    sizes = (100, 1_000) if args.smoke else (1_000, 10_000, 100_000)
    repeats = args.repeats or (1 if args.smoke else 5)
    times: dict[tuple[bool, int], tuple[float, float]] = {}
    print(f"best of {repeats}; python {sys.version.split()[0]}")
    print(
        f"{'risks':>8}  {'gc':>3}  {'wall (s)':>9}  {'wall/risk (us)':>14}  "
        f"{'cpu (s)':>9}  {'cpu/risk (us)':>13}"
    )
    for n in sizes:
        register = generate(n)
        for enabled in (True, False):
            wall, cpu = best_of(register, repeats, gc_enabled=enabled)
            times[(enabled, n)] = (wall, cpu)
            print(
                f"{n:>8}  {'on' if enabled else 'off':>3}  {wall:>9.4f}  {wall / n * 1e6:>14.2f}  "
                f"{cpu:>9.4f}  {cpu / n * 1e6:>13.2f}"
            )
        del register
    for enabled in (True, False):
        for small, large in itertools.pairwise(sizes):
            (w1, c1), (w2, c2) = times[(enabled, small)], times[(enabled, large)]
            label = "on " if enabled else "off"
            print(
                f"gc {label} ratio {large}/{small}: wall {w2 / w1:.2f}, cpu {c2 / c1:.2f} "
                f"(linear = {large / small:.1f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
