"""Zeek logs, TSV (``#separator`` header) or JSON lines, every log a sensor writes, mapped to
ECS as the Filebeat Zeek integration maps them (the tables are in :mod:`.zeek_logs`).

Which log a record belongs to: TSV ``#path``; JSON ``_path`` (json-streaming files mix logs);
else the record's Zeek-typical keys (:func:`.zeek_logs.guess_log`); else the file name
(``conn.log``, ``conn.09:00:00-10:00:00.log.gz``). A log without a table becomes a generic
``zeek.<path>`` event; ``packet_filter`` and ``loaded_scripts`` (the sensor's configuration) are
skipped with one counted note in the read report.

TSV: a new ``#fields`` line starts a new schema (Zeek appends a header when it restarts);
``#open`` / ``#close`` are ignored; ``-`` is unset and ``(empty)`` an empty set or string (as
the header declares them); ``\\xNN`` escapes are undone; values are typed by ``#types`` so that a
TSV log and the same log in JSON give the same event.

Damage: a header without its value, a data line whose column count differs from ``#fields``
(a missing column, a cut-off last line), a value of the wrong type, or a JSON line that is not
an object stops the read with :class:`InputError` naming the line (and field); every record
before it has been yielded, the damaged one is not.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sectool.errors import InputError
from sectool.traffic import ecs
from sectool.traffic.readers.common import complete, decoded, json_object, raw_lines
from sectool.traffic.readers.conn import auth_event
from sectool.traffic.readers.identity import derived, identified, raw_record_id, source_id, time_ns
from sectool.traffic.readers.options import DirectionClassifier, ReaderOptions, ReadReport
from sectool.traffic.readers.values import Where
from sectool.traffic.readers.zeek_logs import LOGS, SKIPPED, LogSpec, generic, guess_log, map_record
from sectool.traffic.readers.zeek_values import free_value, typed, unescape

__all__ = ["read_zeek"]

#: Columns conn.log and dns.log cannot do without.
_REQUIRED = ("ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto")
#: Container columns of a TSV log without a ``#types`` line (Zeek's own types for them).
_DEFAULT_TYPES = {"answers": "vector[string]", "TTLs": "vector[interval]", "tunnel_parents": "set[string]"}
#: json-streaming's bookkeeping keys: not part of the record.
_META = ("_path", "_write_ts")
_NAME = re.compile(r"[^A-Za-z0-9_]")
_SPACES = re.compile(r"\s{2,}|\t")


def _log_name(text: str) -> str:
    """A Zeek path as a dataset part: letters, digits and ``_`` only, bounded."""
    return _NAME.sub("_", text)[:64] or "unknown"


class _Log:
    """Which log the records of a file (or of a TSV section) belong to."""

    def __init__(self, path: Path) -> None:
        self.stem = path.name.split(".", 1)[0]

    def spec(self, path_name: str | None, keys: set[str]) -> LogSpec | str:
        """The spec of the log, or the name of a skipped log."""
        name = path_name or guess_log(keys)
        if name is None:
            known = self.stem in LOGS or self.stem in SKIPPED
            name = self.stem if known else _log_name(self.stem)
        if name in SKIPPED:
            return name
        return LOGS.get(name) or generic(_log_name(name))


class _Tsv:
    """The header state of a Zeek TSV log."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sep, self.set_sep, self.empty, self.unset = "\t", ",", "(empty)", "-"
        self.path_name: str | None = None
        self.columns: list[str] | None = None
        self.types: list[str | None] = []
        self.spec: LogSpec | str | None = None

    def directive(self, text: str, lineno: int, logs: _Log) -> None:
        if text.startswith("#separator"):
            value = unescape(text[len("#separator") :].strip(" "))
            if not value:
                raise InputError(
                    "#separator header without a value", file=self.path, line=lineno, expected="e.g. \\x09"
                )
            self.sep = value
            return
        directive, _, rest = text.partition(self.sep)
        value = unescape(rest)
        if directive in ("#set_separator", "#empty_field", "#unset_field") and not value:
            raise InputError(f"{directive} header without a value", file=self.path, line=lineno)
        if directive == "#set_separator":
            self.set_sep = value
        elif directive == "#empty_field":
            self.empty = value
        elif directive == "#unset_field":
            self.unset = value
        elif directive == "#path":
            self.path_name = value or None
        elif directive == "#fields":
            self.columns = rest.split(self.sep)
            self.types = [_DEFAULT_TYPES.get(c) for c in self.columns]
            self._choose(lineno, logs)
        elif directive == "#types" and self.columns is not None:
            types = rest.split(self.sep)
            if len(types) == len(self.columns):
                self.types = list(types)
        # #open, #close and unknown directives carry nothing for the events

    def _choose(self, lineno: int, logs: _Log) -> None:
        columns = self.columns or []
        names = {n for c in columns for n in c.split()}
        self.spec = logs.spec(self.path_name, names)
        if not isinstance(self.spec, LogSpec):
            return
        needed = _REQUIRED if self.spec.name in ("conn", "dns") else ("ts",) if self.spec.name in LOGS else ()
        for need in needed:
            if need not in names:
                raise InputError("missing Zeek column", file=self.path, line=lineno, field=need)

    def record(self, text: str, lineno: int) -> dict[str, Any]:
        columns = self.columns
        if columns is None:
            raise InputError("data line before the #fields header", file=self.path, line=lineno)
        values = text.split(self.sep)
        if len(values) != len(columns):
            raise InputError(
                f"{len(values)} columns where #fields names {len(columns)} "
                "(a missing column or a cut-off line)",
                file=self.path,
                line=lineno,
            )
        where = Where(self.path, lineno)
        record: dict[str, Any] = {}
        for name, type_name, raw in zip(columns, self.types, values, strict=True):
            if " " in name or "\t" in name:
                self._combined(record, name, type_name, raw, where)
            elif raw == self.unset:
                record[name] = None
            else:
                record[name] = typed(type_name, raw, name, self.set_sep, self.empty, where)
        return record

    def _combined(
        self, record: dict[str, Any], name: str, type_name: str | None, raw: str, where: Where
    ) -> None:
        """A column whose name holds several (``tunnel_parents   label   detailed-label`` in the
        CTU data sets: labels appended with spaces, not tabs): split it when the value splits alike."""
        names = name.split()
        parts = _SPACES.split(raw.strip())
        types: list[str | None] = list((type_name or "").split()) or [None] * len(names)
        if len(parts) != len(names) or len(types) != len(names):
            record["-".join(names)] = unescape(raw)  # not a Zeek name: kept as a label
            return
        for part_name, part_type, part in zip(names, types, parts, strict=True):
            record[part_name] = (
                None
                if part == self.unset
                else typed(part_type, part, part_name, self.set_sep, self.empty, where)
            )


def read_zeek(
    path: Path, options: ReaderOptions, labels: dict[str, Any], report: ReadReport
) -> Iterator[dict[str, Any]]:
    """Events of a Zeek log (any log; TSV or JSON lines)."""
    directions = DirectionClassifier(options.internal)
    logs = _Log(path)
    skipped: Counter[str] = Counter()
    tsv: _Tsv | None = None
    first = True
    file_spec: LogSpec | str | None = None  # a JSON file without _path is one log throughout
    try:
        for lineno, raw in raw_lines(path, report=report):
            if first:
                head = decoded(path, lineno, raw)
                if head is None:
                    continue
                # a stray blank before the first header (seen in the wild)
                tsv = _Tsv(path) if head.lstrip().startswith("#separator") else None
            # Zeek's TSV writer always ends its lines, and a TSV value cut short can still look
            # valid: a last line without its end is damage; a cut JSON line fails to parse anyway.
            line = decoded(path, lineno, raw, require_line_end=tsv is not None)
            if line is None:
                continue
            report.lines += 1
            text = line.lstrip() if first else line
            first = False
            if tsv is not None:
                if text.startswith("#"):
                    tsv.directive(text, lineno, logs)
                    continue
                record = tsv.record(text, lineno)
                spec = tsv.spec
            else:
                record = ecs.flatten(json_object(path, lineno, text))
                path_name = record.get("_path")
                if path_name is not None and not isinstance(path_name, str):
                    raise InputError(
                        "bad value", file=path, line=lineno, field="_path", expected="a log name"
                    )
                for key in _META:
                    record.pop(key, None)
                if path_name:
                    spec = logs.spec(path_name, set(record))
                else:
                    file_spec = file_spec or logs.spec(None, set(record))
                    spec = file_spec
                if isinstance(spec, LogSpec) and spec.name in ("conn", "dns"):
                    for need in _REQUIRED:
                        if need not in record:
                            raise InputError("missing Zeek field", file=path, line=lineno, field=need)
            if spec is None:
                raise InputError("data line before the #fields header", file=path, line=lineno)
            if isinstance(spec, str) or (spec.name not in LOGS and record.get("ts") is None):
                # the sensor's configuration, or an unknown log without a time: nothing to index
                skipped[spec if isinstance(spec, str) else spec.name] += 1
                report.skipped += 1
                continue
            event = complete(map_record(spec, record, Where(path, lineno)), directions, labels)
            event = identified(event, _doc_id(spec, record, event))
            yield event
            if spec.name == "conn":
                auth = auth_event(event)
                if auth is not None:
                    yield derived(event, "auth", auth)
    finally:
        for name, count in sorted(skipped.items()):
            report.warn(f"{path}: skipped {count} {name} record(s): sensor bookkeeping, not traffic")


def _doc_id(spec: LogSpec, record: dict[str, Any], event: dict[str, Any]) -> str:
    """The document id from the Zeek record's identity (see :mod:`.identity`).

    conn and dns keep the ids of earlier sectool versions (their constants stay ``zeek.conn`` /
    ``zeek.dns``); the other logs: dataset + uid (or file id) + time + the fields that tell apart
    the records of one connection; a record with no identity: the hash of the record.
    """
    uid = record.get("uid")
    if spec.name == "conn":
        return source_id("zeek.conn", uid) if uid else raw_record_id("zeek.conn", record)
    if spec.name == "dns":
        if not uid:
            return raw_record_id("zeek.dns", record)
        query = record.get("query")
        return source_id(
            "zeek.dns",
            uid,
            event.get("dns.id"),
            None if query is None else str(query),
            time_ns(event["@timestamp"]),
        )
    anchor = uid or record.get("fuid") or record.get("id") or record.get("uids")
    if not anchor or isinstance(anchor, dict):
        return raw_record_id(spec.dataset, record)
    parts = [free_value(record.get(name)) for name in spec.id_fields]
    return source_id(
        spec.dataset,
        str(anchor),
        time_ns(event["@timestamp"]),
        *(None if p is None else str(p) for p in parts),
    )
