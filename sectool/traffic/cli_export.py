"""``sectool traffic export``: findings as a STIX 2.1 bundle or a MISP event for the sector CERT."""

from __future__ import annotations

from pathlib import Path

import typer

from sectool.errors import InputError


def register(app: typer.Typer) -> None:
    """Add the export command to the traffic sub-app."""

    @app.command("export")
    def export(
        findings_files: list[Path] = typer.Argument(..., help="Findings files (JSONL, from detect)."),
        stix: Path = typer.Option(None, "--stix", help="Write a STIX 2.1 bundle (JSON) here."),
        misp: Path = typer.Option(None, "--misp", help="Write a MISP event (JSON) here."),
        tlp: str = typer.Option("amber", "--tlp", help="clear, green, amber, amber+strict or red."),
        include_internal: bool = typer.Option(
            False,
            "--include-internal",
            help="Keep addresses inside the health network (as context, never as indicators).",
        ),
        internal: list[str] = typer.Option(
            None, "--internal", help="Internal range (CIDR); repeatable. Default: RFC 1918 + fc00::/7."
        ),
        internal_domain: list[str] = typer.Option(
            None, "--internal-domain", help="Internal domain suffix (e.g. regionh.dk); repeatable."
        ),
        producer: str = typer.Option("sectool", "--producer", help="Your organisation's name."),
        min_severity: str = typer.Option(
            "low", "--min-severity", help="Export findings at or above this severity."
        ),
    ) -> None:
        """Share findings with the sector CERT: STIX 2.1 (indicators, observed data, sightings) or MISP."""
        from sectool.alerting.export import TLP_CHOICES, export_findings
        from sectool.alerting.scope import DEFAULT_INTERNAL_DOMAINS, DEFAULT_INTERNAL_NETWORKS, Scope
        from sectool.console import err, out
        from sectool.traffic.detect.findings import SEVERITIES, read_jsonl

        if (stix is None) == (misp is None):
            raise InputError("give exactly one of --stix OUT.json or --misp OUT.json", field="--stix/--misp")
        if tlp not in TLP_CHOICES:
            raise InputError("unknown TLP level", field="--tlp", value=tlp, expected=", ".join(TLP_CHOICES))
        if min_severity not in SEVERITIES:
            raise InputError(
                "unknown severity", field="--min-severity", value=min_severity, expected=", ".join(SEVERITIES)
            )
        if not producer.strip() or len(producer) > 200:
            raise InputError("a producer name is 1..200 characters", field="--producer", value=producer)
        scope = Scope.build(
            internal or DEFAULT_INTERNAL_NETWORKS,
            (*DEFAULT_INTERNAL_DOMAINS, *(internal_domain or ())),
            include_internal=include_internal,
        )
        findings = []
        for path in findings_files:
            if not path.is_file():
                raise InputError("findings file not found", file=path)
            findings.extend(read_jsonl(path))
        floor = SEVERITIES.index(min_severity)
        chosen = {f.id: f for f in findings if SEVERITIES.index(f.severity) >= floor}
        target = stix if stix is not None else misp
        assert target is not None
        summary = export_findings(
            list(chosen.values()),
            target,
            fmt="stix" if stix is not None else "misp",
            scope=scope,
            tlp=tlp,
            producer=producer.strip(),
        )
        out.print(str(summary.path), markup=False, highlight=False)
        err.print(
            f"{summary.exported} finding(s) exported as {summary.fmt.upper()} with {summary.indicators} "
            f"indicator(s), TLP:{tlp.upper()}; {len(summary.left_out)} left out "
            f"({'internal addresses kept as context' if include_internal else 'internal ones left out'})",
            markup=False,
            highlight=False,
        )
        reasons: dict[str, int] = {}
        for why in summary.left_out.values():
            reasons[why] = reasons.get(why, 0) + 1
        for why, n in sorted(reasons.items()):
            err.print(f"  left out {n}: {why}", markup=False, highlight=False)
