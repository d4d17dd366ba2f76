"""The Elasticsearch client for detection: the ingest area's client factory, one configuration.

:func:`connect` delegates to :func:`sectool.traffic.es.client.make_client`, so detection and
ingest read the same environment (``SECTOOL_ES_URL``, ``SECTOOL_ES_API_KEY``,
``SECTOOL_ES_USER``/``SECTOOL_ES_PASSWORD``, ``SECTOOL_ES_CA_CERT``) and TLS verification is
always on. Kept as its own seam so the detection code depends on one small function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

__all__ = ["DEFAULT_TIMEOUT", "connect"]

#: Seconds per request: aggregations over large ranges are slow, but never hang forever.
DEFAULT_TIMEOUT = 120.0


def connect(url: str | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> Elasticsearch:
    """A client for ``url`` (or ``SECTOOL_ES_URL``).

    Raises:
        InputError: No URL given and none in the environment, a malformed URL, or incomplete
            credentials.
    """
    from sectool.traffic.es.client import make_client

    return make_client(url, timeout=timeout)
