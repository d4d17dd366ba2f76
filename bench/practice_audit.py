"""Benchmark of the self-assessment core: scoring, SQLite submits under threads, admin export.

Run: .venv/bin/python bench/practice_audit.py [--clinics 500] [--threads 8]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sectool.practice_audit import Answer, Answers, AnswerValue, ClinicSize, Store, load_bank, score
from sectool.practice_audit.export import admin_csv


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clinics", type=int, default=500)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    bank = load_bank()
    size = ClinicSize.LARGE
    values = ["yes", "partly", "no"]
    questions = bank.questions_for(size)

    def value(i: int, k: int) -> str:
        v = values[(i + k) % 3]
        return "no" if v == "partly" and not questions[k].answer_type.allows(AnswerValue.PARTLY) else v

    answers = [
        Answers(answers={q.id: Answer(value=value(i, k)) for k, q in enumerate(questions)})
        for i in range(args.clinics)
    ]

    t0 = time.perf_counter()
    for a in answers:
        score(bank, a, size, as_of=date(2026, 3, 1))
    per_score = (time.perf_counter() - t0) / len(answers)
    print(f"score(): {per_score * 1e3:.2f} ms per clinic ({len(bank.questions_for(size))} questions)")

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.sqlite'}", bank=bank)
        now = datetime(2026, 3, 1, tzinfo=UTC)
        clinics = [
            store.ensure_clinic(
                clinic_name=f"Klinik {i}", provider_number=f"{100000 + i}", size=size, now=now
            )
            for i in range(args.clinics)
        ]
        latencies: list[float] = []

        def submit(i: int) -> None:
            start = time.perf_counter()
            store.submit(clinics[i].id, answers[i], now=now + timedelta(seconds=i))
            latencies.append(time.perf_counter() - start)

        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            list(pool.map(submit, range(args.clinics)))
        wall = time.perf_counter() - t0
        latencies.sort()
        median = statistics.median(latencies) * 1e3
        p95 = latencies[int(0.95 * len(latencies))] * 1e3
        print(
            f"submit(): {args.clinics} clinics, {args.threads} threads, SQLite WAL: "
            f"{args.clinics / wall:.0f}/s, median {median:.1f} ms, p95 {p95:.1f} ms"
        )
        t0 = time.perf_counter()
        rows = store.export_rows()
        text = admin_csv(rows, store.export_columns())
        took = (time.perf_counter() - t0) * 1e3
        print(f"export_rows() + CSV: {len(rows)} clinics in {took:.0f} ms ({len(text)} bytes)")
        t0 = time.perf_counter()
        store.list_clinics()
        print(f"list_clinics(): {(time.perf_counter() - t0) * 1e3:.0f} ms")
        store.close()


if __name__ == "__main__":
    main()
