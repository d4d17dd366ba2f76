"""Scorer of the password-guessing detector: brute force, spraying, distributed guessing on
one account, and a success after many failures (a likely compromise)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sectool.traffic.detect.findings import Finding
from sectool.traffic.detect.scoring import (
    ScoreContext,
    clip01,
    make_finding,
    query_of,
    rows,
    scorer,
    to_datetime,
    windows,
)
from sectool.traffic.detect.spec import WINDOW_START, DetectorSpec

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["attempts_bonus", "weighted_failures"]

ATTEMPTS = "zeek.ssh.auth_attempts"
#: Score of a success after failures: a real login record, or a session guessed from flow shape.
COMPROMISE_SCORE = {True: 0.95, False: 0.8}


def attempts_bonus(table: pd.DataFrame) -> dict[tuple[str, datetime], float]:
    """Per (source, window): the tries beyond the first inside failed connections
    (``auth_attempts`` of 3 adds 2; 0 or 1 add nothing, the event itself counts once)."""
    out: dict[tuple[str, datetime], float] = defaultdict(float)
    for row in rows(table):
        try:
            tries = int(float(row[ATTEMPTS]))
        except (TypeError, ValueError):
            continue  # not a number: the sensor wrote something else, count the event only
        if tries > 1:
            out[(row["source.ip"], to_datetime(row[WINDOW_START]))] += (tries - 1) * int(row["count"])
    return out


def weighted_failures(real: float, heuristic: float, extra: float, heuristic_weight: float) -> float:
    """Failures of one source: real records count 1 (plus their extra tries), guesses from flow
    shape count ``heuristic_weight``."""
    return real + extra + heuristic_weight * heuristic


@scorer("brute_force")
def brute_force(spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext) -> list[Finding]:
    """Failed logons per source and window, weighted (:func:`weighted_failures`): f.

    * compromise: f >= compromise_min_failures and the source logged in successfully after its
      first failure in the window: score 0.95 (critical) for a login record, 0.8 when the
      success is itself a guess from flow shape;
    * spraying: >= spray_min_accounts accounts failed, at most spray_max_per_account failures
      each on average: score 0.5 + 0.5 (1 - spray_min_accounts / accounts);
    * brute force: f >= min_failures: score 0.5 + 0.5 (1 - min_failures / f).

    One finding per source and window (the first variant that holds). Per account (login
    records only): >= account_min_failures failures from >= account_min_sources sources is
    distributed guessing, score 0.5 + 0.5 (1 - account_min_failures / failures).
    """
    p = spec.params
    interval = p["interval"]
    out: list[Finding] = []
    extra = attempts_bonus(windows(tables["attempts"], interval, ctx))
    succeeded = rows(windows(tables["successes"], interval, ctx))
    wins: dict[tuple[str, datetime], dict[str, Any]] = {
        (r["source.ip"], to_datetime(r[WINDOW_START])): r for r in succeeded
    }
    q = query_of(spec, "failures")
    for row in rows(windows(tables["failures"], interval, ctx)):
        src = row["source.ip"]
        w = to_datetime(row[WINDOW_START])
        n, heur = int(row["count"]), int(row["count:heuristic"])
        f = weighted_failures(n - heur, heur, extra.get((src, w), 0.0), p["heuristic_weight"])
        accounts = int(row["cardinality:user.name"])
        ok = wins.get((src, w))
        evidence: dict[str, Any] = {
            "failures": n,
            "weighted_failures": round(f, 2),
            "heuristic_failures": heur,
            "unknown_outcome": int(row["count:unknown"]),
            "accounts": accounts,
            "targets": int(row["cardinality:destination.ip"]),
            "top_accounts": list(row["terms:user.name"]),
            "top_targets": list(row["terms:destination.ip"]),
        }
        after = ok is not None and to_datetime(ok["max:@timestamp"]) >= to_datetime(row["min:@timestamp"])
        if after and ok is not None and f >= p["compromise_min_failures"]:
            real = int(ok["count"]) - int(ok["count:heuristic"]) > 0
            variant, s, tech = "compromise", COMPROMISE_SCORE[real], ("T1110", "T1078")
            who = list(ok["terms:user.name"])
            title = f"logon from {src} succeeded after {n} failures" + (f" ({', '.join(who)})" if who else "")
            evidence |= {
                "successes": int(ok["count"]),
                "success_is_heuristic": not real,
                "success_accounts": who,
                "success_targets": list(ok["terms:destination.ip"]),
            }
        elif accounts >= p["spray_min_accounts"] and n / accounts <= p["spray_max_per_account"]:
            variant, s, tech = (
                "spraying",
                0.5 + 0.5 * clip01(1 - p["spray_min_accounts"] / accounts),
                ("T1110", "T1110.003"),
            )
            title = f"failed logons for {accounts} accounts from {src}"
        elif f >= p["min_failures"]:
            variant, s, tech = (
                "brute_force",
                0.5 + 0.5 * clip01(1 - p["min_failures"] / f),
                ("T1110", "T1110.001"),
            )
            unknown = int(row["count:unknown"])
            what = "logon attempts without success" if unknown == n else "failed logons"
            title = f"{n} {what} from {src}" + (" (guessed from flow shape)" if heur == n else "")
        else:
            continue
        out.append(
            make_finding(
                spec,
                ctx,
                query=q,
                kind="host",
                value=src,
                fields=[("source.ip", src)],
                start=w,
                end=w + interval,
                score_=s,
                title=title,
                techniques=tech,
                evidence={"variant": variant, **evidence},
            )
        )
    q = query_of(spec, "accounts")
    for row in rows(windows(tables["accounts"], interval, ctx)):
        n, sources = int(row["count"]), int(row["cardinality:source.ip"])
        if n < p["account_min_failures"] or sources < p["account_min_sources"]:
            continue
        user = row["user.name"]
        w = to_datetime(row[WINDOW_START])
        out.append(
            make_finding(
                spec,
                ctx,
                query=q,
                kind="account",
                value=user,
                fields=[("user.name", user)],
                start=w,
                end=w + interval,
                score_=0.5 + 0.5 * clip01(1 - p["account_min_failures"] / n),
                title=f"{n} failed logons for {user} from {sources} sources",
                techniques=("T1110", "T1110.001"),
                evidence={
                    "variant": "account",
                    "failures": n,
                    "sources": sources,
                    "top_sources": list(row["terms:source.ip"]),
                },
            )
        )
    return out
