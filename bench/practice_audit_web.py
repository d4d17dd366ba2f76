"""Benchmark of the clinic web app over real HTTP (``sectool audit serve`` in its own process).

Measures, against ceilings taken in the same run on the same server:

* page latency: the clinic form (55 questions rendered) vs a static file (the server's floor);
* concurrent submissions: N clinics posting the whole form at once through the HTML form,
  vs the same submissions straight into the store (the database's ceiling).

Run: .venv/bin/python bench/practice_audit_web.py [--clinics 200] [--threads 50] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from sectool.practice_audit import Answer, Answers, ClinicSize, Store, load_bank

SECRET = "bench-admin-secret-0123456789abcdef"
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(db: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SECTOOL_AUDIT_ADMIN_TOKEN": SECRET}
    cmd = [sys.executable, "-m", "sectool.cli", "audit", "serve", "--db", db, "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/static/style.css", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _latency(client: httpx.Client, path: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get(path)
        times.append(time.perf_counter() - t0)
        assert r.status_code == 200, r.status_code
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clinics", type=int, default=200)
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument(
        "--requests", type=int, default=200, help="sequential requests for the latency figures"
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (the test suite runs this)")
    args = parser.parse_args()
    if args.smoke:
        args.clinics, args.threads, args.requests = 4, 2, 5

    bank = load_bank()
    size = ClinicSize.PARTNERSHIP
    questions = bank.questions_for(size)
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'web.sqlite'}"
        port = _free_port()
        proc = _start(db, port)
        base = f"http://127.0.0.1:{port}"
        admin = {"Authorization": f"Bearer {SECRET}"}
        try:
            with httpx.Client(base_url=base, timeout=120) as client:
                tokens = []
                for i in range(args.clinics):
                    body = {"clinic_name": f"Bench {i}", "provider_number": f"B{i}", "size": size.value}
                    r = client.post("/api/v1/admin/invitations", json=body, headers=admin)
                    tokens.append(r.json()["token"])
                static = _latency(client, "/static/style.css", args.requests)
                form = _latency(client, f"/c/{tokens[0]}", args.requests)

            def submit(token: str) -> float:
                with httpx.Client(base_url=base, timeout=120) as c:
                    csrf = _CSRF.search(c.get(f"/c/{token}").text)
                    assert csrf
                    data = {"csrf_token": csrf.group(1), "action": "submit"}
                    data |= {f"a:{q.id}": "yes" for q in questions}
                    data |= {f"j:{q.id}": "begrundelse " * 5 for q in questions}
                    t0 = time.perf_counter()
                    r = c.post(f"/c/{token}", data=data)
                    elapsed = time.perf_counter() - t0
                    assert r.status_code == 303, r.status_code
                    return elapsed

            t0 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.threads) as pool:
                per_request = list(pool.map(submit, tokens))
            http_wall = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(timeout=30)

        store = Store(f"sqlite:///{Path(tmp) / 'direct.sqlite'}", bank=bank)
        now = datetime(2026, 3, 1, tzinfo=UTC)
        ids = [
            store.create_invitation(
                clinic_name=f"D{i}",
                provider_number=f"D{i}",
                size=size,
                expires_at=now + timedelta(days=1),
                now=now,
            )[0].id
            for i in range(args.clinics)
        ]
        answers = Answers(
            answers={q.id: Answer(value="yes", justification="begrundelse " * 5) for q in questions}
        )
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            list(pool.map(lambda cid: store.submit(cid, answers, now=now), ids))
        direct_wall = time.perf_counter() - t0
        store.close()

    ms = 1000
    print(
        f"clinic form page ({len(questions)} questions): p50 {statistics.median(form) * ms:.1f} ms, "
        f"p95 {_pct(form, 0.95) * ms:.1f} ms; static file p50 {statistics.median(static) * ms:.1f} ms "
        f"(form/static {statistics.median(form) / statistics.median(static):.1f}x)"
    )
    print(
        f"{args.clinics} clinics submitting the whole form over HTTP, {args.threads} at a time: "
        f"{http_wall:.2f} s wall, {args.clinics / http_wall:.0f} submissions/s, per request p50 "
        f"{statistics.median(per_request) * ms:.0f} ms, p95 {_pct(per_request, 0.95) * ms:.0f} ms"
    )
    print(
        f"same submissions straight into the store: {direct_wall:.2f} s "
        f"({args.clinics / direct_wall:.0f}/s); "
        f"HTTP + form parsing + rendering cost {http_wall / direct_wall:.1f}x the database work"
    )


if __name__ == "__main__":
    main()
