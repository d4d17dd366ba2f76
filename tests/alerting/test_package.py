"""The public surface of sectool.alerting: every listed name resolves, nothing heavy at import."""

from __future__ import annotations

import subprocess
import sys

import sectool.alerting as alerting


def test_every_public_name_resolves_and_is_listed() -> None:
    for name in alerting.__all__:
        assert getattr(alerting, name) is not None, name
    assert set(alerting.__all__) <= set(dir(alerting))


def test_importing_the_channels_does_not_load_the_export_libraries() -> None:
    # stix2 and pymisp cost a second of start-up: only `traffic export` needs them.
    code = "import sys, sectool.alerting, sectool.playbook.steps_alert; print(' '.join(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = {m.split(".")[0] for m in proc.stdout.split()}
    assert not loaded & {"stix2", "pymisp", "urllib3", "smtplib", "jinja2"}, sorted(
        loaded & {"stix2", "pymisp"}
    )
