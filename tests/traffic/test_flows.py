from __future__ import annotations

import pytest

from sectool.traffic.flows import ACK, DPI_DONE, FIN, RST, SYN, Flow, FlowTable, conn_state

S = 1_000_000_000  # ns per second
A, B = b"\x0a\x00\x00\x01", b"\x0a\x00\x00\x02"
PSH = 0x08


def _flow(oflags: int, rflags: int, rpkts: int = 1, proto: int = 6) -> Flow:
    f = Flow(proto, A, 1000, B, 80, 0)
    f.oflags, f.rflags, f.opkts, f.rpkts = oflags, rflags, 1, rpkts
    return f


@pytest.mark.parametrize(
    ("oflags", "rflags", "rpkts", "state"),
    [
        (SYN, 0, 0, "S0"),
        (SYN | ACK, SYN | ACK, 1, "S1"),
        (SYN | ACK | FIN, SYN | ACK | FIN, 1, "SF"),
        (SYN, RST | ACK, 1, "REJ"),
        (SYN | ACK | FIN, SYN | ACK, 1, "S2"),
        (SYN | ACK, SYN | ACK | FIN, 1, "S3"),
        (SYN | ACK | RST, SYN | ACK, 1, "RSTO"),
        (SYN | ACK, SYN | ACK | RST, 1, "RSTR"),
        (SYN | RST, 0, 0, "RSTOS0"),
        (ACK, SYN | ACK | RST, 1, "RSTRH"),
        (SYN | FIN, 0, 0, "SH"),
        (ACK, SYN | ACK | FIN, 1, "SHR"),
        (ACK | PSH, ACK, 1, "OTH"),
    ],
)
def test_conn_state(oflags: int, rflags: int, rpkts: int, state: str) -> None:
    assert conn_state(_flow(oflags, rflags, rpkts)) == state


@pytest.mark.parametrize(("rpkts", "state"), [(0, "S0"), (3, "SF")])
def test_udp_state(rpkts: int, state: str) -> None:
    assert conn_state(_flow(0, 0, rpkts, proto=17)) == state


def _table(idle: float = 60, active: float = 1800, linger: float = 5) -> FlowTable:
    return FlowTable(int(idle * S), int(active * S), int(linger * S))


def test_both_directions_fold_into_one_flow() -> None:
    t = _table()
    t.add(0, 6, A, 1000, B, 80, SYN, 60)
    t.add(1, 6, B, 80, A, 1000, SYN | ACK, 60)
    t.add(2, 6, A, 1000, B, 80, ACK, 52)
    t.flush()
    (f,) = t.ready
    assert (f.orig, f.oport, f.resp, f.rport) == (A, 1000, B, 80)
    assert (f.opkts, f.obytes, f.rpkts, f.rbytes) == (2, 112, 1, 60)
    assert f.state == "S1"


def test_syn_ack_first_makes_the_receiver_the_originator() -> None:
    t = _table()
    t.add(0, 6, B, 80, A, 1000, SYN | ACK, 60)
    t.flush()
    (f,) = t.ready
    assert (f.orig, f.oport) == (A, 1000)
    assert f.rpkts == 1
    assert f.opkts == 0


def test_idle_timeout_splits_flows() -> None:
    t = _table(idle=10)
    t.add(0, 17, A, 5000, B, 53, 0, 80)
    t.add(5 * S, 17, B, 53, A, 5000, 0, 120)
    assert not t.ready
    t.add(16 * S, 17, A, 5000, B, 53, 0, 80)  # 11 s after the last packet: a new flow
    assert len(t.ready) == 1
    assert t.ready[0].last == 5 * S
    t.flush()
    assert [f.opkts for f in t.ready] == [1, 1]


def test_active_timeout_exports_and_continues() -> None:
    t = _table(idle=60, active=100)
    for i in range(0, 250, 10):
        t.add(i * S, 6, A, 1000, B, 80, ACK, 100)
    t.flush()
    assert len(t.ready) == 3  # [0,100), [100,200), [200,240]
    assert sum(f.opkts for f in t.ready) == 25
    assert all((f.orig, f.oport) == (A, 1000) for f in t.ready)
    assert t.ready[1].first is not None
    assert t.ready[1].first >= 100 * S


def test_fin_ends_the_flow_after_linger_and_counts_the_last_ack() -> None:
    t = _table(linger=5)
    t.add(0, 6, A, 1000, B, 80, SYN, 60)
    t.add(1, 6, B, 80, A, 1000, SYN | ACK, 60)
    t.add(2, 6, A, 1000, B, 80, FIN | ACK, 52)
    t.add(3, 6, B, 80, A, 1000, FIN | ACK, 52)
    t.add(4, 6, A, 1000, B, 80, ACK, 52)  # trailing ACK still belongs to the flow
    assert not t.ready
    t.add(6 * S, 17, A, 1, B, 2, 0, 40)  # time passes on other traffic
    assert len(t.ready) == 1
    assert t.ready[0].opkts == 3
    assert t.ready[0].state == "SF"


def test_syn_after_close_starts_a_new_flow() -> None:
    t = _table()
    t.add(0, 6, A, 1000, B, 80, SYN, 60)
    t.add(1, 6, B, 80, A, 1000, RST | ACK, 40)
    t.add(2, 6, A, 1000, B, 80, SYN, 60)  # retried on the same 5-tuple
    assert len(t.ready) == 1
    assert t.ready[0].state == "REJ"
    t.flush()
    assert len(t.ready) == 2


def test_icmp_pairs_by_host() -> None:
    t = _table()
    t.add(0, 1, A, 8, B, 0, 0, 84)
    t.add(1, 1, B, 0, A, 0, 0, 84)
    t.flush()
    (f,) = t.ready
    assert (f.opkts, f.rpkts, f.oport, f.rport) == (1, 1, 8, 0)


def test_many_flows_expire_without_scanning_everything() -> None:
    t = _table(idle=1)
    for i in range(5000):
        t.add(i * S // 100, 17, A, 10000 + i, B, 53, 0, 60)
    # after 50 s of capture time, flows older than 1 s have been moved out
    assert len(t.table) <= 101
    t.flush()
    assert len(t.ready) == 5000


def test_discard_drops_open_flows_and_keeps_finished_ones() -> None:
    table = FlowTable(idle=1_000, active=10_000)
    a, b = b"\x0a\x00\x00\x01", b"\x0a\x00\x00\x02"
    table.add(0, 17, a, 1000, b, 53, 0, 60)  # ends by idle timeout ...
    table.add(5_000, 17, a, 1001, b, 53, 0, 60)  # ... when this packet arrives; this one stays open
    table.add(5_100, 6, a, 2000, b, 443, 0x02, 60)
    assert [f.oport for f in table.ready] == [1000]
    assert table.discard() == 2
    assert table.table == {}
    table.expire(1 << 40)
    assert [f.oport for f in table.ready] == [1000]  # nothing of the dropped flows comes back


def test_add_returns_the_flow_of_either_direction() -> None:
    t = _table()
    first = t.add(0, 6, A, 1000, B, 80, SYN, 60)
    assert t.add(1, 6, B, 80, A, 1000, SYN | ACK, 60) is first
    assert (first.service, first.dpi) == (None, None)  # nothing inspected yet


def test_active_timeout_snapshot_keeps_the_protocol_not_the_inspector() -> None:
    t = _table(idle=60, active=100)
    flow = t.add(0, 6, A, 1000, B, 2222, ACK, 100)
    flow.service = "ssh"
    inspector = object()
    flow.dpi = inspector
    for i in range(10, 160, 10):
        t.add(i * S, 6, A, 1000, B, 2222, ACK, 100)
    (snapshot,) = t.ready  # the first 100 s, exported by the active timeout
    assert snapshot.service == "ssh"
    assert snapshot.dpi is DPI_DONE  # the live flow goes on inspecting, the export does not
    assert flow.dpi is inspector
