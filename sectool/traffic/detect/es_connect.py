"""The Elasticsearch client for detection.

Uses the ingest area's client factory (:mod:`sectool.traffic.es.client`) when it exists, so one
set of environment variables configures both; otherwise a small factory with the same rules:
URL from the argument or ``SECTOOL_ES_URL``, credentials only from the environment
(``SECTOOL_ES_API_KEY``, or ``SECTOOL_ES_USERNAME`` + ``SECTOOL_ES_PASSWORD``), a CA bundle from
``SECTOOL_ES_CA_CERTS``, and TLS verification always on.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

from sectool.errors import InputError

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

__all__ = ["connect"]

#: Seconds per request: aggregations over large ranges are slow, but never hang forever.
DEFAULT_TIMEOUT = 120.0


def connect(url: str | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> Elasticsearch:
    """A client for ``url`` (or ``SECTOOL_ES_URL``).

    Raises:
        InputError: No URL given and none in the environment, or a malformed URL.
    """
    try:
        shared = importlib.import_module("sectool.traffic.es.client")
    except ImportError:
        shared = None
    factory = getattr(shared, "make_client", None) if shared is not None else None
    if callable(factory):
        client: Elasticsearch = factory(url)
        return client
    return _own_client(url, timeout=timeout)


def _own_client(url: str | None, *, timeout: float) -> Elasticsearch:
    from elasticsearch import Elasticsearch

    target = url or os.environ.get("SECTOOL_ES_URL")
    if not target:
        raise InputError(
            "no Elasticsearch URL",
            field="--es",
            expected="--es URL or the SECTOOL_ES_URL environment variable",
        )
    if not target.startswith(("http://", "https://")):
        raise InputError("Elasticsearch URL must start with http:// or https://", field="--es", value=target)
    kwargs: dict[str, Any] = {"request_timeout": timeout, "verify_certs": True}
    if api_key := os.environ.get("SECTOOL_ES_API_KEY"):
        kwargs["api_key"] = api_key
    elif (user := os.environ.get("SECTOOL_ES_USERNAME")) and (pw := os.environ.get("SECTOOL_ES_PASSWORD")):
        kwargs["basic_auth"] = (user, pw)
    if ca := os.environ.get("SECTOOL_ES_CA_CERTS"):
        kwargs["ca_certs"] = ca
    return Elasticsearch(target, **kwargs)
