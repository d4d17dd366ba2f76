"""Retention of the daily event indices (plan from names; deletion on the real node)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sectool.cli import main
from sectool.traffic.es.retention import plan_retention

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("names", "keep_days", "deleted"),
    [
        (["p-2026.12.07", "p-2026.12.06", "p-2026.11.07", "p-2026.11.06"], 30, ["p-2026.11.06"]),
        (["p-2026.12.06"], 1, []),
        (["p-2026.12.05"], 1, ["p-2026.12.05"]),
        (["p-test-2020.01.01", "p-2020.13.01", "p-2020.01.01-x", "p-2020.1.1"], 1, []),  # not ours: kept
        (["p-2019.02.29", "p-2020.02.29"], 365, ["p-2020.02.29"]),  # 2019-02-29 is no day
    ],
)
def test_plan_from_names(names: list[str], keep_days: int, deleted: list[str]) -> None:
    plan = plan_retention("p", names, keep_days=keep_days, today=TODAY)
    assert list(plan.delete) == deleted
    assert sorted(plan.delete + plan.keep) == sorted(names)


def test_plan_refuses_zero_days() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        plan_retention("p", [], keep_days=0, today=TODAY)


def test_cli_refuses_bad_keep_days(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["traffic", "retention", "--keep-days", "0", "--es", "http://127.0.0.1:1"]) == 2
    assert "--keep-days" in capsys.readouterr().err


def test_retention_on_the_node(es_url: str, es_prefix: str, capsys: pytest.CaptureFixture[str]) -> None:
    from elasticsearch import Elasticsearch

    from sectool.traffic.es.retention import apply_retention

    client = Elasticsearch(es_url)
    today = datetime.now(UTC).date()
    old = f"{es_prefix}-2001.01.01"
    new = f"{es_prefix}-{today:%Y.%m.%d}"
    other = f"{es_prefix}-keep-2001.01.01"
    for name in (old, new, other):
        client.indices.create(index=name)
    try:
        assert (
            main(
                [
                    "traffic",
                    "retention",
                    "--keep-days",
                    "30",
                    "--es",
                    es_url,
                    "--index-prefix",
                    es_prefix,
                    "--dry-run",
                ]
            )
            == 0
        )
        assert "would delete 1 indices" in capsys.readouterr().out
        assert client.indices.exists(index=old)
        assert (
            main(["traffic", "retention", "--keep-days", "30", "--es", es_url, "--index-prefix", es_prefix])
            == 0
        )
        assert "deleted 1 indices" in capsys.readouterr().out
        assert not client.indices.exists(index=old)
        assert client.indices.exists(index=new)
        assert client.indices.exists(index=other)
        assert apply_retention(client, es_prefix, keep_days=30).delete == ()
    finally:
        client.indices.delete(index=f"{new},{other}", ignore_unavailable=True)
