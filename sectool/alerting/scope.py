"""What of a finding may leave the health network: the observables an export shares.

A finding's entity fields name addresses, domains and ports. For sharing with the sector
CERT, each is classified:

* an IP address inside the health network (the internal ranges: RFC 1918 and fc00::/7 by
  default, configurable) or not globally routable (loopback, link-local, reserved) is
  *internal*;
* a domain ending in an internal suffix (``.local``, ``.lan``, ``.internal``, ``.home.arpa``,
  ``.arpa``, configurable) or without a dot is *internal*;
* user names (``account`` entities) and sensor or site names (``source`` entities) are never
  exported: they are personal data or internal names, and not indicators.

By default internal observables are left out, and internal addresses and host names in a
finding's title are replaced by ``[internal]``; a finding with nothing external left is not
exported at all. With ``include_internal`` they are kept as observed context (never as
indicators to block). Account names that a finding's evidence lists (e.g. the accounts of a
login that succeeded after many failures, named in its title) are replaced by ``[account]``
always.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from sectool.errors import InputError
from sectool.traffic.detect.findings import Finding

__all__ = [
    "DEFAULT_INTERNAL_DOMAINS",
    "DEFAULT_INTERNAL_NETWORKS",
    "ExportItem",
    "Observable",
    "Scope",
    "prepare",
]

DEFAULT_INTERNAL_NETWORKS: tuple[str, ...] = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
DEFAULT_INTERNAL_DOMAINS: tuple[str, ...] = ("local", "lan", "internal", "home.arpa", "arpa", "localdomain")

Kind = Literal["ipv4-addr", "ipv6-addr", "domain-name"]
Role = Literal["src", "dst", "host", "domain"]

# Candidate address tokens in free text (an IPv4 address, possibly with :port, or IPv6).
_ADDR_TOKEN = re.compile(r"[0-9A-Fa-f]*[:.][0-9A-Fa-f:.]+")
# Candidate host names in free text: dotted labels ending in a label that starts with a letter
# (so that numbers such as 1.00 or T1071.004 are not taken for names).
_NAME_TOKEN = re.compile(
    r"(?<![\w.-])(?:[A-Za-z0-9_][A-Za-z0-9_-]{0,62}\.)+[A-Za-z][A-Za-z0-9-]{0,62}(?![\w-])"
)


@dataclass(frozen=True)
class Observable:
    """One address or domain of a finding."""

    kind: Kind
    value: str
    role: Role
    internal: bool


@dataclass(frozen=True)
class ExportItem:
    """A finding prepared for export: its shareable observables and a redacted title."""

    finding: Finding
    observables: tuple[Observable, ...]
    port: int | None
    title: str

    @property
    def external(self) -> tuple[Observable, ...]:
        return tuple(o for o in self.observables if not o.internal)


@dataclass(frozen=True)
class Scope:
    """The internal ranges and domain suffixes, and whether internal observables are kept."""

    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    domains: tuple[str, ...] = DEFAULT_INTERNAL_DOMAINS
    include_internal: bool = False

    @classmethod
    def build(
        cls,
        networks: Iterable[str] = DEFAULT_INTERNAL_NETWORKS,
        domains: Iterable[str] = DEFAULT_INTERNAL_DOMAINS,
        *,
        include_internal: bool = False,
        field: str = "--internal",
    ) -> Scope:
        """Parse the ranges (an unparsable one is an :class:`InputError` naming ``field``)."""
        nets = []
        for text in networks:
            try:
                nets.append(ipaddress.ip_network(text.strip(), strict=False))
            except ValueError:
                raise InputError(
                    "not an IP network", field=field, value=text, expected="CIDR, e.g. 10.0.0.0/8 or fd00::/8"
                ) from None
        suffixes = tuple(d.strip().strip(".").lower() for d in domains if d.strip().strip("."))
        return cls(tuple(nets), suffixes, include_internal)

    def ip_internal(self, addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        if any(addr.version == n.version and addr in n for n in self.networks):
            return True
        return not addr.is_global

    def domain_internal(self, domain: str) -> bool:
        d = domain.strip(".").lower()
        return "." not in d or any(d == s or d.endswith("." + s) for s in self.domains)

    def redact(self, text: str, accounts: Iterable[str] = ()) -> str:
        """``text`` with internal addresses and host names replaced by ``[internal]`` (unless
        they are kept) and each of ``accounts`` by ``[account]`` (always)."""
        for name in sorted({a for a in accounts if a.strip()}, key=len, reverse=True):
            text = re.sub(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", "[account]", text)
        if self.include_internal:
            return text

        def name_repl(m: re.Match[str]) -> str:
            return "[internal]" if self.domain_internal(m.group(0)) else m.group(0)

        def addr_repl(m: re.Match[str]) -> str:
            token = m.group(0)
            # Punctuation after an address (the end of a sentence, "addr: ...") is not part of it.
            core = token if _parse_ip(token) else token.rstrip(".:")
            tail = token[len(core) :]
            addr = _parse_ip(core)
            port = None
            if addr is None and core.count(":") == 1:
                core, port = core.split(":")
                addr = _parse_ip(core) if core.count(".") == 3 else None
            if addr is None or not self.ip_internal(addr):
                return token
            return "[internal]" + (f":{port}" if port else "") + tail

        return _ADDR_TOKEN.sub(addr_repl, _NAME_TOKEN.sub(name_repl, text))


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


_DOMAIN_FIELDS = (
    "dns.question.registered_domain",
    "dns.question.name",
    "url.domain",
    "destination.domain",
    "source.domain",
    "tls.client.server_name",
)


def _observables(f: Finding, scope: Scope) -> tuple[list[Observable], int | None]:
    found: list[Observable] = []
    port: int | None = None
    for name, value in f.entity.fields:
        text = str(value)
        if name == "destination.port":
            try:
                port = int(value)
            except ValueError:
                port = None
        elif name.endswith(".ip"):
            addr = _parse_ip(text)
            if addr is None:
                continue
            role: Role = "src" if name == "source.ip" else "dst" if name == "destination.ip" else "host"
            kind: Kind = "ipv4-addr" if addr.version == 4 else "ipv6-addr"
            found.append(Observable(kind, str(addr), role, scope.ip_internal(addr)))
        elif name in _DOMAIN_FIELDS:
            domain = text.strip(".").lower()
            if domain:
                found.append(Observable("domain-name", domain, "domain", scope.domain_internal(domain)))
    if f.entity.kind == "domain" and not any(o.kind == "domain-name" for o in found):
        domain = f.entity.value.strip(".").lower()
        found.append(Observable("domain-name", domain, "domain", scope.domain_internal(domain)))
    return found, port


def prepare(findings: Sequence[Finding], scope: Scope) -> tuple[list[ExportItem], list[tuple[Finding, str]]]:
    """Split findings into what is exported and what is left out (with the reason)."""
    items: list[ExportItem] = []
    left_out: list[tuple[Finding, str]] = []
    for f in findings:
        if f.entity.kind in ("account", "source"):
            left_out.append((f, f"{f.entity.kind} entities are not shared (names of people or sensors)"))
            continue
        found, port = _observables(f, scope)
        if not any(not o.internal for o in found):
            left_out.append((f, "only addresses inside the health network"))
            continue
        kept = tuple(o for o in found if scope.include_internal or not o.internal)
        items.append(ExportItem(f, kept, port, scope.redact(f.title, _account_names(f))))
    return items, left_out


def _account_names(f: Finding) -> list[str]:
    """The account names a finding's evidence lists (under keys naming users or accounts)."""
    names: list[str] = []
    for key, value in f.evidence.items():
        if "user" not in key and "account" not in key:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        names.extend(v for v in values if isinstance(v, str))
    return names
