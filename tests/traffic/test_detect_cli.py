from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from sectool.cli import main
from sectool.traffic.detect.findings import Entity, Finding, read_jsonl, severity_for, write_jsonl
from sectool.traffic.localstore import write_events
from sectool.traffic.simulate import simulate, write_simulation


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim")
    sim = simulate(21, hours=8)
    write_simulation(sim, out, fmt="ecs")
    return out, sim.truth


def _range(truth):
    return ["--since", truth["attack_period"]["start"], "--until", truth["end"], "--now", truth["end"]]


def test_detect_json_and_realert_state(sim_dir, capsys, tmp_path):
    out, truth = sim_dir
    state = tmp_path / "state.jsonl"
    sink = tmp_path / "findings.jsonl"
    args = ["traffic", "detect", "--from", str(out / "events.parquet"), *_range(truth), "--format", "json"]
    assert main([*args, "--state", str(state), "--write-findings", str(sink)]) == 0
    doc = json.loads(capsys.readouterr().out)
    detectors = {f["detector"] for f in doc["findings"]}
    assert {"beaconing", "port_scan", "dns_tunnelling", "brute_force", "silent_source"} <= detectors
    assert doc["new"] == len(doc["findings"]) > 0
    assert all(f["new"] for f in doc["findings"])
    first = doc["findings"][0]
    assert first["query"]["dsl"]["query"]["bool"]["filter"]
    assert first["techniques"]
    written = sink.read_text().splitlines()
    assert len(written) == doc["new"] + doc["repeated"]
    # a second run reports nothing new: the state holds what was reported
    assert main([*args, "--state", str(state), "--write-findings", str(sink)]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["new"] == 0
    assert again["findings"] == []
    assert len(sink.read_text().splitlines()) == len(written)  # upsert, no duplicates
    # --all lists the re-alerts too, each marked as not new
    assert main([*args, "--all", "--state", str(state)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed["findings"]) == listed["repeated"] == len(written)
    assert not any(f["new"] for f in listed["findings"])


def test_detect_table_one_detector_and_fail_on(sim_dir, capsys):
    out, truth = sim_dir
    args = ["traffic", "detect", str(out / "events.parquet"), *_range(truth), "--detector", "port_scan"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "port_scan" in captured.out
    assert "beaconing" not in captured.out
    assert "new finding(s)" in captured.err
    assert main([*args, "--fail-on", "high"]) == 3


def test_range_without_data(sim_dir, capsys):
    out, _ = sim_dir
    args = ["traffic", "detect", "--from", str(out / "events.parquet"), "--since", "2020-01-01T00:00:00Z"]
    assert main([*args, "--until", "2020-01-02T00:00:00Z", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []


def test_missing_field_named(tmp_path, capsys):
    path = tmp_path / "ev.jsonl"
    write_events(
        path,
        [
            {
                "@timestamp": "2026-03-03T10:00:00Z",
                "event.category": "authentication",
                "event.outcome": "failure",
                "source.ip": "10.0.0.1",
                "destination.ip": "10.0.0.2",
            },
        ],
    )
    args = [
        "traffic",
        "detect",
        "--from",
        str(path),
        "--since",
        "2026-03-03T00:00:00Z",
        "--until",
        "2026-03-04T00:00:00Z",
    ]
    # brute_force runs without user.name (flow-shape guesses have none); DNS tunnelling cannot
    assert main([*args, "--detector", "dns_tunnelling"]) == 2
    msg = capsys.readouterr().err
    assert "dns.question.registered_domain" in msg
    assert "ECS field 'dns.question.registered_domain' (keyword)" in msg
    # running all detectors skips those that cannot run, and says why
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "skipped dns_tunnelling" in err
    assert "skipped brute_force" not in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--detector", "nope"], "unknown detector"),
        (["--format", "xml"], "unknown output format"),
        (["--fail-on", "severe"], "unknown severity"),
        (["--until", "2026-03-02T00:00:00Z"], "the range is empty"),
        (["--es", "http://127.0.0.1:9"], "either event files"),
        (["--since", "last tuesday"], "not a date and time"),
    ],
)
def test_bad_input(sim_dir, capsys, extra, message):
    out, _ = sim_dir
    base = {"--since": "2026-03-03T00:00:00Z", "--until": "2026-03-04T00:00:00Z"}
    for i in range(0, len(extra), 2):
        base.pop(extra[i], None)
    args = ["traffic", "detect", "--from", str(out / "events.parquet")]
    for k, v in base.items():
        args += [k, v]
    assert main([*args, *extra]) == 2
    assert message in capsys.readouterr().err


def test_no_source_and_missing_file(tmp_path, capsys):
    assert (
        main(["traffic", "detect", "--since", "2026-03-03T00:00:00Z", "--until", "2026-03-04T00:00:00Z"]) == 2
    )
    assert "either event files" in capsys.readouterr().err
    missing = tmp_path / "nope.parquet"
    args = [
        "traffic",
        "detect",
        str(missing),
        "--since",
        "2026-03-03T00:00:00Z",
        "--until",
        "2026-03-04T00:00:00Z",
    ]
    assert main(args) == 2
    assert "event file not found" in capsys.readouterr().err


def test_config_errors_name_the_line(sim_dir, tmp_path, capsys):
    out, _ = sim_dir
    cfg = tmp_path / "detect.yml"
    cfg.write_text("detectors:\n  port_scan:\n    vertical_min_ports: many\n")
    args = [
        "traffic",
        "detect",
        str(out / "events.parquet"),
        "--since",
        "2026-03-03T00:00:00Z",
        "--until",
        "2026-03-04T00:00:00Z",
    ]
    assert main([*args, "--config", str(cfg)]) == 2
    msg = capsys.readouterr().err
    assert f"{cfg}:3" in msg
    assert "vertical_min_ports" in msg


def test_detect_on_elasticsearch_with_findings_index(es_url, capsys):
    """The same command against the real node: aggregations pushed down, findings upserted
    into a findings index, and the re-alert state read back from it."""
    import uuid

    from sectool.traffic.detect.backends.es_connect import connect
    from sectool.traffic.detect.backends.es_testing import ingested_events

    sim = simulate(31, hours=3)
    es = connect(es_url)
    findings_index = f"sectool-test-findings-{uuid.uuid4().hex[:8]}"
    try:
        with ingested_events(es, sim.events()) as pattern:
            args = [
                "traffic",
                "detect",
                "--es",
                es_url,
                "--index",
                pattern,
                *_range(sim.truth),
                "--format",
                "json",
            ]
            args += [
                "--detector",
                "port_scan",
                "--detector",
                "brute_force",
                "--findings-index",
                findings_index,
            ]
            assert main(args) == 0
            first = json.loads(capsys.readouterr().out)
            assert {f["detector"] for f in first["findings"]} == {"port_scan", "brute_force"}
            es.indices.refresh(index=findings_index)
            assert es.count(index=findings_index)["count"] == first["new"] + first["repeated"]
            assert main(args) == 0
            assert json.loads(capsys.readouterr().out)["new"] == 0
    finally:
        es.indices.delete(index=findings_index, ignore_unavailable=True)


def test_relative_range(sim_dir, capsys):
    out, truth = sim_dir
    args = ["traffic", "detect", str(out / "events.parquet"), "--detector", "port_scan", "--format", "json"]
    assert main([*args, "--since", "-4h", "--until", "now", "--now", truth["end"]]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["until"] == truth["end"]
    assert doc["since"] == truth["attack_period"]["start"]  # 8 h simulation: attacks in the last 4 h


def test_state_retention_is_never_shorter_than_realert(sim_dir, tmp_path, capsys):
    """The CLI prunes with max(state_retention, realert): a 1 h retention keeps 12 h of state."""
    out, truth = sim_dir
    cfg = tmp_path / "detect.yaml"
    cfg.write_text("realert: 12h\nstate_retention: 1h\n", encoding="utf-8")
    state = tmp_path / "state.jsonl"
    end = datetime.fromisoformat(truth["end"].replace("Z", "+00:00"))
    stale = _finding(end - timedelta(hours=40), "10.8.8.8")
    recent = _finding(end - timedelta(hours=6), "10.7.7.7")
    write_jsonl(state, [stale, recent])
    args = ["traffic", "detect", "--from", str(out / "events.parquet"), "--config", str(cfg)]
    args += ["--since", truth["attack_period"]["start"], "--until", truth["end"], "--now", truth["end"]]
    assert main([*args, "--state", str(state), "--format", "json"]) == 0
    capsys.readouterr()
    ids = {f.id for f in read_jsonl(state)}
    assert recent.id in ids
    assert stale.id not in ids
    assert len(ids) > 1  # the run's new findings were added


def _finding(start: datetime, value: str) -> Finding:
    return Finding(
        detector="port_scan",
        severity=severity_for(0.8),
        score=0.8,
        entity=Entity("host", value, (("source.ip", value),)),
        window_start=start,
        window_end=start + timedelta(hours=1),
        title="probe",
        evidence={},
        query={},
        techniques=("T1046",),
    )


def test_rerunning_an_old_range_is_stable(sim_dir, tmp_path, capsys):
    """--now far after the data (a backfill): the state keeps what this range reported, so
    repeated runs report nothing new instead of alternating."""
    out, truth = sim_dir
    state = tmp_path / "state.jsonl"
    args = ["traffic", "detect", "--from", str(out / "events.parquet"), "--format", "json"]
    args += [
        "--since",
        truth["attack_period"]["start"],
        "--until",
        truth["end"],
        "--now",
        "2031-01-01T00:00:00Z",
    ]
    news = []
    for _ in range(3):
        assert main([*args, "--state", str(state)]) == 0
        news.append(json.loads(capsys.readouterr().out)["new"])
    assert news[0] > 0
    assert news[1:] == [0, 0]
    assert len(read_jsonl(state)) == news[0]


@pytest.mark.parametrize("value", ["3661d", "999999d", "-1d"])
def test_state_retention_out_of_range_is_an_input_error(sim_dir, tmp_path, capsys, value):
    out, truth = sim_dir
    cfg = tmp_path / "detect.yaml"
    cfg.write_text(f"state_retention: {value}\n", encoding="utf-8")
    args = ["traffic", "detect", "--from", str(out / "events.parquet"), "--config", str(cfg)]
    assert main([*args, "--since", truth["attack_period"]["start"], "--until", truth["end"]]) == 2
    err = capsys.readouterr().err
    assert "state_retention" in err
    assert "Traceback" not in err
