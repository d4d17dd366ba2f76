"""Elasticsearch connection settings, from arguments and the environment only.

==========================  ======================================================
``SECTOOL_ES_URL``          node or cluster URL (``--es`` overrides it)
``SECTOOL_ES_API_KEY``      API key (``id:key`` or the base64 form); wins over a user
``SECTOOL_ES_USER``         user name for basic authentication (alias ``SECTOOL_ES_USERNAME``)
``SECTOOL_ES_PASSWORD``     its password
``SECTOOL_ES_CA_CERT``      path of a CA bundle for TLS (alias ``SECTOOL_ES_CA_CERTS``)
==========================  ======================================================

TLS certificates are always verified; there is no switch to turn that off.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sectool.errors import InputError, ServiceError

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

__all__ = ["EsSettings", "check_reachable", "display_url", "make_client", "settings_from_env"]

DEFAULT_TIMEOUT = 120.0


@dataclass(frozen=True)
class EsSettings:
    """Where and how to connect (secrets are kept out of ``repr``)."""

    url: str
    api_key: str | None = None
    user: str | None = None
    password: str | None = None
    ca_cert: str | None = None

    def __repr__(self) -> str:
        auth = "api_key" if self.api_key else ("basic" if self.user else "none")
        return f"EsSettings(url={display_url(self.url)!r}, auth={auth}, ca_cert={self.ca_cert!r})"


def display_url(url: str) -> str:
    """``url`` as messages may show it: without a ``user:password@`` part (the client takes
    credentials in the URL, and an error line ends up in cron mail and logs)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rsplit("@", 1)[1]
    return f"{scheme}://{authority}{slash}{path}"


def _first(env: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = env.get(name)
        if value:
            return value
    return None


def settings_from_env(url: str | None = None, env: Mapping[str, str] | None = None) -> EsSettings:
    """Connection settings: ``url`` (else ``SECTOOL_ES_URL``) and credentials from ``env``.

    Raises:
        InputError: no URL, a URL that is not http(s), a user without a password, or a CA
            certificate path that does not exist.
    """
    env = os.environ if env is None else env
    target = url or env.get("SECTOOL_ES_URL")
    if not target:
        raise InputError(
            "no Elasticsearch URL",
            field="--es",
            expected="--es URL or the SECTOOL_ES_URL environment variable",
        )
    if not target.startswith(("http://", "https://")):
        raise InputError(
            "Elasticsearch URL must start with http:// or https://", field="--es", value=display_url(target)
        )
    user = _first(env, "SECTOOL_ES_USER", "SECTOOL_ES_USERNAME")
    password = env.get("SECTOOL_ES_PASSWORD")
    if user and not password:
        raise InputError("SECTOOL_ES_USER is set but SECTOOL_ES_PASSWORD is not", field="SECTOOL_ES_PASSWORD")
    ca = _first(env, "SECTOOL_ES_CA_CERT", "SECTOOL_ES_CA_CERTS")
    if ca and not Path(ca).is_file():
        raise InputError("CA certificate file not found", field="SECTOOL_ES_CA_CERT", value=ca)
    return EsSettings(target.rstrip("/"), env.get("SECTOOL_ES_API_KEY") or None, user, password, ca)


def make_client(
    url: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
    **extra: Any,
) -> Elasticsearch:
    """An ``Elasticsearch`` client configured from ``url`` and the environment (TLS verified)."""
    from elasticsearch import Elasticsearch

    settings = settings_from_env(url, env)
    kwargs: dict[str, Any] = {"request_timeout": timeout, "verify_certs": True}
    if settings.api_key:
        kwargs["api_key"] = settings.api_key
    elif settings.user and settings.password:
        kwargs["basic_auth"] = (settings.user, settings.password)
    if settings.ca_cert:
        kwargs["ca_certs"] = settings.ca_cert
    # orjson parses the large aggregation answers (detection's series phase) several times
    # faster than the standard library; it is a runtime dependency.
    from elastic_transport import OrjsonSerializer

    kwargs["serializers"] = {"application/json": OrjsonSerializer()}
    kwargs.update(extra)
    return Elasticsearch(settings.url, **kwargs)


def check_reachable(client: Elasticsearch, url: str) -> None:
    """Fail with a clear :class:`ServiceError` when the cluster does not answer.

    Uses ``_cluster/health`` rather than ``GET /``, which the integration-test distribution
    does not serve.
    """
    from elasticsearch import ApiError, AuthenticationException, AuthorizationException, TransportError

    url = display_url(url)
    try:
        client.options(request_timeout=10).cluster.health()
    except (AuthenticationException, AuthorizationException) as exc:
        raise ServiceError(f"Elasticsearch at {url} refused the credentials: {exc.message}") from exc
    except (TransportError, ApiError) as exc:
        raise ServiceError(f"Elasticsearch at {url} is unreachable: {_reason(exc)}") from exc


def _reason(exc: Exception) -> str:
    text = str(getattr(exc, "message", "") or exc)
    return text.splitlines()[0][:200] if text else type(exc).__name__
