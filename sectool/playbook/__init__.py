"""Playbooks: strict YAML model and the runner for scheduled scans.

Public API (imported lazily)::

    from sectool.playbook import load_playbook, run_playbook, LogSink
    pb = load_playbook("playbooks/nightly-traffic.yml")
    result = run_playbook(pb, workdir=Path("/srv/sectool"), since=..., until=..., now=..., log=LogSink(path))
    result.exit_code  # 0 ok, 1 a step failed, 3 findings at the alert severity
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sectool._lazy import lazy_exports

if TYPE_CHECKING:  # real types for mypy and IDEs; at run time the names load lazily
    from sectool.playbook.lock import LockHeld
    from sectool.playbook.model import Playbook, load_playbook
    from sectool.playbook.runner import LogSink, RunResult, run_playbook

__all__ = ["LockHeld", "LogSink", "Playbook", "RunResult", "load_playbook", "run_playbook"]

_WHERE = {
    "LockHeld": "sectool.playbook.lock",
    "LogSink": "sectool.playbook.runner",
    "RunResult": "sectool.playbook.runner",
    "run_playbook": "sectool.playbook.runner",
    "Playbook": "sectool.playbook.model",
    "load_playbook": "sectool.playbook.model",
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
