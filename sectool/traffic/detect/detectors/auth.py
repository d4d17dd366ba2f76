"""The password-guessing detector as a specification, over authentication events of every source.

Readers write one ``event.category: authentication`` event per logon attempt: from login
records (Zeek ssh.log, kerberos.log, ntlm.log, rdp.log, Suricata ssh/krb5, Kerberos AS-REQ in
captures) and, from captures alone, a guess from the flow's shape (``event.action:
login-shape-heuristic``, ``tags: [heuristic]``). A failure is any attempt that did not succeed:
``event.outcome`` ``failure``, or ``unknown``/unset (Zeek ssh.log without ``auth_success``: a
client that connected to the login service and was never seen logged in). Zeek ssh.log and
rdp.log records that a reader did not turn into authentication events (no result at all: Zeek
saw the login service but no outcome) count as attempts of unknown outcome as well.
"""

from __future__ import annotations

from sectool.traffic.detect.config import DetectConfig
from sectool.traffic.detect.detectors import _all, _allow
from sectool.traffic.detect.filters import Eq, Exists, Filter, In, Not, Or
from sectool.traffic.detect.spec import Cardinality, Count, DetectorSpec, Max, Min, Query, Terms

__all__ = ["ATTEMPTS", "HEURISTIC", "brute_force"]

#: Zeek ssh.log ``auth_attempts``: password tries within one connection.
ATTEMPTS = "zeek.ssh.auth_attempts"
SRC, DST = "source.ip", "destination.ip"
AUTH = Eq("event.category", "authentication")
#: Login-service records of sensors; without an outcome they are attempts of unknown result.
LOGIN_RECORDS = In("event.dataset", ("zeek.ssh", "zeek.rdp"))
SUCCESS = Eq("event.outcome", "success")
#: A logon guessed from flow shape (the pcap and conn.log heuristic), not a login record.
HEURISTIC: Filter = Or(
    (
        Eq("event.action", "login-shape-heuristic"),
        Eq("tags", "heuristic"),
        Eq("event.dataset", "sectool.auth_heuristic"),
    )
)
#: Fields only some sources write: their absence in a store is no reason to skip the detector.
OPTIONAL = frozenset({"event.action", "event.dataset", "event.outcome", "tags", ATTEMPTS, "user.name"})


def brute_force(cfg: DetectConfig) -> DetectorSpec:
    c = cfg.detectors.brute_force
    failed = _all(Or((AUTH, LOGIN_RECORDS)), Not(SUCCESS), _allow(cfg))
    failures = Query(
        name="failures",
        group_by=(SRC,),
        metrics=(
            Count(),
            Count(where=HEURISTIC, name="heuristic"),
            Count(where=Not(Eq("event.outcome", "failure")), name="unknown"),
            Cardinality("user.name"),
            Cardinality(DST),
            Terms("user.name", 5),
            Terms(DST, 5),
            Min("@timestamp"),
        ),
        filter=failed,
        interval=c.interval,
        optional=OPTIONAL,
    )
    # Tries inside one connection (ssh.log): each event already counts once, the rest is added.
    attempts = Query(
        name="attempts",
        group_by=(SRC, ATTEMPTS),
        metrics=(Count(),),
        filter=_all(failed, Exists(ATTEMPTS), Not(HEURISTIC)),
        interval=c.interval,
        optional=OPTIONAL,
    )
    successes = Query(
        name="successes",
        group_by=(SRC,),
        metrics=(
            Count(),
            Count(where=HEURISTIC, name="heuristic"),
            Max("@timestamp"),
            Terms("user.name", 5),
            Terms(DST, 5),
        ),
        filter=_all(AUTH, SUCCESS, _allow(cfg)),
        interval=c.interval,
        optional=OPTIONAL,
    )
    accounts = Query(
        name="accounts",
        group_by=("user.name",),
        metrics=(Count(), Cardinality(SRC), Terms(SRC, 5)),
        filter=_all(failed, Not(HEURISTIC)),
        interval=c.interval,
        optional=OPTIONAL,
    )
    return DetectorSpec(
        "brute_force",
        (failures, attempts, successes, accounts),
        "brute_force",
        ("T1110", "T1110.001", "T1110.003"),
        c.model_dump(),
        "failed logons per source, per account, spraying, and a success after many failures",
    )
