"""Idempotent bulk indexing of flat ECS events.

* Every document has a deterministic id (:func:`sectool.traffic.localstore.document_id`: the
  identity of the source record, see :mod:`sectool.traffic.readers.identity`) and is
  sent with ``op_type: create``: indexing the same events again creates nothing and the
  conflicts (409) are counted as *already present*.
* Events are encoded to ``_bulk`` NDJSON bytes once, in the caller's thread
  (:func:`sectool.traffic.es.encode.encode`), and the pre-built bodies are posted by a few
  worker threads (the socket I/O releases the GIL); the per-item answers are read here.
  Documents rejected with 429 are sent again with exponential back-off. A chunk whose request
  fails as a whole (connection refused, timeout, 429, 5xx) is sent again with exponential
  back-off; the ids make the resend harmless.
* Per-document failures (mapping errors, ...) are counted as *rejected*, with the first few
  reasons kept for the summary; they are never swallowed.
* When the cluster stays unreachable after the retries, :class:`ServiceError` says how many
  events made it; rerunning the same command completes the job without duplicates.
"""

from __future__ import annotations

import operator
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from sectool.errors import ServiceError
from sectool.traffic.ecs import nest
from sectool.traffic.es.encode import encode
from sectool.traffic.es.template import index_name
from sectool.traffic.localstore import document_id, to_json_value

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

__all__ = ["BulkIndexer", "BulkStats", "open_indexer", "to_action"]

#: How many rejection reasons the summary keeps.
MAX_REASONS = 5
#: Documents per bulk request: 5,000 ECS events are ~3.5 MB, well under ``max_chunk_bytes``;
#: the node's throughput grows up to about this size (bench/ingest.md).
DEFAULT_CHUNK_SIZE = 5000
#: Bulk requests in flight: enough to keep the node's write threads busy while the client
#: encodes the next chunk.
DEFAULT_WORKERS = 4


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


#: Only what the answer is read for: a 5,000-item answer shrinks from ~1 MB to ~0.1 MB.
_FILTER_PATH = "errors,items.*.status,items.*.error.type,items.*.error.reason"


#: What a chunk holds: ``(index, id, the two NDJSON lines)``, an
#: :class:`~sectool.traffic.es.encode.Encoded` or the plain tuple of the compiled NDJSON path
#: (sectool-accel), so read by position.
_Doc = tuple[str, str, bytes]
_TARGET: Final = 0
_ID: Final = 1
_DATA: Final = 2
_data = operator.itemgetter(_DATA)


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
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        max_chunk_bytes: int = 20 * 1024 * 1024,
        workers: int = DEFAULT_WORKERS,
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
        self._buffer: list[_Doc] = []
        self._buffer_bytes = 0
        self.indices: set[str] = set()

    def add(self, event: Mapping[str, Any]) -> None:
        self.add_encoded(encode(self.prefix, event))

    def add_encoded(self, doc: _Doc) -> None:
        """Queue a document already encoded for this indexer's prefix (``(index, id, bytes)``,
        as :func:`~sectool.traffic.es.encode.encode` or the compiled NDJSON path give it)."""
        if doc[_TARGET] not in self.indices:
            self.indices.add(doc[_TARGET])
        size = len(doc[_DATA])
        if self._buffer_bytes + size > self.max_chunk_bytes and self._buffer:
            self._submit()
        self._buffer.append(doc)
        self._buffer_bytes += size
        if len(self._buffer) >= self.chunk_size:
            self._submit()

    def add_many(self, docs: list[_Doc], indices: Iterable[str]) -> None:
        """Queue encoded documents whose index names are ``indices`` (the compiled path gives
        both per block): the same chunks as :meth:`add_encoded` one by one, filled a slice at a
        time."""
        self.indices.update(indices)
        at, n = 0, len(docs)
        while at < n:
            part = docs[at : at + self.chunk_size - len(self._buffer)]
            size = sum(map(len, map(_data, part)))
            if self._buffer_bytes + size > self.max_chunk_bytes:
                for doc in part:  # near the byte cap: document by document
                    self.add_encoded(doc)
            else:
                self._buffer += part
                self._buffer_bytes += size
                if len(self._buffer) >= self.chunk_size:
                    self._submit()
            at += len(part)

    def _submit(self) -> None:
        chunk, self._buffer, self._buffer_bytes = self._buffer, [], 0
        if not chunk:
            return
        while len(self._inflight) >= self._max_inflight:
            self._inflight.popleft().result()  # back-pressure; re-raises a worker's ServiceError
        self._inflight.append(self._pool.submit(self._send, chunk))

    def _send(self, chunk: list[_Doc]) -> None:
        from elasticsearch import ApiError, TransportError

        request_delay = too_many_delay = self.retry.initial_backoff
        request_failures = too_many_rounds = 0
        pending = chunk
        while pending:
            try:
                body: Any = b"".join(map(_data, pending))  # pre-serialised NDJSON passes through
                answer = self.client.bulk(operations=body, filter_path=_FILTER_PATH).body
            except (TransportError, ApiError) as exc:
                status = getattr(exc, "status_code", None) or getattr(
                    getattr(exc, "meta", None), "status", None
                )
                retryable = status is None or status == 429 or (isinstance(status, int) and status >= 500)
                request_failures += 1
                if not retryable or request_failures > self.retry.attempts:
                    raise ServiceError(
                        f"Elasticsearch at {self.url or 'the cluster'} failed during bulk indexing "
                        f"({_describe(exc)}) after {request_failures - 1} retries; {self.stats.indexed} "
                        "events were indexed before; run the same command again to finish "
                        "(ingest is idempotent)"
                    ) from exc
                self.sleep(request_delay)  # the same documents again: none of them has an answer
                request_delay = min(request_delay * 2, self.retry.max_backoff)
                continue
            last_round = too_many_rounds >= self.retry.attempts
            pending = self._record(pending, answer, retry_429=not last_round)
            if pending:
                too_many_rounds += 1
                self.sleep(too_many_delay)
                too_many_delay = min(too_many_delay * 2, self.retry.max_backoff)

    def _record(self, docs: list[_Doc], answer: Mapping[str, Any], *, retry_429: bool) -> list[_Doc]:
        """Count the answers of ``docs``; returns the documents to send again (429s)."""
        if not answer.get("errors"):
            with self._lock:
                self.stats.indexed += len(docs)
            return []
        items = answer.get("items") or []
        if len(items) != len(docs):
            raise ServiceError(
                f"Elasticsearch at {self.url or 'the cluster'} answered {len(items)} items "
                f"for {len(docs)} documents; run the same command again (ingest is idempotent)"
            )
        again: list[_Doc] = []
        with self._lock:
            stats = self.stats
            for doc, item in zip(docs, items, strict=True):
                result: Mapping[str, Any] = next(iter(item.values()), {}) if isinstance(item, dict) else {}
                status = result.get("status", 0)
                if 200 <= status < 300:
                    stats.indexed += 1
                    continue
                error = result.get("error") or {}
                etype = error.get("type") if isinstance(error, dict) else str(error)
                if status == 409 or etype == "version_conflict_engine_exception":
                    stats.already_present += 1
                elif status == 429 and retry_429:
                    again.append(doc)
                else:
                    stats.rejected += 1
                    if len(stats.reasons) < MAX_REASONS:
                        reason = error.get("reason") if isinstance(error, dict) else str(error)
                        stats.reasons.append(f"{doc[_TARGET]}/{doc[_ID]}: {etype}: {reason}")
        return again

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


def open_indexer(url: str | None, prefix: str, *, max_retries: int = 5) -> BulkIndexer:
    """A :class:`BulkIndexer` ready to write: ``prefix`` validated, the node reachable and the
    index template in place.

    ``url`` ``None`` means the environment's (``SECTOOL_ES_URL``, see ``settings_from_env``).

    Raises:
        InputError: an invalid prefix.
        ServiceError: the node cannot be reached.
    """
    from sectool.traffic.es.client import check_reachable, display_url, make_client, settings_from_env
    from sectool.traffic.es.template import ensure_template, validate_prefix

    validate_prefix(prefix)
    resolved = settings_from_env(url).url
    client = make_client(url, max_retries=2, retry_on_timeout=True)
    check_reachable(client, resolved)
    ensure_template(client, prefix)
    return BulkIndexer(client, prefix, url=display_url(resolved), max_retries=max_retries)
