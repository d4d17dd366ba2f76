"""Community ID flow hashing, version 1 (https://github.com/corelight/community-id-spec).

``1:`` + base64(SHA-1(seed ‖ addr_lo ‖ addr_hi ‖ proto ‖ 0 ‖ port_lo ‖ port_hi)) where the
endpoints are ordered so that both directions of a flow hash the same. For ICMP the type and
code act as ports; request/reply types are mapped to each other so that both directions
match, other ICMP messages are one-way and keep their order.
"""

from __future__ import annotations

import base64
import hashlib
import struct

__all__ = ["community_id"]

_ICMP = 1
_ICMP6 = 58
_PORTED = frozenset({6, 17, 132})  # TCP, UDP, SCTP

# type -> counterpart type, for messages that have a reply (spec, "ICMP" section).
_ICMP4_PAIRS = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17}
_ICMP6_PAIRS = {
    128: 129,  # echo request / reply
    129: 128,
    130: 131,  # multicast listener query / report
    131: 130,
    133: 134,  # router solicitation / advertisement
    134: 133,
    135: 136,  # neighbour solicitation / advertisement
    136: 135,
    139: 140,  # node information query / response ("who are you")
    140: 139,
    144: 145,  # home agent address discovery request / reply
    145: 144,
}


def community_id(
    proto: int, saddr: bytes, daddr: bytes, sport: int = 0, dport: int = 0, seed: int = 0
) -> str:
    """Community ID v1 of one flow.

    Args:
        proto: IP protocol number.
        saddr: source address, packed (4 or 16 bytes).
        daddr: destination address, packed.
        sport: source port, or ICMP type.
        dport: destination port, or ICMP code.
        seed: the 16-bit seed shared by the sensors that should agree.
    """
    one_way = False
    if proto in (_ICMP, _ICMP6):
        pairs = _ICMP4_PAIRS if proto == _ICMP else _ICMP6_PAIRS
        icmp_type, code = sport, dport
        if icmp_type in pairs:
            sport, dport = icmp_type, pairs[icmp_type]
        else:
            sport, dport = icmp_type, code
            one_way = True
    if not one_way and (saddr > daddr or (saddr == daddr and sport > dport)):
        saddr, daddr, sport, dport = daddr, saddr, dport, sport
    data = struct.pack("!H", seed) + saddr + daddr + struct.pack("!BB", proto, 0)
    if proto in _PORTED or proto in (_ICMP, _ICMP6):
        data += struct.pack("!HH", sport, dport)
    # SHA-1 is what the spec prescribes for interoperability, not a security control.
    digest = hashlib.sha1(data, usedforsecurity=False).digest()
    return "1:" + base64.b64encode(digest).decode("ascii")
