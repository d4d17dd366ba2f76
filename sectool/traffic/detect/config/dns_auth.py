"""Settings of the DNS, authentication and sensor-verdict detectors.

Part of :class:`sectool.traffic.detect.config.DetectConfig` (``detectors.<name>``); kept in
their own module so that ``config.py`` stays one page. Every value has a documented default
(docs/traffic-detection.md); unknown keys are errors, as everywhere in the configuration.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "REPUTATION_ZONES",
    "BruteForce",
    "Dga",
    "DnsTunnelling",
    "DnsTxtC2",
    "SensorAlerts",
]


def _duration(value: Any) -> timedelta:
    # Imported on use: config.py imports this module while it is being built.
    from sectool.traffic.detect.config import parse_duration

    return parse_duration(value)


Duration = Annotated[timedelta, BeforeValidator(_duration)]
Severity = Literal["low", "medium", "high", "critical"]

#: Registered domains whose look-ups carry data by design: DNS block lists (RFC 5782, one name
#: per looked-up address or URL), anti-virus and reputation services that look up file hashes
#: (McAfee GTI ``*.avts.mcafee.com``, Sophos ``*.sophosxl.net``). Their names are long, random
#: and NXDOMAIN, exactly like a tunnel; everything under them is left out of the DNS detectors.
REPUTATION_ZONES: tuple[str, ...] = (
    "spamhaus.org",
    "spamhaus.net",
    "spamcop.net",
    "sorbs.net",
    "barracudacentral.org",
    "surbl.org",
    "uribl.com",
    "mailspike.net",
    "dnswl.org",
    "abuseat.org",
    "senderscore.com",
    "spameatingmonkey.net",
    "s5h.net",
    "mcafee.com",
    "sophosxl.net",
    "sophosxl.com",
    "trendmicro.com",
    "e5.sk",
)

#: Effective TLDs whose names are not Internet names: reverse look-ups, multicast DNS and
#: DNS-SD, private zones (RFC 6762 appendix G). No DNS detector looks at them.
LOCAL_SUFFIXES: tuple[str, ...] = (
    "arpa",
    "in-addr.arpa",
    "ip6.arpa",
    "local",
    "localdomain",
    "lan",
    "home",
    "home.arpa",
    "internal",
    "intranet",
    "corp",
    "private",
)


#: Severity of Zeek notes (exact, or a prefix ending in ``::``); the rest get ``default_notice``.
NOTICE_SEVERITY: dict[str, Severity] = {
    "Scan::": "medium",
    "SSH::Password_Guessing": "high",
    "SSH::Login_By_Password_Guesser": "critical",
    "SSL::Invalid_Server_Cert": "low",
    "SSL::Certificate_Expired": "low",
    "SSL::Certificate_Not_Valid_Yet": "low",
    "Weird::": "low",
    "ICMP::": "medium",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Detector(_Model):
    enabled: bool = True


class DnsTunnelling(_Detector):
    """Data carried in query names: many subdomains, or few but long and random ones."""

    interval: Duration = timedelta(hours=1)
    min_unique_subdomains: int = Field(100, ge=1, description="distinct subdomains for the count rule")
    min_label_length: float = Field(20.0, ge=1, description="mean longest label of the sampled names")
    min_entropy: float = Field(3.5, ge=0, description="mean Shannon entropy, bits per character")
    sample_size: int = Field(200, ge=10)
    min_queries: int = Field(
        10, ge=2, description="distinct subdomains a domain needs in a window for the label rule"
    )
    encoded_label_length: int = Field(24, ge=8, description="a label this long ...")
    encoded_entropy: float = Field(3.8, ge=0, description="... with this entropy (bits/char) is encoded data")
    min_encoded_share: float = Field(0.5, gt=0, le=1, description="share of names with an encoded label")
    ignore_zones: tuple[str, ...] = REPUTATION_ZONES


class DnsTxtC2(_Detector):
    """Payloads delivered in TXT answers (e.g. PowerShell stagers over DNS)."""

    interval: Duration = timedelta(hours=1)
    min_lookups: int = Field(10, ge=1, description="answered TXT look-ups of one domain in a window")
    min_answer_length: int = Field(64, ge=8, description="characters of a payload-like answer")
    min_answer_entropy: float = Field(3.5, ge=0, description="bits per character of a payload-like answer")
    min_payload_share: float = Field(0.5, gt=0, le=1, description="share of sampled answers: payloads")
    sample_size: int = Field(50, ge=5)
    ignore_zones: tuple[str, ...] = REPUTATION_ZONES


class Dga(_Detector):
    """Domain generation algorithms: one host, many non-existent, generated-looking domains."""

    interval: Duration = timedelta(hours=1)
    min_domains: int = Field(
        20, ge=2, description="distinct NXDOMAIN registered domains of one host in a window"
    )
    min_shape: float = Field(
        0.6, ge=0, le=1, description="how generated the names look: max(uniformity, randomness)"
    )
    sample_size: int = Field(500, ge=20)
    ignore_zones: tuple[str, ...] = REPUTATION_ZONES


class BruteForce(_Detector):
    """Password guessing from every source of authentication events."""

    interval: Duration = timedelta(hours=1)
    min_failures: float = Field(20, gt=0, description="weighted failed logons from one source")
    spray_min_accounts: int = Field(10, ge=2, description="accounts failing from one source")
    spray_max_per_account: float = Field(
        5.0, gt=0, description="mean failures per account at most (spraying: few tries each)"
    )
    account_min_failures: int = Field(30, ge=1)
    account_min_sources: int = Field(3, ge=2)
    compromise_min_failures: float = Field(
        10, gt=0, description="weighted failures before a success from the same source"
    )
    heuristic_weight: float = Field(
        0.5, ge=0, le=1, description="weight of a logon guessed from flow shape (real records weigh 1)"
    )


class SensorAlerts(_Detector):
    """Suricata alerts and Zeek notices as findings."""

    interval: Duration = timedelta(hours=1)
    #: Zeek notes (or prefixes ending in ``::``) and their severity; others get ``default_notice``.
    notice_severity: dict[str, Severity] = Field(default_factory=lambda: dict(NOTICE_SEVERITY))
    default_notice: Severity = "medium"
    #: Signatures or notes (or prefixes ending in ``::``) that are information, not verdicts.
    #: Zeek's certificate notes fire on every chain the sensor cannot validate (self-signed
    #: devices, a missing intermediate): on the CTU normal days they were every false finding
    #: (12 on 11,010 flows). Put them in ``notice_severity`` and out of here to see them again.
    ignore: tuple[str, ...] = (
        "ProtocolDetector::Protocol_Found",
        "ProtocolDetector::Server_Found",
        "SSL::Invalid_Server_Cert",
        "SSL::Certificate_Expired",
        "SSL::Certificate_Expires_Soon",
        "SSL::Certificate_Not_Valid_Yet",
        "Weird::Activity",
    )
