from __future__ import annotations

from pathlib import Path

import pytest

from sectool.errors import InputError, ServiceError
from sectool.traffic.es.client import check_reachable, make_client, settings_from_env


def test_url_from_argument_wins_over_environment() -> None:
    s = settings_from_env("https://es.example:9200/", {"SECTOOL_ES_URL": "http://other:9200"})
    assert s.url == "https://es.example:9200"


@pytest.mark.parametrize(
    ("env", "auth"),
    [
        ({"SECTOOL_ES_API_KEY": "abc"}, "api_key"),
        ({"SECTOOL_ES_USER": "elastic", "SECTOOL_ES_PASSWORD": "pw"}, "basic"),
        ({"SECTOOL_ES_USERNAME": "elastic", "SECTOOL_ES_PASSWORD": "pw"}, "basic"),
        ({"SECTOOL_ES_API_KEY": "abc", "SECTOOL_ES_USER": "u", "SECTOOL_ES_PASSWORD": "p"}, "api_key"),
        ({}, "none"),
    ],
)
def test_credentials_from_environment(env: dict[str, str], auth: str) -> None:
    s = settings_from_env(None, {"SECTOOL_ES_URL": "http://127.0.0.1:9", **env})
    assert f"auth={auth}" in repr(s)
    assert "pw" not in repr(s)
    assert "abc" not in repr(s)


@pytest.mark.parametrize(
    ("url", "env", "message"),
    [
        (None, {}, "no Elasticsearch URL"),
        ("ftp://x", {}, "must start with http:// or https://"),
        ("http://x", {"SECTOOL_ES_USER": "u"}, "SECTOOL_ES_PASSWORD is not"),
        ("http://x", {"SECTOOL_ES_CA_CERT": "/nonexistent/ca.pem"}, "CA certificate file not found"),
    ],
)
def test_bad_settings(url: str | None, env: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        settings_from_env(url, env)


def test_ca_certificate_and_verification(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    s = settings_from_env("https://es:9200", {"SECTOOL_ES_CA_CERT": str(ca)})
    assert s.ca_cert == str(ca)


def test_unreachable_is_a_service_error() -> None:
    client = make_client("http://127.0.0.1:9", env={}, max_retries=0)
    with pytest.raises(ServiceError, match=r"Elasticsearch at http://127.0.0.1:9 is unreachable"):
        check_reachable(client, "http://127.0.0.1:9")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://elastic:s3cret@127.0.0.1:9", "http://***@127.0.0.1:9"),
        ("https://user:p@ss@es.example:9200/prefix", "https://***@es.example:9200/prefix"),
        ("http://127.0.0.1:9", "http://127.0.0.1:9"),
    ],
)
def test_credentials_in_the_url_never_reach_a_message(url: str, shown: str) -> None:
    client = make_client(url, env={}, max_retries=0)
    with pytest.raises(ServiceError) as info:
        check_reachable(client, url)
    assert f"Elasticsearch at {shown} is unreachable" in str(info.value)
    assert "s3cret" not in str(info.value)
    assert "p@ss" not in str(info.value)
    assert "s3cret" not in repr(settings_from_env(url, {}))
    with pytest.raises(InputError) as bad:
        settings_from_env(url.replace("http", "ftp", 1), {})
    assert "s3cret" not in str(bad.value)
