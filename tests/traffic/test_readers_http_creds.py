"""Credentials in a proxy request's absolute-form target are never indexed; the format sniffer
reads a bounded first line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sectool.errors import InputError
from sectool.traffic.readers import detect_format
from sectool.traffic.readers.http import _without_credentials


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("http://user:pw@proxy.example/x?y=1", "http://proxy.example/x?y=1"),
        ("http://user@host.example:8080/", "http://host.example:8080/"),
        ("http://a:b@c@host.example", "http://host.example"),
        ("http://host.example/path@not-credentials", "http://host.example/path@not-credentials"),
        ("/index.html?to=a@b", "/index.html?to=a@b"),
        ("host.example:443", "host.example:443"),
    ],
)
def test_credentials_left_out(target: str, kept: str) -> None:
    assert _without_credentials(target) == kept


def test_sniffing_a_file_without_line_ends_is_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sectool.traffic.readers as readers

    monkeypatch.setattr(readers, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "blob.log"
    path.write_bytes(b"x" * 5000)
    with pytest.raises(InputError, match="first line is longer than 1,000 bytes"):
        detect_format(path)
