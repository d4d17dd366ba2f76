"""The nine detectors as specifications, built from a :class:`DetectConfig`.

Each function returns a :class:`DetectorSpec`: queries (filter, group-by, window, metrics)
and the scorer name. Allowlists and internal ranges become part of the filters, so they are
applied before scoring on both backends (and pushed down into Elasticsearch).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sectool.traffic.detect.config import DetectConfig
from sectool.traffic.detect.filters import And, Cidr, Eq, Exists, Filter, In, Not, Or, Range
from sectool.traffic.detect.spec import (
    Candidates,
    Count,
    DetectorSpec,
    Having,
    Max,
    Min,
    Query,
    Series,
    Sum,
)

__all__ = ["DETECTORS", "LABELS", "build_detectors", "label"]

#: Connection events only. Readers emit a DNS (or other protocol) event next to the flow of the
#: same exchange (Zeek dns.log, EVE dns, the pcap reader: ``event.type: protocol``), and IDS alerts
#: carry the hosts too; counting those as connections breaks gaps, counts and port sets.
NETWORK = And((Eq("event.category", "network"), Eq("event.type", "connection")))
SRC, DST = "source.ip", "destination.ip"


def _all(*items: Filter | None) -> Filter:
    kept: list[Filter] = []
    for item in items:
        if isinstance(item, And):
            kept += item.items  # flat, for readable DSL and KQL
        elif item is not None:
            kept.append(item)
    return kept[0] if len(kept) == 1 else And(tuple(kept))


def _internal(cfg: DetectConfig, field: str) -> Filter:
    return Cidr(field, cfg.internal_ranges)


def _allow(cfg: DetectConfig) -> Filter | None:
    """Events that the allowlist leaves out, as a ``Not`` filter (``None`` if empty)."""
    al = cfg.allowlist
    out: list[Filter] = []
    if al.cidrs:
        out += [Cidr(SRC, al.cidrs), Cidr(DST, al.cidrs)]
    for p in al.pairs:
        out.append(And((Cidr(SRC, (p.source,)), Cidr(DST, (p.destination,)))))
    if al.domains:
        out.append(In("dns.question.registered_domain", al.domains))
    if not out:
        return None
    return Not(out[0] if len(out) == 1 else Or(tuple(out)))


def volume_spike(cfg: DetectConfig) -> DetectorSpec:
    c = cfg.detectors.volume_spike
    key = c.group_by[0]
    scope = _internal(cfg, key) if key in (SRC, DST) else Exists(key)
    q = Query(
        name="windows",
        group_by=c.group_by,
        metrics=(Count(), Sum("network.bytes")),
        filter=_all(NETWORK, scope, _allow(cfg)),
        interval=c.interval,
        lookback=c.baseline,
    )
    return DetectorSpec(
        "volume_spike",
        (q,),
        "volume_spike",
        ("T1030", "T1498"),
        c.model_dump(),
        "traffic volume of a host far above its own baseline (median + MAD)",
    )


def _outbound(cfg: DetectConfig) -> Filter:
    return _all(NETWORK, _internal(cfg, SRC), Exists(DST), Not(_internal(cfg, DST)), _allow(cfg))


def beaconing(cfg: DetectConfig) -> DetectorSpec:
    c = cfg.detectors.beaconing
    q = Query(
        name="series",
        group_by=(SRC, DST),
        metrics=(Count(), Series(("@timestamp", "source.bytes"), limit=c.max_points, aligned=False)),
        # Zeek's OTH records are midstream pieces of one long-lived session (keepalives after an
        # idle timeout), not new connections: the session is a long connection, not a beacon.
        filter=_all(_outbound(cfg), Not(Eq("sectool.connection.state", "OTH"))),
        optional=frozenset({"sectool.connection.state"}),  # other shippers' flows may have none
        lookback=c.lookback,
        candidates=Candidates(
            group_by=(SRC, DST),
            metrics=(Count(),),
            having=(Having("count", ">=", c.min_connections),),
            limit=c.max_candidates,
        ),
    )
    return DetectorSpec(
        "beaconing",
        (q,),
        "beaconing",
        ("T1071", "T1573"),
        c.model_dump(),
        "regular connections from an internal host to an external address (C2 beacon)",
        row_wise=True,  # each pair is scored on its own series
    )


def exfiltration(cfg: DetectConfig) -> DetectorSpec:
    c = cfg.detectors.exfiltration
    pairs = Query(
        name="pairs",
        group_by=(SRC, DST),
        metrics=(Count(), Sum("source.bytes"), Sum("destination.bytes")),
        filter=_outbound(cfg),
        interval=c.interval,
        having=(Having("sum:source.bytes", ">=", c.min_bytes),),
    )
    hosts = Query(
        name="hosts",
        group_by=(SRC,),
        metrics=(Count(), Sum("source.bytes")),
        filter=_outbound(cfg),
        interval=c.interval,
        lookback=c.baseline,
    )
    return DetectorSpec(
        "exfiltration",
        (pairs, hosts),
        "exfiltration",
        ("T1048", "T1041"),
        c.model_dump(),
        "bytes sent to one external address far above the host's baseline, or upload-heavy",
    )


def new_destination(cfg: DetectConfig) -> DetectorSpec:
    c = cfg.detectors.new_destination
    scope = Cidr(SRC, cfg.server_ranges) if cfg.server_ranges else None
    pairs = Query(
        name="pairs",
        group_by=(SRC, DST),
        metrics=(Count(), Min("@timestamp"), Max("@timestamp"), Sum("source.bytes")),
        filter=_all(_outbound(cfg), scope),
        lookback=c.baseline,
    )
    queries = [pairs]
    if not cfg.server_ranges:
        # Without configured server ranges, a server is an address that accepts connections.
        queries.append(
            Query(
                name="servers",
                group_by=(DST,),
                metrics=(Count(),),
                filter=_all(NETWORK, _internal(cfg, SRC), _internal(cfg, DST), _allow(cfg)),
                lookback=c.baseline,
                having=(Having("count", ">=", c.min_server_connections),),
            )
        )
    return DetectorSpec(
        "new_destination",
        tuple(queries),
        "new_destination",
        ("T1071", "T1041"),
        c.model_dump(),
        "a server talks to an external address not seen in the baseline period",
    )


def silent_source(cfg: DetectConfig) -> DetectorSpec:
    c = cfg.detectors.silent_source
    q = Query(
        name="windows",
        group_by=(c.field,),
        metrics=(Count(),),
        interval=c.interval,
        lookback=c.baseline,
    )
    return DetectorSpec(
        "silent_source",
        (q,),
        "silent_source",
        ("T1562", "T1562.001"),
        c.model_dump(),
        "a sensor, site or log source that normally sends stops sending (flatline)",
    )


def off_hours_admin(cfg: DetectConfig) -> DetectorSpec:
    c = cfg.detectors.off_hours_admin
    admin = Or((In("network.protocol", c.protocols), In("destination.port", c.ports)))
    q = Query(
        name="sessions",
        group_by=(SRC, DST, "destination.port"),
        metrics=(Count(), Min("@timestamp"), Max("event.duration"), Sum("network.bytes")),
        filter=_all(
            NETWORK,
            admin,
            _internal(cfg, SRC),
            Range("event.duration", gte=int(c.min_duration.total_seconds() * 1_000_000_000)),
            _allow(cfg),
        ),
        interval=timedelta(hours=1),
    )
    return DetectorSpec(
        "off_hours_admin",
        (q,),
        "off_hours_admin",
        ("T1078", "T1021"),
        c.model_dump(),
        "SSH, RDP or SMB sessions outside the working-hours calendar",
    )


# The DNS, logon and sensor-verdict detectors live in their own modules, which use the filter
# helpers above (hence imported here, after them).
from sectool.traffic.detect.detectors.auth import brute_force  # noqa: E402
from sectool.traffic.detect.detectors.c2 import c2  # noqa: E402
from sectool.traffic.detect.detectors.dns import dga, dns_tunnelling, dns_txt_c2  # noqa: E402
from sectool.traffic.detect.detectors.scan import port_scan  # noqa: E402
from sectool.traffic.detect.detectors.sensor import sensor_alerts  # noqa: E402

DETECTORS: dict[str, Callable[[DetectConfig], DetectorSpec]] = {
    "volume_spike": volume_spike,
    "port_scan": port_scan,
    "beaconing": beaconing,
    "dns_tunnelling": dns_tunnelling,
    "exfiltration": exfiltration,
    "brute_force": brute_force,
    "new_destination": new_destination,
    "silent_source": silent_source,
    "off_hours_admin": off_hours_admin,
    "dga": dga,
    "dns_txt_c2": dns_txt_c2,
    "sensor_alerts": sensor_alerts,
    "c2": c2,
}


def build_detectors(cfg: DetectConfig, names: list[str] | None = None) -> list[DetectorSpec]:
    """The enabled detectors (or exactly ``names``, enabled or not), in a fixed order."""
    if names:
        return [DETECTORS[n](cfg) for n in DETECTORS if n in names]
    return [DETECTORS[n](cfg) for n in DETECTORS if getattr(cfg.detectors, n).enabled]


#: Names and one-line explanations of the detectors for reports read by clinics and the forum.
LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "volume_spike": {
        "en": ("Volume spike", "Traffic of a host far above its own normal level."),
        "da": ("Usædvanlig trafikmængde", "En værts trafik ligger langt over dens normale niveau."),
    },
    "port_scan": {
        "en": (
            "Port scan",
            "Many ports on one host, or one port on many hosts, were probed; or a ping or ARP sweep.",
        ),
        "da": (
            "Portscanning",
            "Mange porte på én vært eller én port på mange værter blev afprøvet; "
            "eller ping- eller ARP-afsøgning.",
        ),
    },
    "beaconing": {
        "en": (
            "Beaconing",
            "An internal host contacts an external address at regular intervals (command and control).",
        ),
        "da": (
            "Beaconing",
            "En intern vært kontakter en ekstern adresse med faste mellemrum (fjernstyring).",
        ),
    },
    "dns_tunnelling": {
        "en": ("DNS tunnelling", "Data hidden in many long, random-looking DNS names of one domain."),
        "da": ("DNS-tunnelering", "Data skjult i mange lange, tilfældige DNS-navne under ét domæne."),
    },
    "exfiltration": {
        "en": ("Exfiltration", "Unusually much data sent from an internal host to an external address."),
        "da": ("Dataudtræk", "Usædvanligt meget data sendt fra en intern vært til en ekstern adresse."),
    },
    "brute_force": {
        "en": (
            "Password guessing",
            "Many failed logons: brute force, or one source trying many accounts (spraying).",
        ),
        "da": (
            "Gætning af adgangskoder",
            "Mange fejlede logins: brute force eller én kilde, der prøver mange konti.",
        ),
    },
    "new_destination": {
        "en": ("New external destination", "A server talks to an external address it never used before."),
        "da": (
            "Ny ekstern modpart",
            "En server kommunikerer med en ekstern adresse, den ikke har brugt før.",
        ),
    },
    "silent_source": {
        "en": ("Silent source", "A sensor, site or log source that normally sends has stopped."),
        "da": ("Tavs kilde", "En sensor, lokation eller logkilde, der normalt sender, er holdt op."),
    },
    "off_hours_admin": {
        "en": ("Off-hours administration", "SSH, RDP or SMB sessions outside working hours."),
        "da": ("Administration uden for arbejdstid", "SSH-, RDP- eller SMB-sessioner uden for arbejdstiden."),
    },
}


LABELS |= {
    "dga": {
        "en": ("Generated domains (DGA)", "A host looks up many non-existent, machine-made domain names."),
        "da": (
            "Genererede domæner (DGA)",
            "En vært slår mange ikke-eksisterende, maskinlavede domænenavne op.",
        ),
    },
    "dns_txt_c2": {
        "en": (
            "Payloads in DNS answers",
            "DNS TXT answers of one domain carry encoded data (C2 or malware download).",
        ),
        "da": (
            "Data i DNS-svar",
            "DNS TXT-svar fra ét domæne indeholder kodede data (fjernstyring eller download).",
        ),
    },
    "sensor_alerts": {
        "en": ("Sensor alert", "A Suricata signature or a Zeek notice fired (the sensor's own verdict)."),
        "da": (
            "Sensoralarm",
            "En Suricata-signatur eller en Zeek-notits blev udløst (sensorens egen vurdering).",
        ),
    },
    "c2": {
        "en": (
            "Command and control",
            "An internal host keeps a persistent, busy or regular channel to one external address "
            "on an unusual port (remote control).",
        ),
        "da": (
            "Fjernstyring (C2)",
            "En intern vært holder en vedvarende, travl eller regelmæssig forbindelse til én ekstern "
            "adresse på en usædvanlig port.",
        ),
    },
}


def label(detector: str, lang: str = "en") -> tuple[str, str]:
    """(name, explanation) of a detector in ``lang`` (``en`` or ``da``)."""
    return LABELS[detector]["da" if lang == "da" else "en"]
