"""Benchmark: detection. The Elasticsearch backend (aggregations pushed down, only buckets come
back) against pulling the raw events into pandas and running the pandas backend on them, for
each detector, on the same node and data in one run; and the pandas backend on local Parquet.

Data: a simulated day (``sectool traffic simulate``, seed 1, 24 h) replicated into 10,000,000
events: copy k of the day has its timestamps shifted by k x 36 min 7 ms, wrapped into the same
day, so the node holds the same network with many times its traffic (the number of hosts, pairs
and windows, and therefore of buckets, stays that of one day while the events grow). The first
1,000,000 documents go to ``<prefix>-1m``, the rest to ``<prefix>-9m``; ``<prefix>-1m`` is the
1M subset and ``<prefix>-*`` all 10M. The index uses sectool's mappings (``template.mappings()``).
It is built once (documents straight to ``_bulk``, ~10 min) and reused while it holds the count.

Paths, each detector in a fresh process (peak resident set = that detector on that path):

* ``es``: ``ElasticsearchBackend`` + ``run_detectors`` (what ``sectool traffic detect --es`` does);
* ``pull``: for every query, the raw events of its time range (only the fields it needs,
  ``_source`` through a point in time with ``search_after``, 10,000 per page) into one DataFrame,
  then ``PandasBackend.from_frame`` + ``run_detectors``: the issue's baseline;
* ``pull+filter``: the same with the detector's filter pushed down too, so that only the events
  the aggregation needs travel (the strongest pull: everything but the aggregation in ES);
* ``parquet``: ``PandasBackend`` over a local Parquet file of the 1M subset (chunked reads).

    SECTOOL_ES_URL=http://127.0.0.1:9260 .venv/bin/python bench/bench_detect.py --build-only   # index once
    SECTOOL_ES_URL=http://127.0.0.1:9260 .venv/bin/python bench/bench_detect.py                # measure
    ... --pull-size 10m           # also pull on all 10M (slow: tens of minutes)
    ... --smoke --es URL          # tiny, for the test suite (unique indices, deleted afterwards)

Goal (issue 7): the pushed-down path >= 20x faster than the pull path, client memory flat in
the number of events.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

SCRIPT = Path(__file__).resolve()
DEFAULT_WORKDIR = Path("/var/tmp/sectool-bench/detect")
DEFAULT_PREFIX = "sectool-bench-detect"
FULL = (1_000_000, 10_000_000)
SMOKE = (2_000, 6_000)
SHIFT_US = (36 * 60 + 0.007) * 1_000_000
DAY_US = 86_400 * 1_000_000
GOAL = 20.0
PAGE = 10_000


# ---------------------------------------------------------------------------------- the data
def base_day(smoke: bool) -> tuple[list[dict[str, Any]], datetime, datetime]:
    """The simulated day's events (flat), and the range they cover."""
    from sectool.traffic.simulate import simulate

    sim = simulate(1, hours=1 if smoke else 24)
    events = list(sim.events())
    if smoke:
        events = events[: SMOKE[0] // 2]
    return events, sim.start, sim.start + timedelta(hours=sim.hours)


def _iso(us: int) -> str:
    sec, frac = divmod(us, 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{frac:06d}Z"


def replicated(events: list[dict[str, Any]], start: datetime, span_us: int) -> Iterator[tuple[int, int, str]]:
    """(copy, number, JSON source) of the day repeated forever, copy k shifted by k x SHIFT_US (wrapped)."""
    from sectool.traffic.es.bulk import to_action

    t0 = int(start.timestamp() * 1_000_000)
    parts: list[tuple[int, str]] = []
    for ev in events:
        src = to_action("x", ev)["_source"]
        src.pop("@timestamp")
        rest = json.dumps(src, separators=(",", ":"), ensure_ascii=False)
        us = round(ev["@timestamp"].timestamp() * 1_000_000) - t0
        parts.append((us, rest[1:]))
    for k in itertools.count():
        shift = round(k * SHIFT_US)
        for i, (us, rest) in enumerate(parts):
            ts = t0 + (us + shift) % span_us
            yield (
                k,
                i,
                f'{{"@timestamp":"{_iso(ts)}",{rest}' if rest != "}" else f'{{"@timestamp":"{_iso(ts)}"}}',
            )


def local_frame_events(
    events: list[dict[str, Any]], start: datetime, span_us: int, n: int
) -> Iterator[dict[str, Any]]:
    """The first ``n`` replicated events as flat dicts (for the Parquet file of the subset)."""
    t0 = int(start.timestamp() * 1_000_000)
    made = 0
    for k in itertools.count():
        shift = round(k * SHIFT_US)
        for ev in events:
            if made >= n:
                return
            us = round(ev["@timestamp"].timestamp() * 1_000_000) - t0
            ts = t0 + (us + shift) % span_us
            yield {**ev, "@timestamp": datetime.fromtimestamp(ts / 1_000_000, tz=UTC)}
            made += 1


def count(es: Any, index: str) -> int:
    resp = es.options(ignore_status=404).count(index=index)
    return int(resp.get("count", 0)) if resp.meta.status == 200 else -1


def build_index(
    url: str, prefix: str, sizes: tuple[int, int], smoke: bool, workers: int = 2
) -> dict[str, Any]:
    """Index the replicated events unless ``<prefix>-1m`` and ``<prefix>-9m`` hold them already."""
    import urllib3

    from sectool.traffic.es.template import mappings

    es = c.es_client(url)
    small, total = sizes
    names = (f"{prefix}-1m", f"{prefix}-9m")
    want = (small, total - small)
    if all(count(es, n) == w for n, w in zip(names, want, strict=True)):
        return {"indexed": 0, "seconds": 0.0, "reused": True}
    for name in names:
        es.options(ignore_status=404).indices.delete(index=name)
        es.indices.create(
            index=name,
            settings={"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "-1"},
            mappings=mappings(),
        )
    events, start, end = base_day(smoke)
    span = int((end - start).total_seconds() * 1_000_000)
    pool = urllib3.PoolManager(maxsize=workers, block=True, retries=False)
    target = f"{url.rstrip('/')}/_bulk?filter_path=errors,items.*.error"
    headers = {"Content-Type": "application/x-ndjson"}
    chunk = 5_000
    lock = threading.Lock()
    failure: list[BaseException] = []
    docs = replicated(events, start, span)
    done = [0]

    def bodies() -> Iterator[bytes]:
        made = 0
        while made < total:
            lines = []
            for k, i, src in itertools.islice(
                docs, min(chunk, total - made, small - made if made < small else chunk)
            ):
                index = names[0] if made < small else names[1]
                lines.append(f'{{"create":{{"_index":"{index}","_id":"{k}-{i}"}}}}\n{src}\n')
                made += 1
            yield "".join(lines).encode("utf-8")

    feed = bodies()

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
                    time.sleep(1)
                answer = json.loads(resp.data)
                if resp.status >= 300 or answer.get("errors"):
                    raise RuntimeError(f"bulk failed: HTTP {resp.status} {resp.data[:300]!r}")
                with lock:
                    done[0] += body.count(b"\n") // 2
                    if not smoke and done[0] % 500_000 < chunk:
                        print(f"   indexed {done[0]:,}", flush=True)
        except BaseException as exc:
            failure.append(exc)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failure:
        raise failure[0]
    for name in names:
        es.indices.put_settings(index=name, settings={"index": {"refresh_interval": "5s"}})
        es.indices.refresh(index=name)
    seconds = time.perf_counter() - t0
    got = tuple(count(es, n) for n in names)
    if got != want:
        raise RuntimeError(f"indexed {got}, expected {want}")
    return {"indexed": total, "seconds": seconds, "reused": False}


# ------------------------------------------------------------------------------ the pull path
class PullBackend:
    """The baseline: pull the raw events a query reads into pandas, then the pandas backend.

    The events of the query's time range travel (with ``push_filter`` only those that also pass
    the detector's filter: the strongest pull, which pushes everything down but the
    aggregation), ``_source`` cut to the fields the query needs, pages of 10,000 hits through a
    point in time with ``search_after`` (no scroll context), ``_shard_doc`` order. The pandas
    backend itself is the one sectool ships.
    """

    def __init__(self, es: Any, index: str, *, push_filter: bool = False, page: int = PAGE) -> None:
        self.es = es
        self.index = index
        self.push_filter = push_filter
        self.page = page
        self.pulled = 0

    def run(self, query: Any, since: datetime, until: datetime) -> Any:
        from sectool.traffic.detect.backends.es import query_dsl
        from sectool.traffic.detect.backends.es_query import time_range
        from sectool.traffic.detect.backends.local import PandasBackend

        dsl = (
            query_dsl(query, since, until)
            if self.push_filter
            else time_range(*query.read_range(since, until))
        )
        frame = self.pull(dsl, sorted(query.fields))
        self.pulled += len(frame)
        return PandasBackend.from_frame(frame).run(query, since, until)

    def pull(self, dsl: dict[str, Any], fields: list[str]) -> Any:
        from sectool.traffic.ecs import flatten

        columns: dict[str, list[Any]] = {f: [] for f in fields}
        pit = self.es.open_point_in_time(index=self.index, keep_alive="2m")["id"]
        after: list[Any] | None = None
        n = 0
        try:
            while True:
                body: dict[str, Any] = {
                    "size": self.page,
                    "query": dsl,
                    "_source": fields,
                    "pit": {"id": pit, "keep_alive": "2m"},
                    "sort": [{"_shard_doc": "asc"}],
                    "track_total_hits": False,
                }
                if after is not None:
                    body["search_after"] = after
                resp = self.es.search(**body)
                hits = resp["hits"]["hits"]
                if not hits:
                    break
                for hit in hits:
                    flat = flatten(hit["_source"])
                    for f, col in columns.items():
                        col.append(flat.get(f))
                n += len(hits)
                pit = resp.get("pit_id", pit)
                after = hits[-1]["sort"]
        finally:
            self.es.close_point_in_time(id=pit)
        return _frame(columns, n)


def _frame(columns: dict[str, list[Any]], n: int) -> Any:
    """Columns as the pandas backend expects them (as ``localstore`` reads them from files)."""
    import pandas as pd

    from sectool.traffic.ecs import FIELDS, MULTI_VALUED

    data: dict[str, Any] = {}
    for f, values in columns.items():
        kind = FIELDS.get(f)
        if kind == "date":
            data[f] = pd.to_datetime(pd.Series(values, dtype="object"), utc=True, format="ISO8601").astype(
                "datetime64[ns, UTC]"
            )
        elif kind == "long":
            data[f] = pd.array(values, dtype="Int64")
        elif f in MULTI_VALUED:
            data[f] = pd.Series(
                [v if v is None or isinstance(v, list) else [v] for v in values], dtype="object"
            )
        else:
            data[f] = pd.Series(values, dtype="str")
    return pd.DataFrame(data, index=pd.RangeIndex(n))


# ------------------------------------------------------------------------------- the children
def detect_child(
    path: str, source: str, detectors: list[str], since: datetime, until: datetime, url: str
) -> None:
    """Run ``detectors`` on one path and print times, buckets, findings and memory."""
    import pandas  # noqa: F401

    from sectool.traffic.detect.backends.es import ElasticsearchBackend
    from sectool.traffic.detect.backends.local import PandasBackend
    from sectool.traffic.detect.config import DetectConfig
    from sectool.traffic.detect.detectors import build_detectors
    from sectool.traffic.detect.engine import run_detectors

    config = DetectConfig()
    specs = build_detectors(config, detectors)
    backend: Any
    if path == "parquet":
        backend = PandasBackend([Path(source)])
    else:
        es = c.es_client(url, request_timeout=600)
        es.cluster.health()  # the connection is set up before the base is taken
        if path == "es":
            backend = ElasticsearchBackend(es, source)
        else:
            backend = PullBackend(es, source, push_filter=path == "pullf")
    base = c.rss_now_mib()
    per: dict[str, Any] = {}
    for spec in specs:
        pulled = getattr(backend, "pulled", 0)
        if path != "parquet":
            # Cold shard request cache: size-0 aggregations are cached, and a repeat must not look fast.
            es.indices.clear_cache(index=source, request=True)
        t0 = time.perf_counter()
        run = run_detectors([spec], backend, since=since, until=until, config=config)
        per[spec.name] = {
            "seconds": time.perf_counter() - t0,
            "buckets": run.buckets.get(spec.name, 0),
            "findings": sorted(f.id for f in run.findings),
            "skipped": run.skipped.get(spec.name),
            "pulled": getattr(backend, "pulled", 0) - pulled,
            "rss_peak_mib": c.rss_peak_mib(),
        }
    c.child_answer({"path": path, "source": source, "detectors": per}, base_mib=base)


def measure(
    path: str, source: str, detectors: list[str], since: datetime, until: datetime, url: str, isolate: bool
) -> dict[str, dict[str, Any]]:
    """Per detector: seconds, buckets, findings, work memory (one process per detector if ``isolate``)."""
    groups = [[d] for d in detectors] if isolate else [detectors]
    out: dict[str, dict[str, Any]] = {}
    for group in groups:
        answer = c.run_child(
            SCRIPT,
            [
                "--child",
                path,
                source,
                ",".join(group),
                since.isoformat(),
                until.isoformat(),
                "--es",
                url or "",
            ],
        )
        for name, r in answer["detectors"].items():
            r["work_mib"] = (r["rss_peak_mib"] if isolate else answer["rss_peak_mib"]) - answer[
                "rss_base_mib"
            ]
            out[name] = r
    return out


def parquet_subset(workdir: Path, n: int, smoke: bool) -> Path:
    """The first ``n`` replicated events (the ``-1m`` index's documents) as a local Parquet file."""
    from sectool.traffic.localstore import write_events

    path = workdir / f"events-{n}.parquet"
    if not path.exists():
        events, start, end = base_day(smoke)
        span = int((end - start).total_seconds() * 1_000_000)
        workdir.mkdir(parents=True, exist_ok=True)
        write_events(path, local_frame_events(events, start, span, n))
    return path


def day_range(smoke: bool) -> tuple[datetime, datetime]:
    from sectool.traffic.simulate import DEFAULT_START

    return DEFAULT_START, DEFAULT_START + timedelta(hours=1 if smoke else 24)


def _label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n:,}"


# ---------------------------------------------------------------------------------------- main
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds), for the test suite")
    parser.add_argument("--es", help="Elasticsearch URL (default: SECTOOL_ES_URL)")
    parser.add_argument("--prefix", help=f"index prefix (default {DEFAULT_PREFIX}; smoke: unique)")
    parser.add_argument("--detectors", help="comma list (default: all nine)")
    parser.add_argument(
        "--pull-size",
        choices=("1m", "10m"),
        default="1m",
        help="pull on the 1M subset (extrapolated x10, and said so) or on all 10M",
    )
    parser.add_argument("--build-only", action="store_true", help="index the data and stop")
    parser.add_argument("--no-isolate", action="store_true", help="one process per path, not per detector")
    parser.add_argument("--skip", default="", help="comma list of paths to skip: es, pull, pullf, parquet")
    parser.add_argument("--workdir", type=Path, help=f"data cache (default {DEFAULT_WORKDIR})")
    parser.add_argument(
        "--profile", action="store_true", help="pyinstrument profiles of the es and parquet paths"
    )
    parser.add_argument("--json", type=Path, help="results file (default bench/results/detect.json)")
    parser.add_argument(
        "--child", nargs=5, metavar=("PATH", "SOURCE", "DETECTORS", "SINCE", "UNTIL"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    url = args.es or os.environ.get("SECTOOL_ES_URL") or ""
    if args.child:
        path, source, names, since_s, until_s = args.child
        detect_child(
            path,
            source,
            names.split(","),
            datetime.fromisoformat(since_s),
            datetime.fromisoformat(until_s),
            url,
        )
        return 0
    if not url:
        parser.error("no Elasticsearch URL: --es URL or SECTOOL_ES_URL")

    from sectool.traffic.detect.detectors import DETECTORS

    env = c.Environment.now()
    command = ["bench/bench_detect.py", *(argv if argv is not None else sys.argv[1:])]
    c.header("detection: Elasticsearch aggregations vs pulling raw events into pandas", env, command)
    smoke = args.smoke
    small, total = SMOKE if smoke else FULL
    prefix = args.prefix or (f"{DEFAULT_PREFIX}-{c.bench_suffix()}" if smoke else DEFAULT_PREFIX)
    detectors = args.detectors.split(",") if args.detectors else list(DETECTORS)
    unknown = sorted(set(detectors) - set(DETECTORS))
    if unknown:
        parser.error(f"unknown detectors: {', '.join(unknown)}")
    skip = {s for s in args.skip.split(",") if s}
    isolate = not (args.no_isolate or smoke)
    tmp = Path(tempfile.mkdtemp(prefix="sectool-bench-detect-")) if smoke and not args.workdir else None
    workdir = args.workdir or tmp or DEFAULT_WORKDIR
    es = c.es_client(url)
    try:
        built = build_index(url, prefix, (small, total), smoke)
        state = "reused" if built["reused"] else f"indexed in {built['seconds']:.0f} s"
        print(
            f"   data: {prefix}-1m ({small:,}) + {prefix}-9m ({total - small:,}) = {total:,} events ({state})"
        )
        if args.build_only:
            return 0
        since, until = day_range(smoke)
        sub, everything = f"{prefix}-1m", f"{prefix}-*"
        pull_source, pull_n = (everything, total) if args.pull_size == "10m" else (sub, small)
        res: dict[str, dict[str, dict[str, Any]]] = {}

        def run(key: str, path: str, source: str) -> None:
            with c.timed() as t:
                res[key] = measure(path, source, detectors, since, until, url, isolate)
            print(f"   {key}: {t.seconds:.0f} s", flush=True)

        if "es" not in skip:
            run("es@small", "es", sub)
            run("es@total", "es", everything)
        if "pull" not in skip:
            run("pull", "pull", pull_source)
        if "pullf" not in skip:
            run("pullf", "pullf", pull_source)
        if "parquet" not in skip:
            with c.timed() as t:
                parquet = parquet_subset(workdir, small, smoke)
            print(f"   parquet file {parquet} ready ({t.seconds:.0f} s, not timed)")
            run("parquet", "parquet", str(parquet))

        S, T = _label(small), _label(total)
        factor = total / pull_n
        rows = []
        speedups = []
        for d in detectors:
            es_s, es_t = res.get("es@small", {}).get(d), res.get("es@total", {}).get(d)
            pull = res.get("pull", {}).get(d)
            pullf = res.get("pullf", {}).get(d)
            pull_total = pull["seconds"] * factor if pull else None
            pullf_total = pullf["seconds"] * factor if pullf else None
            speed = c.ratio(pull_total, es_t["seconds"]) if pull_total and es_t else None
            speedf = c.ratio(pullf_total, es_t["seconds"]) if pullf_total and es_t else None
            if speed is not None:
                speedups.append(speed)
            es_same = es_s if pull_n == small else es_t
            same = None
            if es_same is not None and (pull or pullf):
                same = all(p["findings"] == es_same["findings"] for p in (pull, pullf) if p)
            rows.append(
                [
                    d,
                    f"{es_s['seconds']:.2f}" if es_s else "-",
                    f"{es_t['seconds']:.2f}" if es_t else "-",
                    f"{pull['seconds']:.1f}" if pull else "-",
                    c.fmt_num(pull["pulled"]) if pull else "-",
                    (f"{pull_total:.0f}" + ("*" if factor != 1 else "")) if pull_total else "-",
                    f"{speed:.0f}x" if speed else "-",
                    f"{pullf['seconds']:.1f}" if pullf else "-",
                    c.fmt_num(pullf["pulled"]) if pullf else "-",
                    f"{speedf:.0f}x" if speedf else "-",
                    f"{es_s['work_mib']:.0f}" if es_s else "-",
                    f"{es_t['work_mib']:.0f}" if es_t else "-",
                    f"{pull['work_mib']:.0f}" if pull else "-",
                    es_t["buckets"] if es_t else "-",
                    ("same" if same else "DIFFER") if same is not None else "-",
                ]
            )
        print(
            c.table(
                [
                    "detector",
                    f"es {S} s",
                    f"es {T} s",
                    f"pull {_label(pull_n)} s",
                    "events pulled",
                    f"pull {T} s",
                    "speed-up",
                    f"pull+filter {_label(pull_n)} s",
                    "pulled",
                    "speed-up+f",
                    f"es {S} MiB",
                    f"es {T} MiB",
                    f"pull {_label(pull_n)} MiB",
                    f"buckets {T}",
                    "findings es/pull",
                ],
                rows,
            )
        )
        if factor != 1:
            print(
                f"   * pull {T} = pull {_label(pull_n)} x {factor:.0f} (extrapolated: the pull is linear "
                f"in the events it transfers; measured on {_label(pull_n)})"
            )
        if speedups:
            low, mid = min(speedups), sorted(speedups)[len(speedups) // 2]
            met = sum(1 for s in speedups if s >= GOAL)
            print(
                f"pushed down vs pull at {T}: min {low:.1f}x, median {mid:.0f}x; goal >= {GOAL:.0f}x met by "
                f"{met} of {len(speedups)} detectors ({c.verdict(low >= GOAL)} for every detector)"
            )
        if "es@small" in res and "es@total" in res:
            grow = [res["es@total"][d]["work_mib"] - res["es@small"][d]["work_mib"] for d in detectors]
            print(
                f"es client memory {S} -> {T} events: largest growth {max(grow):+.0f} MiB "
                f"(events x{total // small})"
            )
        if "parquet" in res:
            prow = []
            for d in detectors:
                r = res["parquet"][d]
                prow.append(
                    [
                        d,
                        f"{r['seconds']:.2f}",
                        c.fmt_num(small / r["seconds"]),
                        f"{r['work_mib']:.0f}",
                        f"{r['work_mib'] / (small / 1e6):.0f}",
                        r["buckets"],
                    ]
                )
            tot = sum(res["parquet"][d]["seconds"] for d in detectors)
            prow.append(["all (sum)", f"{tot:.2f}", c.fmt_num(small * len(detectors) / tot), "", "", ""])
            print(
                c.table(
                    ["pandas on Parquet", "seconds", "events/s", "work MiB", "MiB per 1M events", "buckets"],
                    prow,
                )
            )
        result: dict[str, Any] = {
            "benchmark": "detect",
            "environment": env.__dict__,
            "command": " ".join(command),
            "smoke": smoke,
            "events": {"small": small, "total": total, "pulled_from": pull_n},
            "range": [since.isoformat(), until.isoformat()],
            "results": res,
        }
        if args.profile:
            # On the subset: the same shape of work, a fraction of the wait.
            result["profiles"] = profiles(url, sub, detectors, since, until, workdir, smoke, small)
        if not smoke or args.json:
            print(f"results: {c.write_results('detect', result, args.json)}")
    finally:
        if smoke:
            es.options(ignore_status=404).indices.delete(index=f"{prefix}-*", expand_wildcards="all")
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def profiles(
    url: str,
    index: str,
    detectors: list[str],
    since: datetime,
    until: datetime,
    workdir: Path,
    smoke: bool,
    small: int,
) -> dict[str, str]:
    """pyinstrument call trees of the ES path and the Parquet path (all detectors, in this process)."""
    from sectool.traffic.detect.backends.es import ElasticsearchBackend
    from sectool.traffic.detect.backends.local import PandasBackend
    from sectool.traffic.detect.config import DetectConfig
    from sectool.traffic.detect.detectors import build_detectors
    from sectool.traffic.detect.engine import run_detectors

    config = DetectConfig()
    specs = build_detectors(config, detectors)
    es = c.es_client(url, request_timeout=600)
    out = {}
    backends: list[tuple[str, Any]] = [
        ("detect-es", ElasticsearchBackend(es, index)),
        ("detect-parquet", PandasBackend([parquet_subset(workdir, small, smoke)])),
    ]
    for name, backend in backends:

        def work(b: Any = backend) -> Any:
            return run_detectors(specs, b, since=since, until=until, config=config)

        text = c.profile_text(work)
        print(c.save_profile(name, text, workdir if smoke else None))
        out[name] = text
    return out


if __name__ == "__main__":
    sys.exit(main())
