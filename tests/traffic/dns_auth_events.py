"""Flat ECS events in the shape the readers write, for the DNS, logon and sensor-verdict tests.

Shared by tests/traffic/test_detect_dns_auth.py (scorers, pandas) and
tests/traffic/test_detect_dns_auth_parity.py (the same events on Elasticsearch).
"""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sectool.traffic.readers.dns import question_fields

T0 = datetime(2026, 3, 3, 10, tzinfo=UTC)
SINCE, UNTIL = T0, T0 + timedelta(hours=3)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def dns(
    ts: datetime,
    src: str,
    name: str,
    *,
    qtype: str = "A",
    rcode: str = "NOERROR",
    answers: list[str] | None = None,
) -> dict[str, Any]:
    """A DNS answer event as Zeek dns.log gives it (one event per query/answer pair)."""
    return {
        "@timestamp": ts,
        "event.kind": "event",
        "event.category": "network",
        "event.type": "protocol",
        "event.dataset": "zeek.dns",
        "event.module": "zeek",
        "source.ip": src,
        "source.port": 53000,
        "destination.ip": "10.0.0.53",
        "destination.port": 53,
        "network.transport": "udp",
        "network.protocol": "dns",
        "dns.type": "answer",
        "dns.response_code": rcode,
        "dns.answers.data": answers,
        **question_fields(name, qtype),
    }


def auth(
    ts: datetime,
    src: str,
    dst: str = "10.0.0.22",
    *,
    outcome: str | None = "failure",
    user: str | None = None,
    action: str = "ssh-login",
    dataset: str = "zeek.ssh",
    heuristic: bool = False,
    attempts: int | None = None,
) -> dict[str, Any]:
    """An authentication event: a login record, or the flow-shape heuristic's guess."""
    event: dict[str, Any] = {
        "@timestamp": ts,
        "event.kind": "event",
        "event.category": "authentication",
        "event.type": "start",
        "event.action": "login-shape-heuristic" if heuristic else action,
        "event.outcome": outcome,
        "event.dataset": "sectool.flow" if heuristic else dataset,
        "event.module": "sectool" if heuristic else dataset.split(".")[0],
        "source.ip": src,
        "destination.ip": dst,
        "destination.port": 22,
        "user.name": user,
        "tags": ["heuristic"] if heuristic else None,
    }
    if attempts is not None:
        event["zeek.ssh.auth_attempts"] = attempts
    return event


def verdict(
    ts: datetime,
    rule: str,
    src: str | None,
    dst: str | None,
    *,
    severity: int | None = None,
    sid: str | None = None,
    zeek: bool = False,
) -> dict[str, Any]:
    """A Suricata alert (``severity`` set) or a Zeek notice (``zeek=True``)."""
    return {
        "@timestamp": ts,
        "event.kind": "alert",
        "event.category": "intrusion_detection",
        "event.type": "info",
        "event.dataset": "zeek.notice" if zeek else "suricata.eve",
        "event.module": "zeek" if zeek else "suricata",
        "source.ip": src,
        "destination.ip": dst,
        "rule.name": rule,
        "rule.id": sid,
        "rule.category": None if zeek else "Misc Attack",
        "event.severity": severity,
    }


# --------------------------------------------------------------------------- scenarios
def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def simda_like(src: str, n: int, seed: int = 1) -> list[dict[str, Any]]:
    """Pronounceable consonant-vowel names of seven letters (Simda), NXDOMAIN."""
    rng = random.Random(seed)
    cons, vow = "bcdfghjklmnpqrstvwxz", "aeiouy"
    out = []
    for i in range(n):
        label = "".join(rng.choice(cons) + rng.choice(vow) for _ in range(3)) + rng.choice(cons)
        out.append(dns(at(5 + i * 0.2), src, f"{label}.com", rcode="NXDOMAIN"))
    return out


def random_dga(src: str, n: int, seed: int = 2) -> list[dict[str, Any]]:
    """Random letters and digits of varying length (Conficker-like), NXDOMAIN, mixed TLDs."""
    rng = random.Random(seed)
    tlds = ["com", "net", "org", "info", "biz"]
    return [
        dns(
            at(10 + i * 0.3),
            src,
            f"{_rand(rng, 'bcdfghjklmnpqrstvwxz0123456789', rng.randint(8, 16))}.{rng.choice(tlds)}",
            rcode="NXDOMAIN",
        )
        for i in range(n)
    ]


def benign_nxdomain(src: str, seed: int = 3) -> list[dict[str, Any]]:
    """What a busy host gets NXDOMAIN for: reverse look-ups, block lists, DNS-SD, search-list
    names, AV hash look-ups, and a few typos of real words (varied lengths)."""
    rng = random.Random(seed)
    out = []
    for i in range(60):
        ip = ".".join(str(rng.randint(1, 254)) for _ in range(4))
        out.append(dns(at(i), src, f"{ip}.in-addr.arpa", qtype="PTR", rcode="NXDOMAIN"))
        out.append(dns(at(i), src, f"{ip}.zen.spamhaus.org", rcode="NXDOMAIN"))
        out.append(dns(at(i), src, f"{_rand(rng, '0123456789abcdef', 32)}.avts.mcafee.com", rcode="NXDOMAIN"))
        out.append(dns(at(i), src, f"host{i}.corp.lan", rcode="NXDOMAIN"))
    out.append(dns(at(3), src, "_services._dns-sd._udp.local", qtype="PTR", rcode="NXDOMAIN"))
    words = ["sundhed", "medcom", "examplee", "goggle", "microsfot", "regionh", "fmkonline", "nsp", "dr"]
    out += [dns(at(40 + i), src, f"{w}.dk", rcode="NXDOMAIN") for i, w in enumerate(words)]
    return out


def low_rate_tunnel(src: str, domain: str, n: int, seed: int = 4) -> list[dict[str, Any]]:
    """n queries, each one base32 label of 40-60 characters: too few for the count rule."""
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    return [
        dns(at(20 + i * 2), src, f"{_rand(rng, alphabet, rng.randint(40, 60))}.{domain}", rcode="NXDOMAIN")
        for i in range(n)
    ]


def cdn_names(src: str, n: int) -> list[dict[str, Any]]:
    """Many short edge names of one CDN domain (Akamai-like)."""
    return [dns(at(i * 0.5), src, f"e{1000 + i}.a.akamaiedge.net") for i in range(n)]


def txt_payloads(src: str, domain: str, n: int, seed: int = 5) -> list[dict[str, Any]]:
    """A stager fetching a base64 payload in n TXT chunks."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        chunk = base64.b64encode(rng.randbytes(180)).decode()
        out.append(dns(at(30 + i * 0.1), src, f"{i}.{domain}", qtype="TXT", answers=[chunk]))
    return out


def txt_benign(src: str, n: int) -> list[dict[str, Any]]:
    """Mail-server TXT look-ups: SPF, DMARC, DKIM keys (long, base64) and site verification."""
    key = base64.b64encode(random.Random(6).randbytes(160)).decode()
    out = []
    for i in range(n):
        out.append(dns(at(i), src, "gmail.com", qtype="TXT", answers=["v=spf1 redirect=_spf.google.com"]))
        out.append(
            dns(
                at(i),
                src,
                "_dmarc.example.org",
                qtype="TXT",
                answers=["v=DMARC1; p=reject; rua=mailto:d@x.org"],
            )
        )
        out.append(
            dns(
                at(i),
                src,
                f"s{i % 3}._domainkey.example.org",
                qtype="TXT",
                answers=[f"v=DKIM1; k=rsa; p={key}"],
            )
        )
        out.append(
            dns(
                at(i),
                src,
                "example.org",
                qtype="TXT",
                answers=["google-site-verification=" + base64.b64encode(bytes(range(32))).decode()],
            )
        )
    return out
