"""Idempotent bulk indexing of flat ECS events.

* Every document has a deterministic id (:func:`sectool.traffic.localstore.document_id`: the
  identity of the source record, see :mod:`sectool.traffic.readers.identity`) and is
  sent with ``op_type: create``: indexing the same events again creates nothing and the
  conflicts (409) are counted as *already present*.
* Events are serialised in the caller's thread and sent as chunks by a few worker threads
  through ``elasticsearch.helpers.streaming_bulk``, which retries documents rejected with
  429 with exponential back-off. A chunk whose request fails as a whole (connection refused,
  timeout, 5xx) is sent again with exponential back-off; the ids make the resend harmless.
* Per-document failures (mapping errors, ...) are counted as *rejected*, with the first few
  reasons kept for the summary; they are never swallowed.
* When the cluster stays unreachable after the retries, :class:`ServiceError` says how many
  events made it; rerunning the same command completes the job without duplicates.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sectool.errors import ServiceError
from sectool.traffic.ecs import nest
from sectool.traffic.es.template import index_name
from sectool.traffic.localstore import document_id, to_json_value

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

__all__ = ["BulkIndexer", "BulkStats", "to_action"]

#: How many rejection reasons the summary keeps.
MAX_REASONS = 5


@dataclass
class BulkStats:
    """Counts of a bulk run."""

    indexed: int = 0
    already_present: int = 0
    rejected: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.indexed + self.already_present + self.rejected


def to_action(prefix: str, event: Mapping[str, Any]) -> dict[str, Any]:
    """The bulk ``create`` action of one flat event (nested ECS document, deterministic id)."""
    flat = {k: to_json_value(k, v) for k, v in event.items() if v is not None}
    return {
        "_op_type": "create",
        "_index": index_name(prefix, _as_datetime(event["@timestamp"])),
        "_id": document_id(event),
        "_source": nest(flat),
    }


def _as_datetime(value: Any) -> Any:
    if isinstance(value, str):
        from sectool.traffic.readers.common import parse_time

        return parse_time(value)
    return value


@dataclass(frozen=True)
class _Retry:
    attempts: int
    initial_backoff: float
    max_backoff: float


class BulkIndexer:
    """Collects events and indexes them in chunks; use as a context manager or call :meth:`close`.

    Args:
        client: the Elasticsearch client.
        prefix: index prefix (events go to ``<prefix>-YYYY.MM.DD``).
        chunk_size: documents per bulk request.
        max_chunk_bytes: upper bound of a bulk request body.
        workers: chunks in flight at once.
        max_retries: resends of a chunk whose request failed as a whole, and retries of 429s.
        initial_backoff: seconds before the first retry (doubling, capped by ``max_backoff``).
        sleep: the clock's sleep (tests pass a fake).
    """

    def __init__(
        self,
        client: Elasticsearch,
        prefix: str,
        *,
        url: str = "",
        chunk_size: int = 2000,
        max_chunk_bytes: int = 20 * 1024 * 1024,
        workers: int = 2,
        max_retries: int = 5,
        initial_backoff: float = 1.0,
        max_backoff: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.url = url
        self.chunk_size = chunk_size
        self.max_chunk_bytes = max_chunk_bytes
        self.retry = _Retry(max_retries, initial_backoff, max_backoff)
        self.sleep = sleep
        self.stats = BulkStats()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sectool-bulk")
        self._inflight: deque[Future[None]] = deque()
        self._max_inflight = workers * 2
        self._buffer: list[dict[str, Any]] = []
        self.indices: set[str] = set()

    def add(self, event: Mapping[str, Any]) -> None:
        action = to_action(self.prefix, event)
        self.indices.add(action["_index"])
        self._buffer.append(action)
        if len(self._buffer) >= self.chunk_size:
            self._submit()

    def _submit(self) -> None:
        chunk, self._buffer = self._buffer, []
        if not chunk:
            return
        while len(self._inflight) >= self._max_inflight:
            self._inflight.popleft().result()  # back-pressure; re-raises a worker's ServiceError
        self._inflight.append(self._pool.submit(self._send, chunk))

    def _send(self, chunk: list[dict[str, Any]]) -> None:
        from elasticsearch import ApiError, ConnectionError, ConnectionTimeout, TransportError
        from elasticsearch.helpers import BulkIndexError, streaming_bulk

        delay = self.retry.initial_backoff
        attempt = 0
        while True:
            pending = {a["_id"]: a for a in chunk}
            try:
                for ok, item in streaming_bulk(
                    self.client,
                    list(pending.values()),
                    chunk_size=len(pending),
                    max_chunk_bytes=self.max_chunk_bytes,
                    raise_on_error=False,
                    max_retries=self.retry.attempts,
                    initial_backoff=self.retry.initial_backoff,
                    max_backoff=self.retry.max_backoff,
                ):
                    result = item.get("create", item)
                    pending.pop(result.get("_id"), None)
                    self._record(ok, result)
                return
            except (ConnectionError, ConnectionTimeout, TransportError, ApiError, BulkIndexError) as exc:
                status = getattr(exc, "status_code", None) or getattr(
                    getattr(exc, "meta", None), "status", None
                )
                retryable = status is None or status == 429 or (isinstance(status, int) and status >= 500)
                attempt += 1
                if not retryable or attempt > self.retry.attempts:
                    raise ServiceError(
                        f"Elasticsearch at {self.url or 'the cluster'} failed during bulk indexing "
                        f"({_describe(exc)}) after {attempt - 1} retries; {self.stats.indexed} events were "
                        "indexed before; run the same command again to finish (ingest is idempotent)"
                    ) from exc
                chunk = list(pending.values())  # what has no answer yet; resending is harmless
                self.sleep(delay)
                delay = min(delay * 2, self.retry.max_backoff)

    def _record(self, ok: bool, result: Mapping[str, Any]) -> None:
        with self._lock:
            if ok:
                self.stats.indexed += 1
                return
            status = result.get("status")
            error = result.get("error") or {}
            etype = error.get("type") if isinstance(error, dict) else str(error)
            if status == 409 or etype == "version_conflict_engine_exception":
                self.stats.already_present += 1
                return
            self.stats.rejected += 1
            if len(self.stats.reasons) < MAX_REASONS:
                reason = error.get("reason") if isinstance(error, dict) else str(error)
                self.stats.reasons.append(f"{result.get('_index')}/{result.get('_id')}: {etype}: {reason}")

    def flush(self) -> None:
        """Send what is buffered and wait for every chunk in flight."""
        self._submit()
        while self._inflight:
            self._inflight.popleft().result()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def refresh(self) -> None:
        """Make what was indexed searchable now (one refresh at the end, not per request)."""
        if self.indices:
            self.client.indices.refresh(index=",".join(sorted(self.indices)))

    def __enter__(self) -> BulkIndexer:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _describe(exc: Exception) -> str:
    text = str(getattr(exc, "message", "") or exc).splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
