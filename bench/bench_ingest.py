"""Benchmark: indexing ECS events. ``sectool traffic ingest`` (its library function,
:func:`sectool.traffic.ingest.run_ingest` with :class:`~sectool.traffic.es.bulk.BulkIndexer`)
against the node's ceiling: the same documents (same ids, same sources, same daily indices) as
pre-built NDJSON ``_bulk`` bodies posted straight to the node by N threads over urllib3, with
the same bulk size, into indices with the same template and settings, in one run.

The input is an ECS NDJSON file (what ``ingest`` reads): a simulated day (``sectool traffic
simulate``, seed 1, 24 h) repeated with its timestamps shifted by whole days until it holds the
requested number of events. The ceiling's bodies are built from the events as sectool reads and
converts them (not timed), so both sides index byte-for-byte the same documents.

    SECTOOL_ES_URL=http://127.0.0.1:9260 .venv/bin/python bench/bench_ingest.py           # 1,000,000 events
    ... bench/bench_ingest.py --events 200000 --chunk-size 1000,2000,5000 --workers 1,2,4  # tuning grid
    ... bench/bench_ingest.py --profile        # also a pyinstrument profile of sectool's client side
    ... bench/bench_ingest.py --split-cores "$(cat /var/tmp/sectool-es/run-9260/es.pid)"
                                               # node and client on cores of their own
    ... bench/bench_ingest.py --python-path    # sectool without its compiled fast path (SECTOOL_ACCEL=0)
    ... bench/bench_ingest.py --smoke --es URL # tiny, for the test suite (unique index names, cleaned up)

sectool's side takes the compiled fast path for ECS NDJSON (``accel/``, module ``sectool_accel``)
when it is installed, as the command does; the header says which path ran, and the client-only
figure is measured on that path.

Use a private node (``ES_PORT=9260 ES_HEAP=2g scripts/elasticsearch.sh start``), never a node
other people are using: the benchmark deletes and recreates its own ``sectool-bench-*`` indices.
Goal (issue 7): sectool reaches >= 0.8 of the ceiling's documents per second.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

DEFAULT_WORKDIR = Path("/var/tmp/sectool-bench/ingest")
FULL_EVENTS = 1_000_000
SMOKE_EVENTS = 3_000
PLACEHOLDER = "@@prefix@@"
GOAL = 0.8


# ---------------------------------------------------------------------------------- the data
def events_file(workdir: Path, n: int, *, seed: int = 1, smoke: bool = False) -> Path:
    """An ECS NDJSON file of ``n`` events (cached): a simulated day repeated, shifted by whole days."""
    from sectool.traffic.localstore import write_events
    from sectool.traffic.simulate import simulate

    path = workdir / f"events-seed{seed}-{n}.jsonl"
    if path.exists():
        return path
    larger = _larger(workdir, f"events-seed{seed}-", ".jsonl", n)
    if larger is not None:  # the first n events of a larger file are the same events
        _head(larger, path, n)
        bulk = larger.with_name(larger.stem + ".bulk.ndjson")
        if bulk.exists():
            _head(bulk, path.with_name(path.stem + ".bulk.ndjson"), 2 * n)
        return path
    sim = simulate(seed, hours=1 if smoke else 24)
    day = list(sim.events())
    span = timedelta(hours=sim.hours)

    def repeated() -> Iterator[dict[str, Any]]:
        for k in itertools.count():
            shift = span * k
            for ev in day:
                yield {**ev, "@timestamp": ev["@timestamp"] + shift}

    workdir.mkdir(parents=True, exist_ok=True)
    write_events(path, itertools.islice(repeated(), n))
    return path


def _larger(workdir: Path, stem: str, suffix: str, n: int) -> Path | None:
    if not workdir.is_dir():
        return None
    for p in sorted(workdir.glob(f"{stem}*{suffix}")):
        count = p.name[len(stem) : -len(suffix)]
        if count.isdigit() and int(count) > n:
            return p
    return None


def _head(src: Path, dst: Path, lines: int) -> None:
    tmp = dst.with_suffix(".part")
    with src.open(encoding="utf-8") as fin, tmp.open("w", encoding="utf-8") as fout:
        fout.writelines(itertools.islice(fin, lines))
    tmp.rename(dst)


def ceiling_file(workdir: Path, events: Path) -> Path:
    """The bulk lines of every event of ``events`` (action + source), index prefix as a placeholder.

    Built with sectool's own reader and ``to_action``: the ceiling indexes exactly sectool's documents.
    """
    from sectool.traffic.es.bulk import to_action
    from sectool.traffic.readers import read_events

    path = workdir / (events.stem + ".bulk.ndjson")
    if path.exists():
        return path
    tmp = path.with_suffix(".part")
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with tmp.open("w", encoding="utf-8") as fh:
        for event in read_events(events):
            a = to_action(PLACEHOLDER, event)
            fh.write(dumps({"create": {"_index": a["_index"], "_id": a["_id"]}}) + "\n")
            fh.write(dumps(a["_source"]) + "\n")
    tmp.rename(path)
    return path


def bulk_bodies(path: Path, prefix: str, chunk: int) -> list[bytes]:
    """The bulk file as request bodies of ``chunk`` documents each, for ``prefix``."""
    old, new = f'"_index":"{PLACEHOLDER}', f'"_index":"{prefix}'
    bodies: list[bytes] = []
    with path.open(encoding="utf-8") as fh:
        while True:
            lines = list(itertools.islice(fh, 2 * chunk))
            if not lines:
                break
            text = "".join(
                lines[i].replace(old, new, 1) if i % 2 == 0 else lines[i] for i in range(len(lines))
            )
            bodies.append(text.encode("utf-8"))
    return bodies


# ---------------------------------------------------------------------------------- the node
def prepare(es: Any, prefix: str, refresh: str) -> None:
    """Fresh indices for ``prefix``: delete old ones, install sectool's template with ``refresh``."""
    from sectool.traffic.es.template import index_pattern, template_body

    es.options(ignore_status=404).indices.delete(index=index_pattern(prefix), expand_wildcards="all")
    es.indices.put_index_template(name=prefix, **template_body(prefix, refresh_interval=refresh))


def finish(es: Any, prefix: str, refresh: str) -> int:
    """Restore the shipped refresh interval if it was turned off, refresh, and count."""
    from sectool.traffic.es.template import index_pattern

    pattern = index_pattern(prefix)
    if refresh == "-1":
        es.indices.put_settings(index=pattern, settings={"index": {"refresh_interval": "5s"}})
    es.indices.refresh(index=pattern)
    return int(es.count(index=pattern)["count"])


def cleanup(es: Any, prefix: str) -> None:
    from sectool.traffic.es.template import index_pattern

    es.options(ignore_status=404).indices.delete(index=index_pattern(prefix), expand_wildcards="all")
    es.options(ignore_status=404).indices.delete_index_template(name=prefix)


# --------------------------------------------------------------------------------- the runs
@dataclass
class Run:
    side: str
    chunk: int
    workers: int
    refresh: str
    docs: int
    seconds: float
    client_cpu: float
    errors: int = 0

    @property
    def rate(self) -> float:
        return self.docs / self.seconds


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def run_ceiling(url: str, es: Any, bodies: list[bytes], prefix: str, workers: int, refresh: str) -> Run:
    """POST the pre-built bodies with ``workers`` threads (429 answers are retried after a pause)."""
    import urllib3

    pool = urllib3.PoolManager(maxsize=workers, block=True, retries=False)
    target = f"{url.rstrip('/')}/_bulk?filter_path=errors,items.*.error,items.*.status"
    headers = {"Content-Type": "application/x-ndjson"}
    feed = iter(bodies)
    lock = threading.Lock()
    errors = [0]
    failure: list[BaseException] = []

    def worker() -> None:
        try:
            while True:
                with lock:
                    body = next(feed, None)
                if body is None:
                    return
                while True:
                    resp = pool.request("POST", target, body=body, headers=headers)
                    if resp.status != 429:
                        break
                    time.sleep(0.5)
                if resp.status >= 300:
                    raise RuntimeError(f"bulk request failed: HTTP {resp.status} {resp.data[:200]!r}")
                answer = json.loads(resp.data)
                if answer.get("errors"):
                    bad = [i for item in answer["items"] for i in item.values() if i.get("status", 0) >= 300]
                    with lock:
                        errors[0] += len(bad)
        except BaseException as exc:  # re-raised in the main thread
            failure.append(exc)

    cpu0, t0 = _cpu(), time.perf_counter()
    threads = [threading.Thread(target=worker, name=f"ceiling-{i}") for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failure:
        raise failure[0]
    docs = finish(es, prefix, refresh)
    seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
    return Run("ceiling", 0, workers, refresh, docs, seconds, cpu, errors[0])


def run_sectool(url: str, events: Path, prefix: str, chunk: int, workers: int, refresh: str) -> Run:
    """What ``sectool traffic ingest FILE --es URL --index-prefix PREFIX`` does, timed."""
    from sectool.traffic.es.bulk import BulkIndexer
    from sectool.traffic.es.client import make_client
    from sectool.traffic.ingest import run_ingest
    from sectool.traffic.readers import ReaderOptions

    client = make_client(url, max_retries=2, retry_on_timeout=True)  # as the command builds it
    indexer = BulkIndexer(client, prefix, url=url, chunk_size=chunk, workers=workers)
    cpu0, t0 = _cpu(), time.perf_counter()
    summary = run_ingest([events], options=ReaderOptions(), indexer=indexer)
    es = c.es_client(url)
    docs = finish(es, prefix, refresh)
    seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
    if summary.rejected or summary.damaged:
        raise RuntimeError(f"sectool ingest rejected {summary.rejected} events: {summary.reasons}")
    return Run("sectool", chunk, workers, refresh, docs, seconds, cpu, summary.rejected)


def client_only(events: Path, limit: int) -> float:
    """Events/s of sectool's client side alone (read, validate, encode to ``_bulk`` bytes), no
    node, on the path the ingest takes (the compiled one when it is installed and enabled)."""
    from sectool.traffic.es.encode import encode
    from sectool.traffic.es.fast_ndjson import accel_module, ingest_ndjson
    from sectool.traffic.ingest import IngestSummary
    from sectool.traffic.readers import ReaderOptions, ReadReport, input_labels, read_events

    head = events.with_name(f"{events.stem}.head-{limit}{events.suffix}")
    if not head.exists():
        _head(events, head, limit)
    t0 = time.perf_counter()
    accel = accel_module()
    if accel is not None:

        class Discard:
            prefix = "p"
            n = 0

            def add(self, event: Any) -> None:
                encode(self.prefix, event)
                self.n += 1

            def add_encoded(self, doc: Any) -> None:
                self.n += 1

            def add_many(self, docs: list[Any], indices: Any) -> None:
                self.n += len(docs)

        sink = Discard()
        labels = input_labels(head, site=None, options=ReaderOptions())
        summary = IngestSummary()
        ingest_ndjson(
            head,
            labels=labels,
            report=ReadReport(),
            indexer=sink,  # type: ignore[arg-type]
            summary=summary,
            accel=accel,
        )
        n = sink.n
    else:
        n = 0
        for event in read_events(head):
            encode("p", event)
            n += 1
    return n / (time.perf_counter() - t0)


def sectool_path() -> str:
    """Which path sectool's side takes for ECS NDJSON."""
    from sectool.traffic.es.fast_ndjson import accel_module

    accel = accel_module()
    if accel is None:
        return "Python path" + (" (SECTOOL_ACCEL=0)" if os.environ.get("SECTOOL_ACCEL") == "0" else "")
    return f"compiled fast path (sectool_accel {accel.__version__})"


# ---------------------------------------------------------------------------------------- main
def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds), for the test suite")
    parser.add_argument("--es", help="Elasticsearch URL (default: SECTOOL_ES_URL)")
    parser.add_argument("--events", type=int, help=f"events to index (default {FULL_EVENTS:,})")
    parser.add_argument(
        "--chunk-size", default="5000", help="documents per bulk request (comma list; sectool's default)"
    )
    parser.add_argument(
        "--workers", default="4", help="parallel bulk requests (comma list; sectool's default)"
    )
    parser.add_argument(
        "--refresh-interval",
        default="5s",
        help="index refresh interval during ingest "
        "(comma list; -1 = off, restored to 5s and refreshed at the end)",
    )
    parser.add_argument("--workdir", type=Path, help=f"data cache (default {DEFAULT_WORKDIR})")
    parser.add_argument("--profile", action="store_true", help="profile sectool's ingest (pyinstrument)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark indices afterwards")
    parser.add_argument("--json", type=Path, help="results file (default bench/results/ingest.json)")
    parser.add_argument(
        "--split-cores",
        type=int,
        metavar="NODE_PID",
        help="pin the node (every thread of NODE_PID) to the last CPU and this benchmark (both "
        "clients) to the others, as if node and client had machines of their own",
    )
    parser.add_argument(
        "--python-path", action="store_true", help="sectool without its compiled fast path (SECTOOL_ACCEL=0)"
    )
    args = parser.parse_args(argv)
    if args.python_path:
        os.environ["SECTOOL_ACCEL"] = "0"

    url = args.es or os.environ.get("SECTOOL_ES_URL")
    if not url:
        parser.error("no Elasticsearch URL: --es URL or SECTOOL_ES_URL")
    env = c.Environment.now()
    command = ["bench/bench_ingest.py", *(argv if argv is not None else sys.argv[1:])]
    c.header("ingest: sectool traffic ingest vs pre-built _bulk bodies (node ceiling)", env, command)
    smoke = args.smoke
    n = args.events or (SMOKE_EVENTS if smoke else FULL_EVENTS)
    tmp = Path(tempfile.mkdtemp(prefix="sectool-bench-ingest-")) if smoke and not args.workdir else None
    workdir = args.workdir or tmp or DEFAULT_WORKDIR
    suffix = c.bench_suffix() if smoke else "full"
    prefix_s, prefix_c = f"sectool-bench-ingest-s-{suffix}", f"sectool-bench-ingest-c-{suffix}"
    pinned = split_cores(args.split_cores) if args.split_cores else None
    if pinned is not None:
        print(f"   cores: node {sorted(pinned[0])}, benchmark and clients {sorted(pinned[1])}")
    es = c.es_client(url)
    runs: list[Run] = []
    try:
        with c.timed() as prep:
            events = events_file(workdir, n, smoke=smoke)
            bulk = ceiling_file(workdir, events)
        print(f"   data: {events} ({n:,} events; prepared in {prep.seconds:.0f} s, not timed)")
        path_used = sectool_path()
        print(f"   sectool side: {path_used}")
        grid = list(
            itertools.product(
                _ints(args.chunk_size),
                _ints(args.workers),
                [r for r in args.refresh_interval.split(",") if r],
            )
        )
        for chunk, workers, refresh in grid:
            bodies = bulk_bodies(bulk, prefix_c, chunk)
            prepare(es, prefix_c, refresh)
            ceiling = run_ceiling(url, es, bodies, prefix_c, workers, refresh)
            ceiling.chunk = chunk
            del bodies
            cleanup(es, prefix_c)  # free the node before sectool's turn
            prepare(es, prefix_s, refresh)
            sectool = run_sectool(url, events, prefix_s, chunk, workers, refresh)
            if not args.keep:
                cleanup(es, prefix_s)
            for r in (ceiling, sectool):
                if r.docs != n:
                    raise RuntimeError(f"{r.side}: {r.docs:,} documents in the node, {n:,} expected")
            runs += [ceiling, sectool]
            print(
                f"   chunk {chunk}, workers {workers}, refresh {refresh}: ceiling {ceiling.rate:,.0f}/s, "
                f"sectool {sectool.rate:,.0f}/s ({c.ratio(sectool.rate, ceiling.rate):.2f})",
                flush=True,
            )

        rows = []
        for r in runs:
            rows.append(
                [
                    r.side,
                    r.chunk,
                    r.workers,
                    r.refresh,
                    c.fmt_num(r.docs),
                    f"{r.seconds:.1f}",
                    c.fmt_num(r.rate),
                    f"{r.client_cpu:.1f}",
                    r.errors,
                ]
            )
        print(
            c.table(
                ["side", "bulk", "workers", "refresh", "docs", "seconds", "docs/s", "client CPU s", "errors"],
                rows,
            )
        )
        pairs = list(zip(runs[0::2], runs[1::2], strict=True))
        best_c = max(p[0].rate for p in pairs)
        best_s = max(pairs, key=lambda p: p[1].rate)[1]
        same = next(p for p in pairs if p[1] is best_s)[0]
        r_same = c.ratio(best_s.rate, same.rate)
        r_best = c.ratio(best_s.rate, best_c)
        print(
            f"sectool / ceiling (same settings) : {r_same:.2f}  (goal >= {GOAL}: {c.verdict(r_same >= GOAL)})"
        )
        print(f"sectool best / ceiling best       : {r_best:.2f}")
        limit = min(n, 20_000 if smoke else 200_000)
        prep_rate = client_only(events, limit)
        print(
            "sectool client side alone (read + validate + encode to _bulk bytes, no node): "
            f"{prep_rate:,.0f} events/s"
        )
        result: dict[str, Any] = {
            "benchmark": "ingest",
            "environment": env.__dict__,
            "command": " ".join(command),
            "smoke": smoke,
            "events": n,
            "runs": [r.__dict__ | {"rate": r.rate} for r in runs],
            "ratio_same_settings": r_same,
            "ratio_best": r_best,
            "client_only_rate": prep_rate,
            "sectool_path": path_used,
            "cores": {"node": sorted(pinned[0]), "client": sorted(pinned[1])} if pinned else "shared",
        }
        if args.profile:
            sub = workdir / f"events-profile-{min(n, 100_000)}.jsonl"
            if not sub.exists():
                with events.open(encoding="utf-8") as fin, sub.open("w", encoding="utf-8") as fout:
                    fout.writelines(itertools.islice(fin, min(n, 100_000)))
            prepare(es, prefix_s, best_s.refresh)
            text = c.profile_text(
                lambda: run_sectool(url, sub, prefix_s, best_s.chunk, best_s.workers, best_s.refresh)
            )
            cleanup(es, prefix_s)
            print(c.save_profile("ingest-sectool", text, workdir if smoke else None))
            result["profile"] = text
        if not smoke or args.json:
            print(f"results: {c.write_results('ingest', result, args.json)}")
    finally:
        for p in (prefix_c, prefix_s):
            if smoke or not args.keep:
                cleanup(es, p)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        if args.split_cores:
            _pin_process(args.split_cores, os.sched_getaffinity(0) | (pinned[0] if pinned else set()))
    return 0


def _pin_process(pid: int, cpus: set[int]) -> None:
    """Every thread of ``pid`` onto ``cpus`` (threads started later inherit it)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            os.sched_setaffinity(int(task.name), cpus)
        except ProcessLookupError:  # a thread that ended meanwhile
            continue


def split_cores(node_pid: int) -> tuple[set[int], set[int]]:
    """Node on the last CPU, this process (and the threads it starts) on the others."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        raise SystemExit("--split-cores needs at least two CPUs")
    if not Path(f"/proc/{node_pid}").exists():
        raise SystemExit(f"--split-cores: no process {node_pid} (the node's pid: run-<port>/es.pid)")
    node, client = {cpus[-1]}, set(cpus[:-1])
    _pin_process(node_pid, node)
    os.sched_setaffinity(0, client)
    return node, client


if __name__ == "__main__":
    sys.exit(main())
