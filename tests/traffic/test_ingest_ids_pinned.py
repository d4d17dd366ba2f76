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


# Generated with tests/traffic/test_ingest_ids_pinned.py::pinned against commit 8f88fbf.
EXPECTED: dict[str, list[list[str]]] = {
    "conn.json": [
        ["41c2f17238ab65f163ea75b82117ac48", "p-2024.01.15", "b54019b93b215b88"],
        ["46bed5a8603580a2043e938142bd2280", "p-2024.01.15", "e61dd962cc1bc0aa"],
        ["1f53e3e48d296f831751f3de6aca9d57", "p-2024.01.15", "4e7f270bf3b426ba"],
        ["d1eaee151ff4886a3bb634ea0b3f5afc", "p-2024.01.15", "c08296cc81d6b511"],
        ["2a07f110ef5eec9348ec996f244555bf", "p-2024.01.15", "c7af1c4e0875ca13"],
        ["a2e72989d03ff18e5401aba659203a0a", "p-2024.01.15", "b57bc6c2f66797ba"],
        ["1cbf142b764ca25770f618f954ffd3c9", "p-2024.01.15", "61631a5aa623c607"],
    ],
    "conn.log": [
        ["41c2f17238ab65f163ea75b82117ac48", "p-2024.01.15", "5a64f55a9b13781d"],
        ["46bed5a8603580a2043e938142bd2280", "p-2024.01.15", "732579fb22ffeedc"],
        ["1f53e3e48d296f831751f3de6aca9d57", "p-2024.01.15", "062200ac3afb3552"],
        ["d1eaee151ff4886a3bb634ea0b3f5afc", "p-2024.01.15", "c8c5ea66af7f7451"],
        ["2a07f110ef5eec9348ec996f244555bf", "p-2024.01.15", "15f8709de765a4e9"],
        ["a2e72989d03ff18e5401aba659203a0a", "p-2024.01.15", "db7a5b1ce98e51e0"],
        ["1cbf142b764ca25770f618f954ffd3c9", "p-2024.01.15", "a8117240a6e9bf18"],
    ],
    "dns.json": [
        ["bd9f368ae15b8a6c8b07ad224976bc1f", "p-2024.01.15", "3b5cb97848d852e1"],
        ["b1b3bb8d68928320cfba65686ada8536", "p-2024.01.15", "623f8f8c92221d96"],
        ["7fa063833ad68d9c6ddbe3692b482c07", "p-2024.01.15", "68e893fa1535771a"],
        ["01fb1ddde0e989d0b5c8b6eaad20d25b", "p-2024.01.15", "3768f322fbf36944"],
        ["d6dbae87e2343a8cd41ec700a472d758", "p-2024.01.15", "becbf0d40beaf6f8"],
    ],
    "dns.log": [
        ["bd9f368ae15b8a6c8b07ad224976bc1f", "p-2024.01.15", "513d67a2e1be0bae"],
        ["b1b3bb8d68928320cfba65686ada8536", "p-2024.01.15", "ebf13be5674410f7"],
        ["7fa063833ad68d9c6ddbe3692b482c07", "p-2024.01.15", "210efc88559b2b4c"],
        ["01fb1ddde0e989d0b5c8b6eaad20d25b", "p-2024.01.15", "a4b521908b3f9f9a"],
        ["d6dbae87e2343a8cd41ec700a472d758", "p-2024.01.15", "e1400652e67eedc5"],
    ],
    "eve.json": [
        ["3adc47a6f599ab7aed61a8bdd6884924", "p-2024.01.15", "d7f2bd83c4c1aa1c"],
        ["49343dd7aaf7a750ee57946230b241c9", "p-2024.01.15", "c4acff50afdaabca"],
        ["13d72ee438a359293e05b23eaebc195d", "p-2024.01.15", "4bef98a86436b230"],
        ["3082611096851ad3c74377d98dafd384", "p-2024.01.15", "970e3963446c0311"],
        ["5e1f57e01654696315d889c8187ede4f", "p-2024.01.15", "cec159c488e19980"],
        ["3ff0ae0744f99297caa8afaa0db2c988", "p-2024.01.15", "97aa82498dd00c20"],
        ["991b6e54760f163e9cb72f413bf125b5", "p-2024.01.15", "bae034faaf4856df"],
        ["51611bd4ca241fe4040208ae804e1cf8", "p-2024.01.15", "8d82b9cd36bbcb2a"],
        ["92640171c2aa11c5300eec3284c66ed0", "p-2024.01.15", "30fe6884aa3833ac"],
        ["9c888492e7cac84d0df2179ace563ba2", "p-2024.01.15", "68b0df124d18f321"],
    ],
    "events.ndjson": [
        ["2499fb946b59e0a016441019c82944b5", "p-2026.03.03", "ed8c037f06a5b44f"],
        ["3b1b9e2d2ed745684fbda1e9ccf890ec", "p-2026.03.03", "916131397741e250"],
        ["c451d3d2c60e7c464432a9c35c7bc3ea", "p-2026.03.03", "3e744de536c71a75"],
        ["83f800d4e5add1ace17e88c35060dd5d", "p-2026.03.03", "61686c21e57c137f"],
        ["8258bd11fda23b43b8626ffac7015e64", "p-2026.03.03", "11b7458d57a45a33"],
        ["12578ab9a25997ea88e14a67f80da0c5", "p-2026.03.03", "314195baa6b50280"],
        ["d0636c950d357e65bd81e2a5e5849aeb", "p-2026.03.03", "8dcc219275fc094f"],
        ["8ecacf5613ba30b888b8a607568e379e", "p-2026.03.03", "e927a8690baf78c9"],
        ["372e618561774400e057827224bbe1b2", "p-2026.03.03", "2cb19c3e29e0bf0d"],
        ["24557b0212c7bbf5d70c8c59995de534", "p-2026.03.03", "8273bf1a22f63037"],
        ["b9d57cf28a6a86439a57c9e4bf7b276c", "p-2026.03.03", "d968abe38fa40e52"],
        ["4019c8dba4d4494261ac2204fae7b9d6", "p-2000.01.01", "4ddcca7a79b22675"],
        ["5c8e994040a36164d5e3867b49283f0d", "p-2026.03.03", "c89e7b9bed45aea5"],
    ],
    "events.ndjson+site": [
        ["2499fb946b59e0a016441019c82944b5", "p-2026.03.03", "d72c33d9ba9708f0"],
        ["3b1b9e2d2ed745684fbda1e9ccf890ec", "p-2026.03.03", "26eda99804675449"],
        ["c451d3d2c60e7c464432a9c35c7bc3ea", "p-2026.03.03", "b3753756f30a5a23"],
        ["83f800d4e5add1ace17e88c35060dd5d", "p-2026.03.03", "69329e7c59a79677"],
        ["8258bd11fda23b43b8626ffac7015e64", "p-2026.03.03", "04b06fd377a2d44e"],
        ["12578ab9a25997ea88e14a67f80da0c5", "p-2026.03.03", "65ca141121279feb"],
        ["d0636c950d357e65bd81e2a5e5849aeb", "p-2026.03.03", "e0acc12602bf5e8a"],
        ["8ecacf5613ba30b888b8a607568e379e", "p-2026.03.03", "27963a87b8a2713d"],
        ["372e618561774400e057827224bbe1b2", "p-2026.03.03", "c45748f03a28ad9a"],
        ["24557b0212c7bbf5d70c8c59995de534", "p-2026.03.03", "24434eb84e38241f"],
        ["b9d57cf28a6a86439a57c9e4bf7b276c", "p-2026.03.03", "c3c41bf75727a634"],
        ["4019c8dba4d4494261ac2204fae7b9d6", "p-2000.01.01", "a89a7605fbeebc87"],
        ["5c8e994040a36164d5e3867b49283f0d", "p-2026.03.03", "fff616cd28a3ff96"],
    ],
    "plain": [
        ["f848a40754cdac623aaf80d864dd481c", "p-2026.03.03", "d408821fac47ee29"],
        ["151024ee5791550701067a7ec40a20a5", "p-2027.04.07", "dad81fbba3998329"],
        ["9f42f41d68d81deabf4e19f25cdb8679", "p-2026.01.01", "f2a92d7df444b955"],
        ["6e9dc0251261b0ab99e351f54a3673ba", "p-2026.03.03", "a94c3be1c43306be"],
        ["a3c46dd544dd4bce478023c43939c98b", "p-2026.03.03", "0ba154a8fa48f02f"],
    ],
    "sample.pcap": [
        ["580dd7f2c8dd4c6a33224e0ddd584bed", "p-2026.03.03", "67831338987b754b"],
        ["1f2f3a44a5b0a7f6425ea9fb4019b5d6", "p-2026.03.03", "bde4040503fcdeef"],
        ["69ebc5cd31433feb6ac785a33378b597", "p-2026.03.03", "d211dcf882350d7b"],
        ["93f138acd045729cc40c4f66ebff259d", "p-2026.03.03", "cffff08ba1b14ecb"],
        ["b641d9fdb399156ab960031ba77a5823", "p-2026.03.03", "0d65ab2f8e5a43eb"],
        ["9266c028e4e3ca7b5d9e8d750d69143f", "p-2026.03.03", "9ca2865dffd4ab5f"],
        ["04dd95c1b639e69426d55923df496c61", "p-2026.03.03", "bbf870f342cf160e"],
        ["a0ff117e97973c83e08d554e3fdc5daa", "p-2026.03.03", "4c55902518dafbb9"],
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
