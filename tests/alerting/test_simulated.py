"""End to end on simulated traffic: simulate -> detect -> alert.send in one playbook, then the
findings exported as STIX and MISP for the sector CERT."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import stix2
from pymisp import MISPEvent

from sectool.cli import main

from .receivers import HttpReceiver, TcpSyslogReceiver, wait_for

PLAYBOOK = """\
name: sim-alerts
window: 6h
log: logs/sim.jsonl
steps:
  - step: traffic.simulate
    with: {{out: data/sim, seed: 3}}
  - step: traffic.detect
    with: {{out: findings/sim.jsonl, state: state/sim.jsonl}}
  - step: alert.send
    with:
      channels:
        - name: siem
          min_severity: low
          syslog: {{host: 127.0.0.1, port: {port}, transport: tcp}}
        - name: hook
          min_severity: high
          webhook: {{url_env: SIM_HOOK_URL, format: slack}}
"""


@pytest.mark.slow
def test_simulated_run_alerts_new_findings_once_and_exports_valid_stix_and_misp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    syslog = TcpSyslogReceiver().start()
    hook = HttpReceiver().start()
    try:
        monkeypatch.setenv("SIM_HOOK_URL", hook.url())
        pb = tmp_path / "pb.yml"
        pb.write_text(PLAYBOOK.format(port=syslog.port), encoding="utf-8")
        until = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        args = ["run", str(pb), "--workdir", str(tmp_path), "--until", until.isoformat()]
        assert main(args) == 0
        log = [
            json.loads(x) for x in (tmp_path / "logs" / "sim.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        detect, alert = [x for x in log if x["event"] == "step"][1:3]
        new = detect["counts"]["new"]
        assert new > 0
        assert alert["counts"]["findings"] == new
        assert wait_for(lambda: len(syslog.messages) == new)
        high = sum(v for k, v in detect["counts"].items() if k in ("new_high", "new_critical"))
        assert sum(len(r["json"]["blocks"]) - 1 for r in hook.requests) == high

        # the same range again: every finding is repeated (re-alert state), nothing is sent
        assert main(args) == 0
        assert not wait_for(lambda: len(syslog.messages) > new, timeout=0.3)

        findings = tmp_path / "findings" / "sim.jsonl"
        stix_out, misp_out = tmp_path / "cert" / "sim.stix.json", tmp_path / "cert" / "sim.misp.json"
        assert main(["traffic", "export", "--stix", str(stix_out), "--tlp", "amber", str(findings)]) == 0
        assert main(["traffic", "export", "--misp", str(misp_out), str(findings)]) == 0
        bundle = stix2.parse(stix_out.read_text(encoding="utf-8"), allow_custom=False)
        kinds = {o.type for o in bundle.objects}
        assert {"identity", "marking-definition", "indicator", "observed-data", "sighting"} <= kinds
        text = stix_out.read_text(encoding="utf-8")
        simulated_internal = [
            json.loads(line)["entity"]["fields"].get("source.ip")
            for line in findings.read_text(encoding="utf-8").splitlines()
        ]
        for address in filter(None, simulated_internal):
            if address.startswith(("10.", "fd")):
                assert f'"{address}"' not in text
        event = MISPEvent()
        event.load_file(str(misp_out))
        assert event.attributes
        assert all(a.to_ids for a in event.attributes if a.type != "port")
        assert event.tags[0].name == "tlp:amber"
    finally:
        syslog.stop()
        hook.stop()
