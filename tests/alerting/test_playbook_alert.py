"""The ``alert.send`` playbook step: strict configuration (file, line, field) and real runs with
exit codes (1 when a channel failed, 0 after the recovery, nothing sent twice)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sectool.cli import main
from sectool.errors import InputError
from sectool.playbook.model import load_playbook

from .receivers import HOST, HttpReceiver, TcpSyslogReceiver, UdpSyslogReceiver, wait_for

PLAYBOOK = """\
name: alerts
steps:
  - step: alert.send
    with:
      from: [findings.jsonl]
      keep: 30d
      channels:
        - name: hook
          min_severity: medium
          retries: 1
          backoff: 10ms
          webhook:
            url_env: TEST_HOOK_URL
            format: generic
        - name: siem
          min_severity: low
          syslog:
            host: 127.0.0.1
            port: {tcp_port}
            transport: tcp
        - name: siem-udp
          min_severity: critical
          syslog:
            host: 127.0.0.1
            port: {udp_port}
            transport: udp
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pb.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_config_is_parsed(tmp_path: Path) -> None:
    pb = load_playbook(_write(tmp_path, PLAYBOOK.format(tcp_port=1514, udp_port=514)))
    params = pb.steps[0].params
    assert [c.name for c in params.channels] == ["hook", "siem", "siem-udp"]  # type: ignore[attr-defined]
    assert [c.kind for c in params.channels] == ["webhook", "syslog", "syslog"]  # type: ignore[attr-defined]
    assert params.channels[0].backoff.total_seconds() == 0.01  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "text"),
    [
        (
            "            format: generic\n",
            "            format: generic\n            url: https://x\n",
            15,
            "steps[0].with.channels[0].webhook.url",
            "unknown key 'url'; did you mean 'url_env'?",
        ),
        (
            "            format: generic\n",
            "            format: teems\n",
            14,
            "steps[0].with.channels[0].webhook.format",
            "'generic', 'teams' or 'slack'",
        ),
        (
            "          retries: 1\n",
            "          retries: 99\n",
            10,
            "steps[0].with.channels[0].retries",
            "less than or equal to 10",
        ),
        (
            "          backoff: 10ms\n",
            "          backoff: soon\n",
            11,
            "steps[0].with.channels[0].backoff",
            "not a duration",
        ),
        (
            "          min_severity: low\n",
            "          min_severity: urgent\n",
            16,
            "steps[0].with.channels[1].min_severity",
            "'low', 'medium', 'high' or 'critical'",
        ),
        (
            "            transport: tcp\n",
            "            transport: tcp+tls\n",
            20,
            "steps[0].with.channels[1].syslog.transport",
            "'udp', 'tcp' or 'tls'",
        ),
        (
            "        - name: siem-udp\n",
            "        - name: siem\n",
            7,
            "steps[0].with.channels",
            "channel name 'siem' is used twice",
        ),
        (
            "            url_env: TEST_HOOK_URL\n",
            "            url_env: https://hooks.example/T0KEN\n",
            13,
            "steps[0].with.channels[0].webhook.url_env",
            "should match pattern",
        ),
        (
            "        - name: hook\n",
            "        - name: Hook Channel\n",
            8,
            "steps[0].with.channels[0].name",
            "should match pattern",
        ),
        (
            "      keep: 30d\n",
            "      kept: 30d\n",
            6,
            "steps[0].with.kept",
            "unknown key 'kept'; did you mean 'keep'?",
        ),
        (
            "          syslog:\n            host: 127.0.0.1\n            port: {udp_port}\n",
            "          webhook: {{url_env: X}}\n"
            "          syslog:\n            host: 127.0.0.1\n            port: {udp_port}\n",
            21,
            "steps[0].with.channels[2]",
            "exactly one of 'email', 'webhook', 'syslog' (got 2)",
        ),
    ],
)
def test_bad_config_names_file_line_and_field(
    tmp_path: Path, old: str, new: str, line: int, field: str, text: str
) -> None:
    assert old in PLAYBOOK
    path = _write(tmp_path, PLAYBOOK.replace(old, new).format(tcp_port=1514, udp_port=514))
    with pytest.raises(InputError) as info:
        load_playbook(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}, field '{field}': step 1 (alert.send): "), message
    assert text in message


@pytest.mark.parametrize(
    ("email", "text"),
    [
        ("{host: smtp.example, from: a@b.example, to: []}", "at least 1 item"),
        (
            "{host: smtp.example, from: 'x@y.example\\r\\nBcc: z@evil.example', to: [soc@r.example]}",
            "not an e-mail address",
        ),
        ("{host: smtp.example, from: a@b.example, to: ['Soc <soc@r.example>']}", "not an e-mail address"),
        (
            "{host: smtp.example, from: a@b.example, to: [soc@r.example], security: none}",
            "'starttls' or 'tls'",
        ),
        (
            "{host: smtp.example, from: a@b.example, to: [soc@r.example], password: hunter2}",
            "unknown key 'password'",
        ),
        ("{from: a@b.example, to: [soc@r.example]}", "missing key 'host'"),
    ],
)
def test_bad_email_config(tmp_path: Path, email: str, text: str) -> None:
    pb = (
        "name: x\nsteps:\n  - step: alert.send\n    with:\n      channels:\n"
        f"        - name: m\n          email: {email}\n"
    )
    path = _write(tmp_path, pb)
    with pytest.raises(InputError) as info:
        load_playbook(path)
    assert str(info.value).startswith(f"{path}:7, field 'steps[0].with.channels[0].email")
    assert text in str(info.value)


def test_cli_reports_a_bad_config_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(
        tmp_path,
        PLAYBOOK.replace("transport: tcp", "transport: carrier-pigeon").format(tcp_port=1, udp_port=2),
    )
    assert main(["run", str(path), "--workdir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:20, field 'steps[0].with.channels[1].syslog.transport'" in err
    assert "Traceback" not in err


def test_run_fails_with_exit_1_then_recovers_sending_exactly_the_missing_findings(
    tmp_path: Path, findings_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hook = HttpReceiver().start()  # plain http is allowed to 127.0.0.1 only
    tcp = TcpSyslogReceiver().start()
    udp = UdpSyslogReceiver().start()
    try:
        monkeypatch.setenv("TEST_HOOK_URL", hook.url("/hook?token=S3CRET"))
        path = _write(tmp_path, PLAYBOOK.format(tcp_port=tcp.port, udp_port=udp.port))
        (tmp_path / "findings.jsonl").write_bytes(findings_file.read_bytes())
        log = tmp_path / "log.jsonl"
        hook.fail_next = 2  # the first attempt and its one retry
        code = main(["run", str(path), "--workdir", str(tmp_path), "--log-file", str(log)])
        err = capsys.readouterr().err
        assert code == 1
        assert (
            "playbook alerts failed at step 1 (alert.send): 1 alert channel(s) failed: hook: webhook " in err
        )
        assert f"http://{HOST}:{hook.port}: HTTP 500 (5 finding(s) kept for the next run)" in err
        assert "S3CRET" not in err
        assert "S3CRET" not in log.read_text(encoding="utf-8")
        # the syslog channels were tried after the webhook failed, and delivered
        assert wait_for(lambda: len(tcp.messages) == 6)
        assert wait_for(lambda: len(udp.messages) == 2)
        assert hook.requests == []

        code = main(["run", str(path), "--workdir", str(tmp_path), "--log-file", str(log)])
        err = capsys.readouterr().err
        assert code == 0, err
        ids = [f["id"] for r in hook.requests for f in r["json"]["findings"]]
        expected = [json.loads(line) for line in findings_file.read_text(encoding="utf-8").splitlines()]
        assert sorted(ids) == sorted(d["id"] for d in expected if d["severity"] != "low")
        step = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines() if '"step"' in x][-1]
        assert step["counts"] == {"findings": 6, "channels": 3, "queued": 0, "sent": 5}
        assert "hook (webhook): 5 sent, 0 newly queued" in step["notes"]

        # a third run sends nothing anywhere
        assert main(["run", str(path), "--workdir", str(tmp_path)]) == 0
        assert len(hook.requests) == 1
        assert not wait_for(lambda: len(tcp.messages) > 6 or len(udp.messages) > 2, timeout=0.3)
        journal = json.loads((tmp_path / "state" / "alerts" / "hook.json").read_text(encoding="utf-8"))
        assert journal["pending"] == []
        assert len(journal["sent"]) == 5
    finally:
        hook.stop()
        tcp.stop()
        udp.stop()


def test_without_findings_source_the_step_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(
        tmp_path, PLAYBOOK.replace("      from: [findings.jsonl]\n", "").format(tcp_port=1, udp_port=2)
    )
    assert main(["run", str(path), "--workdir", str(tmp_path)]) == 1
    assert (
        "no findings to send: give 'from' (findings files) or run traffic.detect before this step"
        in capsys.readouterr().err
    )


def test_a_damaged_findings_file_names_file_and_line(
    tmp_path: Path, findings_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = findings_file.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace('"severity": "', '"severity": "x')
    (tmp_path / "findings.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = _write(tmp_path, PLAYBOOK.format(tcp_port=1, udp_port=2))
    assert main(["run", str(path), "--workdir", str(tmp_path)]) == 1
    assert f"{tmp_path / 'findings.jsonl'}:3: not a finding: unknown severity" in capsys.readouterr().err
