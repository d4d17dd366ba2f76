"""The DNS detectors as specifications: tunnels in query names, payloads in TXT answers, DGA.

All three leave out what is not an Internet name (reverse look-ups, multicast DNS and DNS-SD,
private zones: :data:`~sectool.traffic.detect.config.dns_auth.LOCAL_SUFFIXES`), the services
that carry data in DNS by design (block lists, anti-virus hash look-ups: each detector's
``ignore_zones``) and the allowlisted domains, in the query filter, so on both backends.
"""

from __future__ import annotations

from sectool.traffic.detect.config import DetectConfig
from sectool.traffic.detect.config.dns_auth import LOCAL_SUFFIXES
from sectool.traffic.detect.detectors import _all, _allow
from sectool.traffic.detect.filters import Eq, Exists, Filter, In, Not
from sectool.traffic.detect.spec import (
    Candidates,
    Cardinality,
    Count,
    DetectorSpec,
    Having,
    Max,
    Min,
    Query,
    Terms,
)

__all__ = ["dga", "dns_tunnelling", "dns_txt_c2"]

SRC = "source.ip"
DOM, SUB, TLD = "dns.question.registered_domain", "dns.question.subdomain", "dns.question.top_level_domain"


def _internet_names(zones: tuple[str, ...]) -> Filter:
    """Events of a registered Internet domain that is not a data-carrying service."""
    items: list[Filter] = [Exists(DOM), Not(In(TLD, LOCAL_SUFFIXES))]
    if zones:
        items.append(Not(In(DOM, zones)))
    return _all(*items)


def dns_tunnelling(cfg: DetectConfig) -> DetectorSpec:
    c = cfg.detectors.dns_tunnelling
    q = Query(
        name="domains",
        group_by=(DOM,),
        metrics=(
            Count(),
            Cardinality(SUB),
            Count(where=In("dns.question.type", ("TXT", "NULL")), name="txt_null"),
            Terms(SUB, size=c.sample_size),
            Terms(SRC, size=5),
        ),
        filter=_all(_internet_names(c.ignore_zones), Exists(SUB), _allow(cfg)),
        interval=c.interval,
        # Few distinct names suffice for the label rule; the count rule needs many.
        candidates=Candidates(
            group_by=(DOM,),
            metrics=(Cardinality(SUB),),
            having=(Having(f"cardinality:{SUB}", ">=", c.min_queries),),
            limit=5000,
        ),
        having=(Having(f"cardinality:{SUB}", ">=", c.min_queries),),
    )
    return DetectorSpec(
        "dns_tunnelling",
        (q,),
        "dns_tunnelling",
        ("T1071.004", "T1048"),
        c.model_dump(),
        "data in DNS query names: many subdomains of one domain, or long random labels",
    )


def dns_txt_c2(cfg: DetectConfig) -> DetectorSpec:
    c = cfg.detectors.dns_txt_c2
    q = Query(
        name="answers",
        group_by=(DOM,),
        metrics=(
            Count(),
            Cardinality("dns.answers.data"),
            Terms("dns.answers.data", size=c.sample_size),
            Terms(SRC, size=5),
            Terms("dns.question.name", size=3),
            Min("@timestamp"),
            Max("@timestamp"),
        ),
        filter=_all(
            Eq("dns.question.type", "TXT"),
            Exists("dns.answers.data"),
            _internet_names(c.ignore_zones),
            _allow(cfg),
        ),
        interval=c.interval,
        having=(Having("count", ">=", c.min_lookups),),
    )
    return DetectorSpec(
        "dns_txt_c2",
        (q,),
        "dns_txt_c2",
        ("T1071.004", "T1105"),
        c.model_dump(),
        "many TXT answers of one domain carrying encoded payloads (C2 or a stager over DNS)",
    )


def dga(cfg: DetectConfig) -> DetectorSpec:
    c = cfg.detectors.dga
    q = Query(
        name="hosts",
        group_by=(SRC,),
        metrics=(
            Count(),
            Cardinality(DOM),
            Terms(DOM, size=c.sample_size),
            Min("@timestamp"),
            Max("@timestamp"),
        ),
        filter=_all(Eq("dns.response_code", "NXDOMAIN"), _internet_names(c.ignore_zones), _allow(cfg)),
        interval=c.interval,
        having=(Having(f"cardinality:{DOM}", ">=", c.min_domains),),
    )
    return DetectorSpec(
        "dga",
        (q,),
        "dga",
        ("T1568.002",),
        c.model_dump(),
        "one host looks up many non-existent, generated-looking domains (DGA malware)",
    )
