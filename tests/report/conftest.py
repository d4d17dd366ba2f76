"""Fixtures of the report tests: sample data, built reports, rendered files (built once per session)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from sectool.report.build import build_report
from sectool.report.indicators import ReportConfig, ReportOptions, load_config
from sectool.report.model import Period, ReportData, parse_period
from sectool.report.numbers import Report
from sectool.report.sample import sample_data
from sectool.report.writer import write_report


def _load_textutil() -> ModuleType:
    # Test modules are not a package (importlib import mode): load the helpers by path.
    spec = importlib.util.spec_from_file_location("report_textutil", Path(__file__).with_name("textutil.py"))
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


textutil = _load_textutil()


@pytest.fixture(scope="session")
def tu() -> ModuleType:
    """Text extraction helpers (tests/report/textutil.py)."""
    return textutil


HOSTILE_CLINIC = textutil.HOSTILE_CLINIC
HOSTILE_DNS = textutil.HOSTILE_DNS


@pytest.fixture(scope="session")
def q4() -> Period:
    return parse_period("2026-Q4")


@pytest.fixture(scope="session")
def config() -> ReportConfig:
    return load_config()


@pytest.fixture(scope="session")
def named_config(config: ReportConfig) -> ReportConfig:
    return config.model_copy(update={"options": ReportOptions(name_clinics=True)})


@pytest.fixture(scope="session")
def hostile_data(q4: Period) -> ReportData:
    return sample_data(
        period=q4, clinics=30, risks=25, findings=400, clinic_name=HOSTILE_CLINIC, entity_name=HOSTILE_DNS
    )


@pytest.fixture(scope="session")
def hostile_report(hostile_data: ReportData, named_config: ReportConfig) -> Report:
    return build_report(hostile_data, named_config)


@pytest.fixture(scope="session")
def hostile_dir(hostile_report: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hostile")
    write_report(hostile_report, out)
    return out


@pytest.fixture(scope="session")
def empty_dir(q4: Period, config: ReportConfig, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from datetime import UTC, datetime

    data = ReportData(period=q4, generated_at=datetime(2026, 12, 31, tzinfo=UTC))
    out = tmp_path_factory.mktemp("empty")
    write_report(build_report(data, config), out)
    return out
