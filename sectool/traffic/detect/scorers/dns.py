"""Scorers of the DNS detectors: tunnels in query names, payloads in TXT answers, DGA."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sectool.traffic.detect.findings import Finding
from sectool.traffic.detect.scorers.dns_shape import (
    domain_label,
    encoded_label,
    known_suffix,
    payload_answer,
    random_label,
    txt_text,
    uniformity,
)
from sectool.traffic.detect.scoring import (
    ScoreContext,
    clip01,
    entropy,
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

DOM, SUB = "dns.question.registered_domain", "dns.question.subdomain"


# --------------------------------------------------------------------------- tunnels
@scorer("dns_tunnelling")
def dns_tunnelling(
    spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext
) -> list[Finding]:
    """Per registered domain and window: u = distinct subdomains; over the sampled subdomains
    L = mean longest label, H = mean Shannon entropy (bits/char, dots removed), e = share with
    an encoded label (:func:`~sectool.traffic.detect.scorers.dns_shape.encoded_label`); t = share of
    TXT/NULL queries.

    * count rule: u >= min_unique_subdomains and ((L >= min_label_length and H >= min_entropy)
      or (t >= 0.5 and L >= min_label_length / 2));
    * label rule (a tunnel too slow for counts): u >= min_queries and e >= min_encoded_share.

    score = 0.5 + 0.2 clip(log10(u / min_unique)) + 0.15 max(clip(L / 63), e) + 0.15 t.
    """
    p = spec.params
    q = query_of(spec, "domains")
    out: list[Finding] = []
    for row in rows(windows(tables["domains"], p["interval"], ctx)):
        u = int(row[f"cardinality:{SUB}"])
        subs = [s for s in row[f"terms:{SUB}"] if s]
        if u < p["min_queries"] or not subs:
            continue
        longest = sum(max(len(label) for label in s.split(".")) for s in subs) / len(subs)
        ent = sum(entropy(s.replace(".", "")) for s in subs) / len(subs)
        size, bits = p["encoded_label_length"], p["encoded_entropy"]
        encoded = [s for s in subs if any(encoded_label(label, size, bits) for label in s.split("."))]
        e = len(encoded) / len(subs)
        share = int(row["count:txt_null"]) / max(1, int(row["count"]))
        by_count = u >= p["min_unique_subdomains"] and (
            (longest >= p["min_label_length"] and ent >= p["min_entropy"])
            or (share >= 0.5 and longest >= p["min_label_length"] / 2)
        )
        by_label = e >= p["min_encoded_share"]
        if not (by_count or by_label):
            continue
        dom = row[DOM]
        w = to_datetime(row[WINDOW_START])
        s = (
            0.5
            + 0.2 * clip01(math.log10(u / p["min_unique_subdomains"]))
            + 0.15 * max(clip01(longest / 63), e)
            + 0.15 * share
        )
        out.append(
            make_finding(
                spec,
                ctx,
                query=q,
                kind="domain",
                value=dom,
                fields=[(DOM, dom)],
                start=w,
                end=w + p["interval"],
                score_=s,
                title=f"{u} distinct subdomains of {dom}, mean label {longest:.0f} chars, "
                f"{e:.0%} encoded, {share:.0%} TXT/NULL",
                evidence={
                    "variant": "count" if by_count else "labels",
                    "queries": int(row["count"]),
                    "unique_subdomains": u,
                    "mean_longest_label": longest,
                    "mean_entropy": ent,
                    "encoded_share": e,
                    "txt_null_share": share,
                    "clients": list(row["terms:source.ip"]),
                    "examples": (encoded or subs)[:3],
                },
            )
        )
    return out


# --------------------------------------------------------------------------- TXT payloads
@scorer("dns_txt_c2")
def dns_txt_c2(spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext) -> list[Finding]:
    """Per registered domain and window: n = answered TXT look-ups (>= min_lookups); over the
    sampled distinct answers, share = those that are payloads
    (:func:`~sectool.traffic.detect.scorers.dns_shape.payload_answer`). Finding when share >=
    min_payload_share. score = 0.55 + 0.15 clip(log10(n / min_lookups)) + 0.15 share."""
    p = spec.params
    q = query_of(spec, "answers")
    out: list[Finding] = []
    for row in rows(windows(tables["answers"], p["interval"], ctx)):
        n = int(row["count"])
        answers = [a for a in row["terms:dns.answers.data"] if a]
        if n < p["min_lookups"] or not answers:
            continue
        payloads = [a for a in answers if payload_answer(a, p["min_answer_length"], p["min_answer_entropy"])]
        share = len(payloads) / len(answers)
        if share < p["min_payload_share"]:
            continue
        dom = row[DOM]
        w = to_datetime(row[WINDOW_START])
        texts = [txt_text(a) for a in payloads]
        out.append(
            make_finding(
                spec,
                ctx,
                query=q,
                kind="domain",
                value=dom,
                fields=[(DOM, dom)],
                start=w,
                end=w + p["interval"],
                score_=0.55 + 0.15 * clip01(math.log10(n / p["min_lookups"])) + 0.15 * share,
                title=f"{n} TXT answers of {dom} carrying encoded payloads",
                evidence={
                    "lookups": n,
                    "distinct_answers": int(row["cardinality:dns.answers.data"]),
                    "payload_share": share,
                    "mean_answer_length": sum(len(t) for t in texts) / len(texts),
                    "mean_answer_entropy": sum(entropy(t) for t in texts) / len(texts),
                    "clients": list(row["terms:source.ip"]),
                    "names": list(row["terms:dns.question.name"]),
                    "first_seen": to_datetime(row["min:@timestamp"]).isoformat(),
                    "last_seen": to_datetime(row["max:@timestamp"]).isoformat(),
                    "examples": [t[:80] for t in texts[:2]],
                },
            )
        )
    return out


# --------------------------------------------------------------------------- DGA
@scorer("dga")
def dga(spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext) -> list[Finding]:
    """Per host and window: the distinct registered domains answered NXDOMAIN, kept when their
    suffix is on the Public Suffix List; n = their number (scaled from the sample when the
    host has more than the sample holds). Over their labels: uniformity and randomness share
    (:mod:`~sectool.traffic.detect.scorers.dns_shape`), shape = max of the two. Finding when n >=
    min_domains and shape >= min_shape. score = 0.5 + 0.2 clip(log10(n / min_domains)) + 0.2 shape.
    """
    p = spec.params
    q = query_of(spec, "hosts")
    out: list[Finding] = []
    for row in rows(windows(tables["hosts"], p["interval"], ctx)):
        distinct = int(row[f"cardinality:{DOM}"])
        sample = [d for d in row[f"terms:{DOM}"] if d]
        kept = [d for d in sample if known_suffix(d)]
        if not kept:
            continue
        n = len(kept) if distinct <= len(sample) else round(distinct * len(kept) / len(sample))
        if n < p["min_domains"]:
            continue
        labels = [domain_label(d) for d in kept]
        uni = uniformity(labels)
        rnd = sum(1 for label in labels if random_label(label)) / len(labels)
        shape = max(uni, rnd)
        if shape < p["min_shape"]:
            continue
        src = row["source.ip"]
        w = to_datetime(row[WINDOW_START])
        out.append(
            make_finding(
                spec,
                ctx,
                query=q,
                kind="host",
                value=src,
                fields=[("source.ip", src)],
                start=w,
                end=w + p["interval"],
                score_=0.5 + 0.2 * clip01(math.log10(n / p["min_domains"])) + 0.2 * shape,
                title=f"{src} got NXDOMAIN for {n} generated-looking domains",
                evidence={
                    "nxdomain_answers": int(row["count"]),
                    "nxdomain_domains": n,
                    "uniformity": uni,
                    "random_share": rnd,
                    "mean_label_length": sum(len(x) for x in labels) / len(labels),
                    "first_seen": to_datetime(row["min:@timestamp"]).isoformat(),
                    "last_seen": to_datetime(row["max:@timestamp"]).isoformat(),
                    "examples": sorted(kept)[:5],
                },
            )
        )
    return out
