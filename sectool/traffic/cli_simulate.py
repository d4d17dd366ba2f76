"""``sectool traffic simulate``: labelled synthetic traffic with injected attacks."""

from __future__ import annotations

from pathlib import Path

import typer

from sectool.errors import InputError


def register(app: typer.Typer) -> None:
    """Add the simulate command to the traffic sub-app."""

    @app.command("simulate")
    def simulate_cmd(
        out_dir: Path = typer.Option(..., "--out", help="Output folder."),
        seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same traffic."),
        hours: int = typer.Option(12, "--hours", help="Hours of traffic (1..744)."),
        fmt: str = typer.Option("ecs", "--format", help="ecs (events file), pcap, or both."),
        start: str = typer.Option(
            None, "--start", help="Start (ISO 8601 with zone); default 2026-03-03T11:00:00Z."
        ),
        jsonl: bool = typer.Option(False, "--jsonl", help="Write events.jsonl instead of events.parquet."),
        per_sensor: bool = typer.Option(
            False, "--pcap-per-sensor", help="One capture per sensor in OUT/pcap/ instead of traffic.pcap."
        ),
        hosts_per_site: int = typer.Option(
            55, "--hosts-per-site", help="Workstations per site (4 sites); scales the traffic."
        ),
    ) -> None:
        """Simulate a central health-IT network with attacks; write events/pcap and ground truth."""
        from sectool.console import out
        from sectool.traffic.detect.findings import parse_time
        from sectool.traffic.simulate import DEFAULT_START, simulate, write_simulation

        if fmt not in ("ecs", "pcap", "both"):
            raise InputError(
                "unknown output format", field="--format", value=fmt, expected="ecs, pcap or both"
            )
        begin = DEFAULT_START
        if start is not None:
            try:
                begin = parse_time(start)
            except ValueError:
                raise InputError(
                    "not a date and time",
                    field="--start",
                    value=start,
                    expected="ISO 8601, e.g. 2026-03-03T11:00:00Z",
                ) from None
        if out_dir.exists() and not out_dir.is_dir():
            raise InputError("not a folder", file=out_dir)
        sim = simulate(seed, hours=hours, start=begin, hosts_per_site=hosts_per_site)
        summary = write_simulation(
            sim,
            out_dir,
            fmt=fmt,
            events_name="events.jsonl" if jsonl else "events.parquet",
            pcap_per_sensor=per_sensor,
        )
        lines = [f"{summary['events']} events, {summary['attacks']} attacks (seed {seed}, {hours} h)"]
        for key in ("events_file", "pcap_file", "ground_truth", "detect_config"):
            if key in summary:
                extra = f" ({summary['packets']} packets)" if key == "pcap_file" else ""
                lines.append(f"  {summary[key]}{extra}")
        out.print("\n".join(lines), markup=False, highlight=False)
