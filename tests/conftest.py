"""Shared fixtures. Area fixtures live in tests/<area>/conftest.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: The real traffic corpus (``../shared/corpus`` beside the repository; CI has the same copy). Its
#: files are never copied into the repository; tests name the file they rely on (sources: its README).
CORPUS = Path(os.environ.get("SECTOOL_CORPUS", REPO.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def es_url() -> str:
    """URL of the real Elasticsearch node. Missing is a failure, never a skip."""
    url = os.environ.get("SECTOOL_ES_URL")
    if not url:
        pytest.fail(
            "SECTOOL_ES_URL is not set: run scripts/test (it starts a node) or "
            "scripts/elasticsearch.sh start; deselect with -m 'not elasticsearch' to run without one"
        )
    return url


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real traffic corpus folder. Missing is a failure, never a skip (like the node)."""
    if not (CORPUS / "README.md").is_file():
        pytest.fail(f"traffic corpus missing at {CORPUS} (set SECTOOL_CORPUS to the corpus folder)")
    return CORPUS


@pytest.fixture
def artifacts_dir() -> Path:
    """Folder for test artefacts (screenshots, generated reports) kept after the run."""
    path = REPO / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Any test that uses the Elasticsearch fixtures carries the marker, so `-m "not elasticsearch"` works.
    for item in items:
        names = getattr(item, "fixturenames", ())
        if any(n.startswith("es_") or n == "es" for n in names):
            item.add_marker(pytest.mark.elasticsearch)
