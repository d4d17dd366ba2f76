"""Detection on the real corpus: each case of the corpus README ingested and run with defaults.

Usage::

    python -m bench.corpus_eval [CORPUS_DIR] [--markdown] [--work DIR]

For every case of :data:`CASES` (a mirror of the table in the corpus README) the file(s) are
ingested to a local Parquet file (:func:`sectool.traffic.ingest.run_ingest`) and every enabled
detector runs with the default settings over the data's own span
(:func:`sectool.traffic.detect.span.data_span`). A case whose inside addresses are public gets
its home network as configuration (``internal``: the reader's and the detectors' internal
ranges), as a site would configure it. Printed per case: the expected finding (detector and
host), the findings (detector, entity), hit or miss. For the two labelled benign days: flows,
findings, false findings per 10,000 flows and whether every labelled inbound scan source was
found. A case that fails to ingest is reported (``ingest error: ...``), never fatal.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

#: ``../shared/corpus`` beside the repository (as in CI), or ``SECTOOL_CORPUS``.
_BESIDE = Path(__file__).resolve().parents[2] / "shared" / "corpus"
DEFAULT_CORPUS = Path(os.environ.get("SECTOOL_CORPUS", _BESIDE))
#: The default internal ranges plus a case's own home network.
PRIVATE = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
#: A labelled source is an inbound scan source when its Malicious flows reach this many
#: distinct ports (or hosts) in the day (the detector's slow-scan rate of 50 per day).
SCAN_SOURCE_MIN_TARGETS = 50


@dataclass(frozen=True)
class Case:
    """One corpus case: its path, what a good tool finds, and its home network."""

    path: str
    #: (detectors that may report it, host that must appear in the finding); empty: no finding
    #: expected from sectool's detectors (``None`` in ``expect``: any finding is fine).
    expect: tuple[tuple[tuple[str, ...], str], ...] = ()
    internal: tuple[str, ...] = ()
    labelled: bool = False
    #: Files of a folder left out (a labelled copy of a log already in the folder).
    skip: tuple[str, ...] = ()
    note: str = ""
    optional: bool = False
    #: Why the data does not support the README's expectation (then the case is as expected
    #: with no finding of its expected detectors: a rule that fired here would be overfitted).
    no_evidence: str = ""


SCAN, C2 = ("port_scan",), ("c2", "beaconing")
BRUTE = ("brute_force",)
CASES: tuple[Case, ...] = (
    Case("benign/008-ctu-normal-40-day1", internal=("147.32.0.0/16",), labelled=True),
    Case("benign/010-ctu-normal-42-day2", internal=("147.32.0.0/16",), labelled=True),
    Case("zeek/001-njrat", ((C2, "192.168.1.115"),), skip=("labeled-conn.log",)),
    Case("zeek/003-android-rat", ((C2, "10.8.0.61"),)),
    Case("zeek/004-ssh-json", ((BRUTE, ""),), note="SSH brute force from ssh.log"),
    Case("zeek/005-simda-dga", ((("dga", "dns_tunnelling"), ""),), note="DGA look-ups"),
    Case(
        "zeek/006-ssh-honeypot",
        ((BRUTE, ""),),
        note="SSH brute force on port 902",
        no_evidence="ssh.log holds 10 logins in 22 h from two addresses of the target's own /64, "
        "9 successful, 15 password tries in all, interactive sessions up to 18 min: an "
        "administrator, not a brute force",
    ),
    Case("zeek/slips-test9-mixed-zeek-dir", note="every log read", optional=True),
    Case("zeek/slips-test10-mixed-zeek-dir", note="every log read", optional=True),
    Case("zeek/slips-test13-malicious-dhcpscan-zeek-dir", ((SCAN, "192.168.1.30"),), note="DHCP scan"),
    Case("zeek/slips-test14-malicious-zeek-dir", note="every log read", optional=True),
    Case("zeek/slips-test15-malicious-zeek-dir", note="every log read", optional=True),
    Case("zeek/slips-test16-malicious-zeek-dir", note="every log read", optional=True),
    Case("suricata/slips-test6-eve.json", ((("sensor_alerts",), ""),), note="alerts as findings"),
    Case("attack/arp-scan.pcap", ((SCAN, "192.168.1.247"),)),
    Case("attack/icmp-sweep.pcap", ((SCAN, "192.168.1.109"),)),
    Case("attack/nmap-os-fingerprinting.pcapng", ((SCAN, "172.16.16.128"),)),
    Case(
        "attack/cryptowall4-c2.pcapng",
        ((C2, "192.168.122.145"),),
        note="3 check-ins in 45 s",
        no_evidence="3 HTTP POSTs to one address on port 80 in 41 s: no timing, rate, duration or "
        "rarity signal a browser's three requests would not also show",
    ),
    Case("attack/slips-test7-malicious.pcap", ((SCAN + C2, "192.168.2.16"),)),
    *(
        Case(f"attack/{name}", optional=True, note="optional detectors; no crash")
        for name in (
            "http-sqlinjection.pcapng",
            "session-hijacking.pcapng",
            "dns-isp-hijack.pcapng",
            "arp-poison.pcapng",
        )
    ),
    *(
        Case(f"benign/{name}", note="no findings")
        for name in (
            "dhcp_nolease_initialization.pcapng",
            "dns.pcap",
            "dns_axfr.pcapng",
            "dns_lab.pcapng",
            "dns_tcp.pcapng",
            "http_espn.pcapng",
            "http_google.pcapng",
            "http_ip4and6.pcapng",
            "http_post.pcapng",
            "icmp_traceroute.pcapng",
            "ip_frag_source.pcapng",
            "ipv6_fragments.pcapng",
            "mail_receiver_server_3.pcapng",
            "mail_sender_attachment.pcapng",
            "tcp_handshake.pcapng",
            "tcp_retransmissions.pcapng",
            "tickedoffdeveloper.pcapng",
        )
    ),
)


@dataclass
class CaseResult:
    """What one case gave."""

    case: Case
    error: str = ""
    events: int = 0
    findings: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    hits: list[bool] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    labels: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Every expectation met (and, without any, no finding: the benign captures)."""
        if self.error and not self.case.optional:
            return False
        if self.case.labelled:
            return bool(self.labels.get("all_scans_found")) and self.labels.get("false_per_10k", 99) <= 1
        if self.case.no_evidence:
            return not any(self.hits)
        if self.case.expect:
            return all(self.hits)
        return self.case.optional or not self.findings


def _files(path: Path, skip: Sequence[str]) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.name not in skip)
    return [path]


def run_case(corpus: Path, case: Case, work: Path) -> CaseResult:
    """Ingest one case and run the default detectors over the data's span."""
    from sectool.errors import SectoolError
    from sectool.traffic.detect.backends.local import PandasBackend
    from sectool.traffic.detect.config import DetectConfig
    from sectool.traffic.detect.detectors import build_detectors
    from sectool.traffic.detect.engine import run_detectors
    from sectool.traffic.detect.span import data_span
    from sectool.traffic.ingest import run_ingest
    from sectool.traffic.readers import ReaderOptions

    result = CaseResult(case)
    internal = PRIVATE + case.internal
    out = work / (case.path.replace("/", "_") + ".parquet")
    try:
        summary = run_ingest(
            _files(corpus / case.path, case.skip), options=ReaderOptions(internal=internal), to=out
        )
    except (SectoolError, OSError, ValueError) as exc:
        result.error = f"ingest error: {exc}"
        return result
    result.events = summary.written or 0
    result.warnings = [str(e) for e in summary.damaged]
    if result.warnings:
        result.error = "ingest error: " + "; ".join(w[:160] for w in result.warnings)
    span = data_span([out]) if result.events else None
    if span is not None:
        cfg = DetectConfig.model_validate({"internal_ranges": list(internal)})
        run = run_detectors(
            build_detectors(cfg), PandasBackend([out]), since=span[0], until=span[1], config=cfg,
            skip_missing_fields=True,
        )  # fmt: skip
        for f in run.findings:
            values = tuple(str(v) for _, v in f.entity.fields)
            result.findings.append((f.detector, f.entity.value, values))
    for detectors, host in case.expect:
        result.hits.append(
            any(d in detectors and (not host or host in values) for d, _, values in result.findings)
        )
    if case.labelled:
        result.labels = score_labelled(corpus / case.path / "conn.log.labeled", result.findings)
    return result


def score_labelled(conn_log: Path, findings: Sequence[tuple[str, str, tuple[str, ...]]]) -> dict[str, Any]:
    """Flows, false findings per 10,000 flows, and the inbound scan sources found.

    A finding is true when one of its addresses originated a flow labelled ``Malicious`` (the
    attackers: the monitored host is in every labelled flow, as their target, so its address
    proves nothing). Inbound scan sources: originators of Malicious flows to at least
    :data:`SCAN_SOURCE_MIN_TARGETS` distinct ports or hosts.
    """
    import pandas as pd

    names: list[str] = []
    with conn_log.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#fields"):
                names = line.rstrip("\n").split("\t")[1:]
                break
    df = pd.read_csv(conn_log, sep="\t", comment="#", names=names, dtype=str, keep_default_na=False)
    label = df[names[-2]]
    bad = df.loc[label == "Malicious"]
    attackers = set(bad["id.orig_h"])
    per_src = bad.groupby("id.orig_h").agg(ports=("id.resp_p", "nunique"), hosts=("id.resp_h", "nunique"))
    scanners = set(
        per_src.index[
            (per_src["ports"] >= SCAN_SOURCE_MIN_TARGETS) | (per_src["hosts"] >= SCAN_SOURCE_MIN_TARGETS)
        ]
    )
    false = [f for f in findings if not attackers & set(f[2])]
    found = {v for d, _, values in findings if d == "port_scan" for v in values}
    flows = len(df)
    return {
        "flows": flows,
        "malicious_flows": len(bad),
        "findings": len(findings),
        "false_findings": len(false),
        "false_per_10k": round(10_000 * len(false) / flows, 2) if flows else 0.0,
        "false": [f"{d} {v}" for d, v, _ in false],
        "scan_sources": sorted(scanners),
        "scan_sources_found": sorted(scanners & found),
        "all_scans_found": scanners <= found,
    }


def evaluate(corpus: Path, work: Path | None = None) -> list[CaseResult]:
    """Every case of :data:`CASES` (those present in ``corpus``)."""
    with tempfile.TemporaryDirectory(prefix="corpus-eval-") as tmp:
        folder = work or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        return [run_case(corpus, c, folder) for c in CASES if (corpus / c.path).exists()]


def _expected(case: Case) -> str:
    if case.no_evidence:
        wanted = "; ".join(f"{'|'.join(d)} {h or '(any host)'}" for d, h in case.expect)
        return f"README: {wanted}; no evidence in the data: {case.no_evidence}"
    if case.labelled:
        return "port_scan of each labelled scan source; <= 1 false / 10k flows"
    if not case.expect:
        return "(none)" + (f" — {case.note}" if case.note else "")
    return "; ".join(f"{'|'.join(d)} {h or '(any host)'}" for d, h in case.expect)


def _found(r: CaseResult, limit: int = 4) -> str:
    items = sorted({f"{d} {v}" for d, v, _ in r.findings})
    text = "; ".join(items[:limit]) + (f"; … ({len(items)} in all)" if len(items) > limit else "")
    return text or "—"


def _verdict(r: CaseResult) -> str:
    if r.case.labelled:
        lab = r.labels
        return (
            f"{'hit' if r.ok else 'miss'}: {lab['flows']} flows, {lab['findings']} findings, "
            f"{lab['false_findings']} false ({lab['false_per_10k']}/10k), scan sources found "
            f"{len(lab['scan_sources_found'])}/{len(lab['scan_sources'])}"
        )
    if r.case.no_evidence:
        return "no finding (as judged)" if r.ok else "finding despite no evidence"
    return "hit" if r.ok else "miss"


def render_text(results: Sequence[CaseResult]) -> str:
    lines = []
    for r in results:
        lines.append(f"{r.case.path}  [{r.events} events]")
        lines.append(f"  expected: {_expected(r.case)}")
        lines.append(f"  found:    {_found(r, 10)}")
        if r.error:
            lines.append(f"  {r.error[:400]}")
        if r.case.labelled and r.labels.get("false"):
            lines.append(f"  false:    {'; '.join(r.labels['false'])}")
        lines.append(f"  => {_verdict(r)}")
    hits = sum(r.ok for r in results)
    lines.append(f"{hits}/{len(results)} cases as expected")
    return "\n".join(lines)


def render_markdown(results: Sequence[CaseResult]) -> str:
    rows = ["| case | events | expected | found | result |", "|---|---:|---|---|---|"]
    for r in results:
        verdict = _verdict(r) + (" (ingest error)" if r.error else "")
        cells = [f"`{r.case.path}`", str(r.events), _expected(r.case), _found(r), verdict]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--work", type=Path, help="keep the Parquet files in this folder")
    args = parser.parse_args(argv)
    if not (args.corpus / "README.md").is_file():
        print(f"not a corpus folder (no README.md): {args.corpus}", file=sys.stderr)
        return 2
    started = datetime.now()
    results = evaluate(args.corpus, args.work)
    print(render_markdown(results) if args.markdown else render_text(results))
    print(f"({(datetime.now() - started).total_seconds():.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
