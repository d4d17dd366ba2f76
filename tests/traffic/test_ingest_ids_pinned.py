"""Document ids and indexed sources pinned byte for byte.

The expected values below were computed once with the ingest code as it was before the
fast bulk path (commit 8f88fbf) and are stored as literals: re-ingesting the same input with
any later sectool must hit the same ``_id`` (idempotence across versions) with the same
``_source``. A change that moves one of them fails here.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from sectool.traffic.es.bulk import to_action
from sectool.traffic.localstore import document_id, event_id
from sectool.traffic.readers import ReaderOptions, read_events

DATA = Path(__file__).parent / "data"

#: ECS NDJSON lines as they are in a file: flat and nested keys, unicode, escapes, floats,
#: integers, lists, IPv6, missing and null fields, epoch milliseconds, ECS arrays.
NDJSON_LINES = [
    '{"@timestamp":"2026-03-03T11:00:00.029693Z","event.kind":"event","source.ip":"10.0.0.1",'
    '"source.port":49430,"destination.ip":"10.0.0.2","destination.port":443,"network.transport":"tcp"}',
    '{"@timestamp":"2026-03-03T11:00:00Z","source":{"ip":"10.0.0.1","port":1},"destination":{"ip":"10.0.0.2"}}',
    '{"@timestamp":"2026-03-03T12:00:00+02:00","user":{"name":"Søren Ærø 日本 😀"},'
    '"observer.name":"sensor-ø"}',
    '{"@timestamp":"2026-03-03T11:00:00.5Z","user.name":"a\\"b\\\\c\\nd\\te\\u0001f\\u007f\\u2028"}',
    '{"@timestamp":1772535600123,"source.ip":"2001:DB8:0:0::1","destination.ip":"fe80::0001",'
    '"network.type":"ipv6"}',
    '{"@timestamp":"2026-03-03T11:00:00.123456789Z","source.bytes":1.0,"destination.bytes":2e3,'
    '"event.duration":0,"event.severity":-3}',
    '{"@timestamp":"2026-03-03T11:00:00Z","dns":{"question":{"name":"example.dk"},"answers":'
    '[{"data":"192.0.2.1"},{"data":"2001:db8::5"}]},"dns.id":1234,"rule.id":1.5,"rule.name":true}',
    '{"@timestamp":"2026-03-03T11:00:00Z","dns.answers.data":["a",1,null,2.5],"event.category":'
    '["network","intrusion_detection"],"event.type":["start","connection"]}',
    '{"@timestamp":"2026-03-03T11:00:00Z","event":{"id":"abc","dataset":"zeek.conn","kind":"event"},'
    '"dns":{"id":"7","question":{"name":"x.dk"}}}',
    '{"@timestamp":"2026-03-03T11:00:00Z","event.id":"abc","event.dataset":"zeek.dns",'
    '"ecs":{"version":"8.11"},"message":"dropped","host":{"name":"h"}}',
    '{"@timestamp":"2026-03-03T11:00:00Z","source.ip":"10.0.0.9","source.port":null,"user.name":null,'
    '"event.start":"2026-03-03T10:59:59.000001+00:00","event.end":1772535600000}',
    '{"@timestamp":"1999-12-31T23:59:59.999999-01:00","rule.category":12345678901234567890,'
    '"observer.hostname":"h\\ud83d\\ude00"}',
    '{"@timestamp":"2026-03-03T11:00:00Z","log.file.path":"/elsewhere.jsonl","sectool.site":"dc",'
    '"network.community_id":"1:NBINyFmfR3EZt7Z/Hb8b4WIqKi4=","event.outcome":""}',
]

_T0 = datetime(2026, 3, 3, 23, 59, 58, 123456, tzinfo=UTC)

#: Flat events as library callers hand them to the indexer (no source-record id attached).
PLAIN_EVENTS: list[dict[str, Any]] = [
    {"@timestamp": _T0, "source.ip": "10.1.0.1", "source.port": 30000, "dns.answers.data": ["192.0.2.9"]},
    {"@timestamp": _T0 + timedelta(days=400), "event.kind": "alert", "user.name": "ø\u0000\x1f", "x": 1.25},
    {"@timestamp": datetime(2026, 1, 1, 1, tzinfo=timezone(timedelta(hours=1))), "event.duration": 10},
    {"@timestamp": "2026-03-03T11:00:00.000000001Z", "event.start": _T0, "rule.name": None},
    {"@timestamp": _T0, "log.file.path": "a.pcap", "network.bytes": 2**62, "dns.answers.data": []},
]


def _cases(tmp_path: Path, sample_packets: list[Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    from scapy.utils import wrpcap

    capture = tmp_path / "sample.pcap"
    wrpcap(str(capture), sample_packets)
    ndjson = tmp_path / "events.ndjson"
    ndjson.write_text("\n".join(NDJSON_LINES) + "\n", encoding="utf-8")
    options = ReaderOptions()
    for name in ("conn.log", "conn.json", "dns.log", "dns.json", "eve.json"):
        shutil.copy(DATA / name, tmp_path / name)
        yield name, list(read_events(tmp_path / name, options=options, site="dc"))
    yield "sample.pcap", list(read_events(capture, options=options, site="dc"))
    yield "events.ndjson", list(read_events(ndjson, options=options))
    yield "events.ndjson+site", list(read_events(ndjson, options=options, site="clinic-ø"))
    yield "plain", [dict(e) for e in PLAIN_EVENTS]


def _source_digest(source: dict[str, Any]) -> str:
    log = source.get("log", {})
    if "file" in log:  # the temporary directory differs per run: keep the file name
        source = {**source, "log": {**log, "file": {"path": Path(log["file"]["path"]).name}}}
    text = json.dumps(source, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode("ascii"), digest_size=8).hexdigest()


def pinned(tmp_path: Path, sample_packets: list[Any]) -> dict[str, list[list[str]]]:
    """``case -> [[_id, _index, digest of _source], ...]`` with today's code."""
    out: dict[str, list[list[str]]] = {}
    for name, events in _cases(tmp_path, sample_packets):
        rows = []
        for event in events:
            action = to_action("p", event)
            assert action["_id"] == document_id(event)
            rows.append([action["_id"], action["_index"], _source_digest(action["_source"])])
        out[name] = rows
    return out


# Generated with tests/traffic/test_ingest_ids_pinned.py::pinned against commit 8f88fbf; _source digests
# regenerated at 172333e (ECS fields, zeek.connection, heuristic tags, DPI fields), every id unchanged, plus
# the EVE stats record now read as a metric event (its id added at the end of eve.json).
EXPECTED: dict[str, list[list[str]]] = {
    "conn.log": [
        ["41c2f17238ab65f163ea75b82117ac48", "p-2024.01.15", "6b398d4bfd319bbc"],
        ["46bed5a8603580a2043e938142bd2280", "p-2024.01.15", "c9fb396f82dcee52"],
        ["1f53e3e48d296f831751f3de6aca9d57", "p-2024.01.15", "1727352898c3acbe"],
        ["d1eaee151ff4886a3bb634ea0b3f5afc", "p-2024.01.15", "ad3c4354b774a75e"],
        ["2a07f110ef5eec9348ec996f244555bf", "p-2024.01.15", "2ece3b0e9b34d792"],
        ["a2e72989d03ff18e5401aba659203a0a", "p-2024.01.15", "e20004bf1057b600"],
        ["1cbf142b764ca25770f618f954ffd3c9", "p-2024.01.15", "39719f08120f14a2"],
    ],
    "conn.json": [
        ["41c2f17238ab65f163ea75b82117ac48", "p-2024.01.15", "2b7eed6e2bcc0e8c"],
        ["46bed5a8603580a2043e938142bd2280", "p-2024.01.15", "e1a81d5ed45a4f69"],
        ["1f53e3e48d296f831751f3de6aca9d57", "p-2024.01.15", "d51f5b69039c297c"],
        ["d1eaee151ff4886a3bb634ea0b3f5afc", "p-2024.01.15", "efac02c7bb8ba16b"],
        ["2a07f110ef5eec9348ec996f244555bf", "p-2024.01.15", "77302c8dbe83e779"],
        ["a2e72989d03ff18e5401aba659203a0a", "p-2024.01.15", "b6d3dde35fd1a8f5"],
        ["1cbf142b764ca25770f618f954ffd3c9", "p-2024.01.15", "77cd9253f9dc531f"],
    ],
    "dns.log": [
        ["bd9f368ae15b8a6c8b07ad224976bc1f", "p-2024.01.15", "3836c9c223f1739b"],
        ["b1b3bb8d68928320cfba65686ada8536", "p-2024.01.15", "acd1b3da4c5c7d76"],
        ["7fa063833ad68d9c6ddbe3692b482c07", "p-2024.01.15", "1131ac742d7975aa"],
        ["01fb1ddde0e989d0b5c8b6eaad20d25b", "p-2024.01.15", "eceaebe5d94a5a5e"],
        ["d6dbae87e2343a8cd41ec700a472d758", "p-2024.01.15", "d9092a0084b8c723"],
    ],
    "dns.json": [
        ["bd9f368ae15b8a6c8b07ad224976bc1f", "p-2024.01.15", "e8e6ba89f34b571e"],
        ["b1b3bb8d68928320cfba65686ada8536", "p-2024.01.15", "5ca6acab6e20552b"],
        ["7fa063833ad68d9c6ddbe3692b482c07", "p-2024.01.15", "74773645984a13fa"],
        ["01fb1ddde0e989d0b5c8b6eaad20d25b", "p-2024.01.15", "deb05e986c58e979"],
        ["d6dbae87e2343a8cd41ec700a472d758", "p-2024.01.15", "5f66af3bb7687c7e"],
    ],
    "eve.json": [
        ["3adc47a6f599ab7aed61a8bdd6884924", "p-2024.01.15", "1f37cf2ca16721d2"],
        ["49343dd7aaf7a750ee57946230b241c9", "p-2024.01.15", "59569bd208b3bbbc"],
        ["13d72ee438a359293e05b23eaebc195d", "p-2024.01.15", "009fb3a1ccdb71a5"],
        ["3082611096851ad3c74377d98dafd384", "p-2024.01.15", "bff39c39ea316ffc"],
        ["5e1f57e01654696315d889c8187ede4f", "p-2024.01.15", "f225542b3a4e483e"],
        ["3ff0ae0744f99297caa8afaa0db2c988", "p-2024.01.15", "3646b261314db9da"],
        ["991b6e54760f163e9cb72f413bf125b5", "p-2024.01.15", "8dc2b7c1e7f608fe"],
        ["51611bd4ca241fe4040208ae804e1cf8", "p-2024.01.15", "73fa58813fc76900"],
        ["92640171c2aa11c5300eec3284c66ed0", "p-2024.01.15", "f9f7eac0f53a9f5a"],
        ["9c888492e7cac84d0df2179ace563ba2", "p-2024.01.15", "cb062adc9e1a8e8c"],
        ["fdd2285475c86089b52571c8d96767b2", "p-2024.01.15", "ac2a97797687ce55"],
    ],
    "sample.pcap": [
        ["580dd7f2c8dd4c6a33224e0ddd584bed", "p-2026.03.03", "66eb3ea5bbdb7884"],
        ["1f2f3a44a5b0a7f6425ea9fb4019b5d6", "p-2026.03.03", "298934cfb5eee6f4"],
        ["69ebc5cd31433feb6ac785a33378b597", "p-2026.03.03", "d280e71e8e63d0a6"],
        ["93f138acd045729cc40c4f66ebff259d", "p-2026.03.03", "39ac3cb1dc1d6ee4"],
        ["b641d9fdb399156ab960031ba77a5823", "p-2026.03.03", "c8b9605dc4f4ce82"],
        ["9266c028e4e3ca7b5d9e8d750d69143f", "p-2026.03.03", "233548fc02506f16"],
        ["04dd95c1b639e69426d55923df496c61", "p-2026.03.03", "99e4969b81eceeb0"],
        ["a0ff117e97973c83e08d554e3fdc5daa", "p-2026.03.03", "25c24ce6f193bb20"],
    ],
    "events.ndjson": [
        ["2499fb946b59e0a016441019c82944b5", "p-2026.03.03", "17c4d68c09bb2722"],
        ["3b1b9e2d2ed745684fbda1e9ccf890ec", "p-2026.03.03", "f7107f85f65d79a2"],
        ["c451d3d2c60e7c464432a9c35c7bc3ea", "p-2026.03.03", "2b1353c9b0ec0bfa"],
        ["83f800d4e5add1ace17e88c35060dd5d", "p-2026.03.03", "f9f8fc04ffafff7a"],
        ["8258bd11fda23b43b8626ffac7015e64", "p-2026.03.03", "9d0c708136c56d8f"],
        ["12578ab9a25997ea88e14a67f80da0c5", "p-2026.03.03", "2a62a8265dc5a151"],
        ["d0636c950d357e65bd81e2a5e5849aeb", "p-2026.03.03", "43e32acd5dc1039a"],
        ["8ecacf5613ba30b888b8a607568e379e", "p-2026.03.03", "133ece7498656008"],
        ["372e618561774400e057827224bbe1b2", "p-2026.03.03", "1ce0b06b4d01d176"],
        ["24557b0212c7bbf5d70c8c59995de534", "p-2026.03.03", "9f36bbde53f74200"],
        ["b9d57cf28a6a86439a57c9e4bf7b276c", "p-2026.03.03", "6b6d70dfd2d0af69"],
        ["4019c8dba4d4494261ac2204fae7b9d6", "p-2000.01.01", "f2a60d6de347bf85"],
        ["5c8e994040a36164d5e3867b49283f0d", "p-2026.03.03", "d04045d1b22fb6de"],
    ],
    "events.ndjson+site": [
        ["2499fb946b59e0a016441019c82944b5", "p-2026.03.03", "7d51d6eadee1bb83"],
        ["3b1b9e2d2ed745684fbda1e9ccf890ec", "p-2026.03.03", "e7a9def4170e7bad"],
        ["c451d3d2c60e7c464432a9c35c7bc3ea", "p-2026.03.03", "e8569b3f92a4c31c"],
        ["83f800d4e5add1ace17e88c35060dd5d", "p-2026.03.03", "47ed62c8f27185a7"],
        ["8258bd11fda23b43b8626ffac7015e64", "p-2026.03.03", "fd2a948009c9170d"],
        ["12578ab9a25997ea88e14a67f80da0c5", "p-2026.03.03", "5837047c1278bb23"],
        ["d0636c950d357e65bd81e2a5e5849aeb", "p-2026.03.03", "b4aff1cd751fcd25"],
        ["8ecacf5613ba30b888b8a607568e379e", "p-2026.03.03", "ac4b0142d2796021"],
        ["372e618561774400e057827224bbe1b2", "p-2026.03.03", "b8a27adb8d9cb6e6"],
        ["24557b0212c7bbf5d70c8c59995de534", "p-2026.03.03", "ef4f4db6e2cb0c10"],
        ["b9d57cf28a6a86439a57c9e4bf7b276c", "p-2026.03.03", "9f5a18d64d9aa891"],
        ["4019c8dba4d4494261ac2204fae7b9d6", "p-2000.01.01", "19372078aad487d1"],
        ["5c8e994040a36164d5e3867b49283f0d", "p-2026.03.03", "feffd02788068c2a"],
    ],
    "plain": [
        ["f848a40754cdac623aaf80d864dd481c", "p-2026.03.03", "d408821fac47ee29"],
        ["151024ee5791550701067a7ec40a20a5", "p-2027.04.07", "dad81fbba3998329"],
        ["9f42f41d68d81deabf4e19f25cdb8679", "p-2026.01.01", "f2a92d7df444b955"],
        ["6e9dc0251261b0ab99e351f54a3673ba", "p-2026.03.03", "a94c3be1c43306be"],
        ["a3c46dd544dd4bce478023c43939c98b", "p-2026.03.03", "4a68dc87609432fe"],
    ],
}


def test_ids_and_sources_are_pinned(tmp_path: Path, sample_packets: list[Any]) -> None:
    got = pinned(tmp_path, sample_packets)
    assert set(got) == set(EXPECTED)
    for name, rows in EXPECTED.items():
        assert got[name] == rows, name


def test_every_case_is_non_trivial(tmp_path: Path, sample_packets: list[Any]) -> None:
    counts = {name: len(events) for name, events in _cases(tmp_path, sample_packets)}
    assert all(n > 0 for n in counts.values()), counts
    assert counts["events.ndjson"] == len(NDJSON_LINES)


@pytest.mark.parametrize("event", PLAIN_EVENTS[:3])
def test_plain_event_id_ignores_the_value_representation(event: dict[str, Any]) -> None:
    ts = event["@timestamp"]
    assert event_id({**event, "@timestamp": ts.astimezone(UTC)}) == event_id(event)
