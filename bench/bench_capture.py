"""Benchmark: reading captures. sectool's pcap reader (packets -> flows -> ECS events) against
scapy's ``rdpcap`` with per-packet layer access (the baseline) and scapy's ``RawPcapReader``
reading the bytes only (the ceiling for a pcap reader written in Python), on the same capture.

The capture comes from the simulator (``sectool traffic simulate``): one simulated run written as
pcap, of which the first N packets form the 1x capture and the first 4N and 16N packets the 4x
and 16x captures (the same traffic, growing). Every reader runs in a fresh process, so that its
peak resident set (``VmHWM``) belongs to it alone; ``work`` is peak minus the resident set
after the imports. ``rdpcap`` materialises every packet and is slow, so it runs on 1x only.

    .venv/bin/python bench/bench_capture.py                 # 1x = 250,000 packets; 4x; 16x
    .venv/bin/python bench/bench_capture.py --profile       # also a pyinstrument profile of sectool on 1x
    .venv/bin/python bench/bench_capture.py --smoke         # tiny sizes, for the test suite

The 1x capture is also read with its TCP payloads filled in (``_payloads.with_payloads``: TLS,
HTTP and SSH openers by port, zeros elsewhere), so that protocol identification and extraction
are timed too (``sectool+payloads``, against ``rdpcap`` on the same file).

Goals (issue 7): sectool >= 50x rdpcap's packets/s (with and without payloads), >= 0.5x the
bytes-only read, peak memory flat from 1x to 16x.
"""

from __future__ import annotations

import argparse
import shutil
import struct
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c
from _payloads import with_payloads

SCRIPT = Path(__file__).resolve()
DEFAULT_WORKDIR = Path("/var/tmp/sectool-bench/captures")
FULL_PACKETS = 250_000
SMOKE_PACKETS = 3_000
SCALES = (1, 4, 16)
#: The work memory at 16x may be at most this many times the work memory at 1x to count as flat
#: (a reader that kept the capture would be near 16).
FLAT_FACTOR = 1.5
FLAT_SLACK_MIB = 8.0
_GLOBAL = 24
_RECORD = struct.Struct("<IIII")


# ------------------------------------------------------------------------------ the captures
def simulated_capture(workdir: Path, *, seed: int, hours: int, events: int | None = None) -> Path:
    """The simulator's capture of ``hours`` hours, cached; ``events`` keeps only the first N flows."""
    from sectool.traffic.simulate import simulate
    from sectool.traffic.simulate.pcap import write_pcap

    name = f"sim-seed{seed}-{hours}h" + (f"-{events}ev" if events else "") + ".pcap"
    path = workdir / name
    if path.exists():
        return path
    sim = simulate(seed, hours=hours)
    order = sim.order[:events] if events else sim.order
    workdir.mkdir(parents=True, exist_ok=True)
    write_pcap(path, sim.columns, order)
    return path


def prefix_capture(src: Path, dst: Path, packets: int) -> int:
    """Copy the file header and the first ``packets`` records of the classic pcap ``src`` to ``dst``.

    Raises:
        ValueError: ``src`` holds fewer packets.
    """
    if dst.exists():
        return packets
    tmp = dst.with_suffix(".part")
    copied = 0
    with src.open("rb") as fin, tmp.open("wb") as fout:
        fout.write(fin.read(_GLOBAL))
        while copied < packets:
            head = fin.read(16)
            if len(head) < 16:
                break
            caplen = _RECORD.unpack(head)[2]
            fout.write(head)
            fout.write(fin.read(caplen))
            copied += 1
    if copied < packets:
        tmp.unlink()
        raise ValueError(f"{src} has only {copied} packets, {packets} needed")
    tmp.rename(dst)
    return copied


# -------------------------------------------------------------------------------- the readers
def read_sectool(path: Path) -> dict[str, int]:
    """sectool's reader: packets folded into flows, DNS and auth events (what ingest does)."""
    from sectool.traffic.readers import ReadReport, read_events

    report = ReadReport()
    events = 0
    for _ in read_events(path, report=report):
        events += 1
    return {"packets": report.packets, "events": events}


def read_rdpcap(path: Path) -> dict[str, int]:
    """scapy ``rdpcap`` and per-packet layer access (addresses, ports, length)."""
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.utils import rdpcap

    packets = rdpcap(str(path))
    touched = 0
    for pkt in packets:
        net = pkt.getlayer(IP) or pkt.getlayer(IPv6)
        if net is None:
            continue
        _ = (net.src, net.dst)
        l4 = pkt.getlayer(TCP) or pkt.getlayer(UDP)
        if l4 is not None:
            _ = (l4.sport, l4.dport)
        touched += 1
    return {"packets": len(packets), "events": touched}


def read_raw(path: Path) -> dict[str, int]:
    """scapy ``RawPcapReader``: every record's bytes, nothing parsed (the ceiling)."""
    from scapy.utils import RawPcapReader

    n = 0
    size = 0
    with RawPcapReader(str(path)) as reader:
        for data, _meta in reader:
            n += 1
            size += len(data)
    return {"packets": n, "events": 0, "bytes": size}


READERS: dict[str, Callable[[Path], dict[str, int]]] = {
    "sectool": read_sectool,
    "rdpcap": read_rdpcap,
    "raw": read_raw,
}


def child(reader: str, path: Path, repeats: int) -> None:
    """Child process: import everything, note the resident set, run ``repeats`` times (best counts)."""
    # The same imports for every reader, so that their base resident sets compare.
    import scapy.layers.inet
    import scapy.layers.inet6
    import scapy.utils  # noqa: F401

    import sectool.traffic.readers.pcap  # noqa: F401

    base = c.rss_now_mib()
    seconds, cpu, result = c.best_of(lambda: READERS[reader](path), repeats)
    c.child_answer({"reader": reader, "seconds": seconds, "cpu_seconds": cpu, **result}, base_mib=base)


def measure(reader: str, path: Path, repeats: int) -> dict[str, Any]:
    answer = c.run_child(SCRIPT, ["--child", reader, str(path), "--repeats", str(repeats)])
    answer["pps"] = answer["packets"] / answer["seconds"]
    answer["pps_cpu"] = answer["packets"] / max(answer["cpu_seconds"], 1e-9)
    answer["work_mib"] = answer["rss_peak_mib"] - answer["rss_base_mib"]
    return answer


# ---------------------------------------------------------------------------------------- main
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds), for the test suite")
    parser.add_argument("--packets", type=int, help=f"packets of the 1x capture (default {FULL_PACKETS:,})")
    parser.add_argument("--seed", type=int, default=1, help="simulator seed")
    parser.add_argument("--hours", type=int, default=24, help="hours simulated for the base capture")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of sectool and bytes-only on 1x (the best counts)"
    )
    parser.add_argument("--workdir", type=Path, help=f"capture cache (default {DEFAULT_WORKDIR})")
    parser.add_argument(
        "--profile", action="store_true", help="profile sectool's reader on 1x (pyinstrument)"
    )
    parser.add_argument(
        "--json", type=Path, help="write the results here (default bench/results/capture.json)"
    )
    parser.add_argument("--child", nargs=2, metavar=("READER", "PCAP"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        child(args.child[0], Path(args.child[1]), args.repeats)
        return 0

    env = c.Environment.now()
    command = ["bench/bench_capture.py", *(argv if argv is not None else sys.argv[1:])]
    c.header("captures: sectool reader vs scapy rdpcap vs RawPcapReader", env, command)
    smoke = args.smoke
    n1 = args.packets or (SMOKE_PACKETS if smoke else FULL_PACKETS)
    repeats = 1 if smoke else args.repeats
    tmp: Path | None = None
    if smoke and args.workdir is None:
        tmp = Path(tempfile.mkdtemp(prefix="sectool-bench-capture-"))
    workdir = args.workdir or tmp or DEFAULT_WORKDIR
    try:
        # Smoke: the first 300 flows of one simulated hour are plenty for 16 x 3,000 packets.
        base = simulated_capture(
            workdir, seed=args.seed, hours=1 if smoke else args.hours, events=3_000 if smoke else None
        )
        captures = {}
        for k in SCALES:
            dst = workdir / f"{base.stem}-first{k * n1}.pcap"
            prefix_capture(base, dst, k * n1)
            captures[k] = dst
        # The same 1x capture with its TCP payloads: protocol identification and extraction at work.
        payloads = with_payloads(captures[1], workdir / f"{base.stem}-first{n1}-payloads.pcap")

        results: dict[str, dict[str, Any]] = {}
        for k in SCALES:
            for reader in ("sectool", "raw", "rdpcap"):
                if reader == "rdpcap" and k != 1:
                    continue
                # Repeats (best of) for the ratios at 1x; the larger sizes are about memory.
                runs = repeats if k == 1 and reader != "rdpcap" else 1
                results[f"{reader}@{k}x"] = measure(reader, captures[k], runs)
        for reader in ("sectool", "rdpcap"):
            results[f"{reader}+payloads@1x"] = measure(
                reader, payloads, repeats if reader == "sectool" else 1
            )

        rows = []
        for key, r in results.items():
            rows.append(
                [
                    key,
                    c.fmt_num(r["packets"]),
                    c.fmt_num(r["events"]),
                    f"{r['seconds']:.2f}",
                    c.fmt_num(r["pps"]),
                    f"{r['cpu_seconds']:.2f}",
                    c.fmt_num(r["pps_cpu"]),
                    f"{r['rss_peak_mib']:.0f}",
                    f"{r['work_mib']:.1f}",
                ]
            )
        headers = [
            "reader@size",
            "packets",
            "events",
            "wall s",
            "packets/s",
            "CPU s",
            "packets/CPU s",
            "peak MiB",
            "work MiB",
        ]
        print(c.table(headers, rows))

        s1, raw1, rd1 = results["sectool@1x"], results["raw@1x"], results["rdpcap@1x"]
        vs_rdpcap = c.ratio(s1["pps"], rd1["pps"])
        vs_raw = c.ratio(s1["pps"], raw1["pps"])
        cpu_rdpcap = c.ratio(s1["pps_cpu"], rd1["pps_cpu"])
        cpu_raw = c.ratio(s1["pps_cpu"], raw1["pps_cpu"])
        sp1, rdp1 = results["sectool+payloads@1x"], results["rdpcap+payloads@1x"]
        vs_rdpcap_payloads = c.ratio(sp1["pps"], rdp1["pps"])
        cpu_rdpcap_payloads = c.ratio(sp1["pps_cpu"], rdp1["pps_cpu"])
        w1, w16 = max(s1["work_mib"], 0.0), max(results["sectool@16x"]["work_mib"], 0.0)
        flat = w16 <= FLAT_FACTOR * w1 + FLAT_SLACK_MIB
        print(
            f"sectool / rdpcap     : {vs_rdpcap:8.1f}x wall, {cpu_rdpcap:8.1f}x CPU   "
            f"(goal >= 50x: {c.verdict(vs_rdpcap >= 50)})"
        )
        print(
            f"with payloads        : {vs_rdpcap_payloads:8.1f}x wall, {cpu_rdpcap_payloads:8.1f}x CPU   "
            f"(goal >= 50x: {c.verdict(vs_rdpcap_payloads >= 50)}; protocol identification at work)"
        )
        print(
            f"sectool / bytes-only : {vs_raw:8.2f}x wall, {cpu_raw:8.2f}x CPU   "
            f"(goal >= 0.5x: {c.verdict(vs_raw >= 0.5)})"
        )
        print(
            f"sectool work memory  : 1x {w1:.1f} MiB, 4x {results['sectool@4x']['work_mib']:.1f} MiB, "
            f"16x {w16:.1f} MiB (flat = 16x <= {FLAT_FACTOR} x 1x + {FLAT_SLACK_MIB:.0f} MiB: "
            f"{c.verdict(flat)})"
        )
        summary = {
            "benchmark": "capture",
            "environment": env.__dict__,
            "command": " ".join(command),
            "smoke": smoke,
            "capture": str(base),
            "packets_1x": n1,
            "results": results,
            "ratios": {
                "sectool_vs_rdpcap": vs_rdpcap,
                "sectool_vs_raw": vs_raw,
                "sectool_vs_rdpcap_cpu": cpu_rdpcap,
                "sectool_vs_raw_cpu": cpu_raw,
                "sectool_vs_rdpcap_payloads": vs_rdpcap_payloads,
                "sectool_vs_rdpcap_payloads_cpu": cpu_rdpcap_payloads,
            },
            "memory_flat": flat,
        }
        if args.profile:
            text = c.profile_text(lambda: read_sectool(captures[1]))
            print(c.save_profile("capture-sectool", text, None if not smoke else workdir))
            summary["profile"] = text
        if not smoke or args.json:
            print(f"results: {c.write_results('capture', summary, args.json)}")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
