from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sectool.cli import main
from sectool.traffic.localstore import read_events as read_local
from sectool.traffic.readers import read_events


def _summary(text: str) -> dict[str, int]:
    return {
        k: int(v.replace(",", "")) for v, k in re.findall(r"([\d,]+) (read|indexed|present|rejected)", text)
    } | {k: int(v.replace(",", "")) for k, v in re.findall(r"(read|indexed|present|rejected) ([\d,]+)", text)}


@pytest.fixture(scope="module")
def simulated_pcap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One hour of the simulator's traffic as a pcap."""
    from sectool.traffic.simulate.core import simulate, write_simulation

    out = tmp_path_factory.mktemp("sim")
    summary = write_simulation(simulate(7, hours=1), out, fmt="pcap")
    return Path(summary["pcap_file"])


def test_ingest_simulated_capture_into_the_node(
    es_url: str, es_prefix: str, simulated_pcap: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from elasticsearch import Elasticsearch

    expected = list(read_events(simulated_pcap, site="dc"))
    args = [
        "traffic",
        "ingest",
        str(simulated_pcap),
        "--es",
        es_url,
        "--index-prefix",
        es_prefix,
        "--site",
        "dc",
    ]
    assert main(args) == 0
    first = _summary(capsys.readouterr().out)
    assert first["read"] == len(expected) > 1000
    assert first["indexed"] == len(expected)
    assert first["present"] == 0
    assert first["rejected"] == 0

    client = Elasticsearch(es_url)
    assert client.count(index=f"{es_prefix}-*")["count"] == len(expected)

    assert main(args) == 0  # the same file again: nothing new
    second = _summary(capsys.readouterr().out)
    assert (second["indexed"], second["present"], second["rejected"]) == (0, len(expected), 0)
    client.indices.refresh(index=f"{es_prefix}-*")
    assert client.count(index=f"{es_prefix}-*")["count"] == len(expected)

    # search by source.ip finds exactly that host's events
    by_source = Counter(e["source.ip"] for e in expected)
    host, n = by_source.most_common(3)[-1]
    hits = client.search(
        index=f"{es_prefix}-*", query={"term": {"source.ip": host}}, size=10_000, track_total_hits=True
    )
    assert hits["hits"]["total"]["value"] == n
    got = sorted((h["_source"]["@timestamp"], h["_source"]["event"]["dataset"]) for h in hits["hits"]["hits"])
    from sectool.traffic.localstore import iso_z

    want = sorted((iso_z(e["@timestamp"]), e["event.dataset"]) for e in expected if e["source.ip"] == host)
    assert got == want
    # CIDR search works because source.ip is mapped as ip
    cidr = client.count(index=f"{es_prefix}-*", query={"term": {"source.ip": "10.0.0.0/8"}})["count"]
    assert cidr == sum(1 for e in expected if e["source.ip"].startswith("10."))
    client.close()


def test_damaged_input_indexes_the_valid_prefix(
    es_url: str, es_prefix: str, tmp_path: Path, sample_packets: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from elasticsearch import Elasticsearch
    from scapy.utils import wrpcap

    full = tmp_path / "full.pcap"
    wrpcap(str(full), sample_packets)
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(full.read_bytes()[:-5])
    args = ["traffic", "ingest", str(cut), "--es", es_url, "--index-prefix", es_prefix]
    args += ["--idle-timeout", "0.3"]
    code = main(args)
    captured = capsys.readouterr()
    assert code == 2
    assert "truncated pcap" in captured.err
    # Ended before the damage: the UDP DNS and ICMP flows (+ the DNS event); TLS, IPv6 REJ and SSH
    # are still in their TCP close linger at the damage point and are not indexed.
    assert "3 incomplete flows at the damage point were not indexed" in captured.err
    assert _summary(captured.out)["indexed"] == 3
    client = Elasticsearch(es_url)
    assert client.count(index=f"{es_prefix}-*")["count"] == 3
    client.close()


def test_local_files(tmp_path: Path, sample_packets: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    from scapy.utils import wrpcap

    pcap = tmp_path / "s.pcap"
    wrpcap(str(pcap), sample_packets)
    for name in ("events.parquet", "events.jsonl"):
        out = tmp_path / name
        args = ["traffic", "ingest", str(pcap), "--to", str(out), "--site", "dc", "--internal", "10.0.0.0/24"]
        assert main(args) == 0
        assert "written 8" in capsys.readouterr().out
        df = read_local([out])
        assert len(df) == 8
        assert set(df["sectool.site"]) == {"dc"}
        assert str(df["@timestamp"].dtype) == "datetime64[ns, UTC]"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "x.csv"], "unsupported output type"),
        (["--idle-timeout", "0", "--to", "x.jsonl"], "timeouts must be positive"),
        (["--internal", "10.0.0/33", "--to", "x.jsonl"], "not a CIDR network"),
        (["--es", "http://127.0.0.1:9", "--index-prefix", "Bad Prefix"], "invalid index prefix"),
    ],
)
def test_bad_options(
    tmp_path: Path,
    sample_packets: list[Any],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    from scapy.utils import wrpcap

    pcap = tmp_path / "s.pcap"
    wrpcap(str(pcap), sample_packets)
    fixed = [str(tmp_path / a) if a.startswith("x.") else a for a in args]
    assert main(["traffic", "ingest", str(pcap), *fixed]) == 2
    assert message in capsys.readouterr().err


def test_unreachable_node_is_exit_1(
    tmp_path: Path, sample_packets: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from scapy.utils import wrpcap

    pcap = tmp_path / "s.pcap"
    wrpcap(str(pcap), sample_packets)
    assert main(["traffic", "ingest", str(pcap), "--es", "http://127.0.0.1:9"]) == 1
    err = capsys.readouterr().err
    assert "Elasticsearch at http://127.0.0.1:9 is unreachable" in err
    assert "Traceback" not in err


def test_timeouts_reach_the_flow_table(tmp_path: Path, sample_packets: list[Any]) -> None:
    from scapy.utils import wrpcap

    pcap = tmp_path / "s.pcap"
    wrpcap(str(pcap), sample_packets)
    default, short = tmp_path / "d.jsonl", tmp_path / "s.jsonl"
    assert main(["traffic", "ingest", str(pcap), "--to", str(default)]) == 0
    # packets of the sample TCP flows are 10 ms apart: a 5 ms idle timeout cuts every packet apart
    assert main(["traffic", "ingest", str(pcap), "--to", str(short), "--idle-timeout", "0.005"]) == 0
    flows = [
        sum('"event.dataset":"sectool.flow"' in line for line in p.read_text().splitlines())
        for p in (default, short)
    ]
    assert flows[0] == 6
    assert flows[1] > 20


def test_one_damaged_file_does_not_stop_the_others(
    tmp_path: Path, sample_packets: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from scapy.utils import wrpcap

    good = tmp_path / "good.pcap"
    wrpcap(str(good), sample_packets)
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"@timestamp": "2026-03-03T00:00:00Z", "source.ip": "10.9.9.9"}\n{"source.port": "x"}\n')
    out = tmp_path / "all.jsonl"
    assert main(["traffic", "ingest", str(bad), str(good), "--to", str(out)]) == 2
    captured = capsys.readouterr()
    assert "bad.ndjson:2, field 'source.port'" in captured.err
    assert "read 9" in captured.out  # 1 valid line + 8 events of the capture
    assert len(out.read_text().splitlines()) == 9


def test_elasticsearch_and_local_file_in_one_pass(
    es_url: str, es_prefix: str, tmp_path: Path, sample_packets: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from elasticsearch import Elasticsearch
    from scapy.utils import wrpcap

    pcap = tmp_path / "s.pcap"
    wrpcap(str(pcap), sample_packets)
    out = tmp_path / "e.parquet"
    assert (
        main(["traffic", "ingest", str(pcap), "--es", es_url, "--index-prefix", es_prefix, "--to", str(out)])
        == 0
    )
    text = capsys.readouterr().out
    assert "indexed 8" in text
    assert "written 8" in text
    assert len(read_local([out])) == 8
    client = Elasticsearch(es_url)
    assert client.count(index=f"{es_prefix}-*")["count"] == 8
    client.close()
