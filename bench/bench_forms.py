"""Benchmark: what the forum and the clinics receive. The clinic self-assessment web app under
200 concurrent clinics, and the forum report for 500 clinics, 200 risks and 50,000 findings.

Web app: ``sectool audit serve`` (uvicorn, one process, SQLite) runs in its own process on
127.0.0.1; an asyncio client (httpx) plays N clinics at once, each in its own session with its
own cookies and connection, doing what a clinic does: open the form, save a draft with half of
the answers, reload the form, submit every answer, open the result page. Latency per request
(p50, p99, max) by step, requests per second, and errors (any unexpected status or transport
error; the goal is none). The ceiling, measured on the same server in the same run with the
same concurrency: a static file (the server's floor per request).

Report: the report engineer's ``bench/bench_report.py`` (its ``run``: build, HTML, Markdown,
JSON, PDF against a baseline), not duplicated here.

    .venv/bin/python bench/bench_forms.py                  # 200 clinics; report 500/200/50,000
    .venv/bin/python bench/bench_forms.py --profile        # also pyinstrument profiles
    .venv/bin/python bench/bench_forms.py --smoke          # tiny, for the test suite
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

SECRET = "bench-forms-admin-secret-0123456789"
CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
STEPS = ("form", "save draft", "reload", "submit", "result")
FULL_CLINICS = 200
SMOKE_CLINICS = 6


# ------------------------------------------------------------------------------------ server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, port: int, profile: Path | None = None) -> subprocess.Popen[bytes]:
    """``sectool audit serve`` in its own process (under pyinstrument if ``profile``), once it answers."""
    import httpx

    env = {**os.environ, "SECTOOL_AUDIT_ADMIN_TOKEN": SECRET}
    runner = ["-m", "pyinstrument", "--no-color", "-o", str(profile), "-m"] if profile else ["-m"]
    cmd = [
        sys.executable,
        *runner,
        "sectool.cli",
        "audit",
        "serve",
        "--db",
        f"sqlite:///{db}",
        "--port",
        str(port),
    ]
    log = db.with_name("server.log")
    with log.open("wb") as fh:  # the child keeps its own handle
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=fh)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(errors='replace')[-500:]}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/static/style.css", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start within 60 s")


def invite(base: str, n: int) -> list[str]:
    """``n`` invitation tokens through the admin API (not timed)."""
    import httpx

    tokens = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for i in range(n):
            body = {
                "clinic_name": f"Benchmark clinic {i}",
                "provider_number": f"BF{i:05d}",
                "size": "partnership",
            }
            r = client.post(
                "/api/v1/admin/invitations", json=body, headers={"Authorization": f"Bearer {SECRET}"}
            )
            r.raise_for_status()
            tokens.append(r.json()["token"])
    return tokens


# ----------------------------------------------------------------------------------- clients
class Tally:
    """Latencies per step and errors."""

    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = {}
        self.errors: list[str] = []

    def add(self, step: str, seconds: float) -> None:
        self.latency.setdefault(step, []).append(seconds)


async def _timed(tally: Tally, step: str, coro: Any, expect: int) -> Any:
    t0 = time.perf_counter()
    try:
        r = await coro
    except Exception as exc:  # any transport error counts, the run goes on
        tally.errors.append(f"{step}: {type(exc).__name__}: {exc}")
        return None
    tally.add(step, time.perf_counter() - t0)
    if r.status_code != expect:
        tally.errors.append(f"{step}: HTTP {r.status_code} (expected {expect})")
        return None
    return r


async def clinic_session(
    base: str, token: str, answers: dict[str, str], tally: Tally, start: asyncio.Event
) -> None:
    """One clinic: form, draft with half the answers (303 back to the form), reload, submit, result."""
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=300) as client:
        await start.wait()
        page = await _timed(tally, "form", client.get(f"/c/{token}"), 200)
        if page is None:
            return
        csrf = CSRF.search(page.text)
        if csrf is None:
            tally.errors.append("form: no CSRF token in the page")
            return
        half = dict(list(answers.items())[: len(answers) // 2])
        data = {"csrf_token": csrf.group(1), "action": "save", **half}
        if await _timed(tally, "save draft", client.post(f"/c/{token}", data=data), 303) is None:
            return
        page = await _timed(tally, "reload", client.get(f"/c/{token}"), 200)
        if page is None:
            return
        csrf = CSRF.search(page.text)
        data = {"csrf_token": csrf.group(1) if csrf else "", "action": "submit", **answers}
        if await _timed(tally, "submit", client.post(f"/c/{token}", data=data), 303) is None:
            return
        await _timed(tally, "result", client.get(f"/c/{token}/result"), 200)


async def static_load(base: str, clients: int, per_client: int, tally: Tally) -> None:
    """The ceiling: ``clients`` sessions fetching a static file ``per_client`` times each."""
    import httpx

    async def one() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=300) as client:
            for _ in range(per_client):
                await _timed(tally, "static file", client.get("/static/style.css"), 200)

    await asyncio.gather(*(one() for _ in range(clients)))


async def clinics_load(base: str, tokens: list[str], answers: dict[str, str], tally: Tally) -> None:
    start = asyncio.Event()
    tasks = [asyncio.create_task(clinic_session(base, t, answers, tally, start)) for t in tokens]
    await asyncio.sleep(0.2)  # every session created, then all start at once
    start.set()
    await asyncio.gather(*tasks)


def form_answers() -> dict[str, str]:
    from sectool.practice_audit import ClinicSize, load_bank

    questions = load_bank().questions_for(ClinicSize.PARTNERSHIP)
    data = {f"a:{q.id}": "yes" for q in questions}
    data |= {f"j:{q.id}": "Begrundelse for svaret, skrevet af klinikken." for q in questions}
    return data


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ---------------------------------------------------------------------------------------- main
def web(clinics: int, smoke: bool, profile: bool = False) -> dict[str, Any]:
    answers = form_answers()
    tmp = Path(tempfile.mkdtemp(prefix="sectool-bench-forms-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_profile = tmp / "server.profile.txt" if profile else None
    proc = start_server(tmp / "audit.sqlite", port, server_profile)
    try:
        tokens = invite(base, clinics)
        ceiling, load = Tally(), Tally()
        with c.timed() as t_static:
            asyncio.run(static_load(base, clinics, len(STEPS), ceiling))
        with c.timed() as t_load:
            asyncio.run(clinics_load(base, tokens, answers, load))
    finally:
        # SIGINT: uvicorn shuts down cleanly and pyinstrument (if any) writes its report.
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if server_profile is not None and server_profile.exists():
            text = server_profile.read_text(encoding="utf-8")
            print(c.save_profile("forms-server", text, None if not smoke else tmp))
        shutil.rmtree(tmp, ignore_errors=True)
    rows = []
    summary: dict[str, Any] = {}
    all_clinic = [x for s in STEPS for x in load.latency.get(s, [])]
    for name, values in [
        *((s, load.latency.get(s, [])) for s in STEPS),
        ("all clinic requests", all_clinic),
        ("static file (ceiling)", ceiling.latency.get("static file", [])),
    ]:
        if not values:
            rows.append([name, 0, "-", "-", "-"])
            continue
        p50, p99, mx = statistics.median(values), pct(values, 0.99), max(values)
        summary[name] = {
            "requests": len(values),
            "p50_ms": p50 * 1e3,
            "p99_ms": p99 * 1e3,
            "max_ms": mx * 1e3,
        }
        rows.append([name, len(values), f"{p50 * 1e3:.0f}", f"{p99 * 1e3:.0f}", f"{mx * 1e3:.0f}"])
    print(c.table(["request", "count", "p50 ms", "p99 ms", "max ms"], rows))
    rps, rps_static = (
        len(all_clinic) / t_load.seconds,
        len(ceiling.latency.get("static file", [])) / t_static.seconds,
    )
    print(
        f"{clinics} concurrent clinics: {len(all_clinic):,} requests in {t_load.seconds:.1f} s "
        f"({rps:.0f}/s); static file at the same concurrency {rps_static:.0f}/s; "
        f"clinic/static {c.ratio(rps, rps_static):.2f}"
    )
    errors = load.errors + ceiling.errors
    print(
        f"errors: {len(errors)}"
        + (f" (first: {errors[0]})" if errors else "")
        + f" (goal 0: {c.verdict(not errors)})"
    )
    return {
        "clinics": clinics,
        "latency": summary,
        "requests_per_s": rps,
        "static_requests_per_s": rps_static,
        "seconds": t_load.seconds,
        "errors": errors[:20],
        "error_count": len(errors),
    }


def report(smoke: bool) -> dict[str, Any]:
    """The report engineer's benchmark (``bench/bench_report.py``'s ``run``), summarised."""
    import bench_report

    sizes = bench_report.SMOKE if smoke else bench_report.FULL
    res = bench_report.run(sizes, pdf=not smoke, scale=())
    print(
        f"forum report: {sizes['clinics']} clinics, {sizes['risks']} risks, {sizes['findings']:,} findings "
        "(bench/bench_report.py)"
    )
    print(c.table(["stage", "seconds"], [[k, f"{v:.3f}"] for k, v in res["stages"].items()]))
    print(f"build vs baseline (one JSON dump of the input): {res['build_vs_baseline']:.2f}x")
    return {"sizes": sizes, **res}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds), for the test suite")
    parser.add_argument("--clinics", type=int, help=f"concurrent clinics (default {FULL_CLINICS})")
    parser.add_argument("--skip-report", action="store_true", help="only the web app")
    parser.add_argument(
        "--profile", action="store_true", help="pyinstrument: the server under load, the report build"
    )
    parser.add_argument("--json", type=Path, help="results file (default bench/results/forms.json)")
    args = parser.parse_args(argv)
    env = c.Environment.now()
    command = ["bench/bench_forms.py", *(argv if argv is not None else sys.argv[1:])]
    c.header("reports and forms: clinic web app under concurrent clinics; forum report", env, command)
    clinics = args.clinics or (SMOKE_CLINICS if args.smoke else FULL_CLINICS)
    result: dict[str, Any] = {
        "benchmark": "forms",
        "environment": env.__dict__,
        "command": " ".join(command),
        "smoke": args.smoke,
        "web": web(clinics, args.smoke, args.profile),
    }
    if not args.skip_report:
        result["report"] = report(args.smoke)
    if args.profile:
        result["profile"] = profile_report(args.smoke)
    if not args.smoke or args.json:
        print(f"results: {c.write_results('forms', result, args.json)}")
    return 0 if result["web"]["error_count"] == 0 else 1


def profile_report(smoke: bool) -> str:
    import bench_report

    from sectool.report.build import build_report
    from sectool.report.indicators import load_config
    from sectool.report.model import parse_period
    from sectool.report.render_html import render_html
    from sectool.report.sample import sample_data

    sizes = bench_report.SMOKE if smoke else bench_report.FULL
    data = sample_data(
        period=parse_period("2026-Q4"),
        clinics=sizes["clinics"],
        risks=sizes["risks"],
        findings=sizes["findings"],
    )
    config = load_config()
    text = c.profile_text(lambda: render_html(build_report(data, config), "en"))
    if not smoke:
        print(c.save_profile("report-build-html", text))
    return text


if __name__ == "__main__":
    sys.exit(main())
