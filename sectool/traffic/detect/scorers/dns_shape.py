"""What DNS names and answers look like: encoded data, generated domains, payloads.

Pure functions over strings, shared by the DNS scorers. They judge *samples* (the ``Terms``
metric of a bucket), so both backends feed them the same strings.

Why these measures (and not a trained model): they are explainable in a finding's evidence
and hold across DGA families that look different. Random-looking families (Conficker,
CryptoLocker, Necurs: long consonant runs, digits between letters, high entropy) are caught by
:func:`random_label`; pronounceable families built from a fixed pattern (Simda's
consonant-vowel names such as ``gacyfew``, seven letters each) defeat any randomness score but
are uniform in length, which :func:`uniformity` measures. A host's real typos and dead links
vary in both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise

from sectool.traffic.detect.scoring import entropy, median

__all__ = [
    "domain_label",
    "encoded_label",
    "known_suffix",
    "payload_answer",
    "random_label",
    "txt_text",
    "uniformity",
]

_VOWELS = frozenset("aeiouy")
_HEX = frozenset("0123456789abcdef")
#: The alphabets of base64, base64url and hex.
_ENCODED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-")
#: Zeek writes TXT answers as ``TXT <length> <text>``; other sources write the text only.
_ZEEK_TXT = re.compile(r"^TXT \d+ ")
#: A record that announces itself (``v=spf1 ...``, ``v=DKIM1; ...``, ``google-site-verification=``):
#: a key, then ``=``. Base64 has ``=`` only as padding at the end of the string.
_TAGGED = re.compile(r"^[A-Za-z0-9_.-]{1,40}=")


def encoded_label(label: str, min_length: int, min_entropy: float) -> bool:
    """Whether one DNS label looks like encoded data: at least ``min_length`` characters and
    ``min_entropy`` bits per character, or a long hex string (hex has at most 4 bits per
    character, so hex-encoding tunnels such as dnscat2 need their own bound).

    Labels starting with ``_`` are service labels (``_dmarc``, ``_domainkey``, DNS-SD), never data.
    """
    if len(label) < min_length or label.startswith("_"):
        return False
    low = label.lower()
    h = entropy(low)
    if h >= min_entropy:
        return True
    return len(low) >= 32 and set(low) <= _HEX and h >= 3.3


def random_label(label: str) -> bool:
    """Whether a registered-domain label looks machine-made rather than pronounceable: a
    consonant run of five or more, digits and letters alternating (three or more switches),
    almost no vowels in a long label, or a long high-entropy string."""
    low = label.lower()
    letters = [c for c in low if c.isalpha()]
    run = longest = 0
    for c in low:
        run = run + 1 if c.isalpha() and c not in _VOWELS else 0
        longest = max(longest, run)
    if longest >= 5:
        return True
    switches = sum(1 for a, b in pairwise(low) if a.isdigit() != b.isdigit())
    if switches >= 3:
        return True
    if len(letters) >= 8 and sum(c in _VOWELS for c in letters) / len(letters) < 0.15:
        return True
    return len(low) >= 16 and entropy(low) >= 3.6


def uniformity(labels: Sequence[str]) -> float:
    """Share of ``labels`` whose length is within one character of the median length."""
    if not labels:
        return 0.0
    m = median([float(len(x)) for x in labels])
    return sum(1 for x in labels if abs(len(x) - m) <= 1) / len(labels)


@lru_cache(maxsize=65_536)
def known_suffix(domain: str) -> bool:
    """Whether ``domain`` ends in a public suffix on the Public Suffix List (an Internet name,
    not ``corp.example.lan`` or a single label a resolver's search list extended)."""
    from sectool.traffic.readers.dns import _suffix_list

    return bool(_suffix_list().publicsuffix(domain.lower(), accept_unknown=False))


def domain_label(registered: str) -> str:
    """The label a registrant chose: ``gacyfew`` of ``gacyfew.com``, ``nhs`` of ``nhs.co.uk``."""
    return registered.split(".", 1)[0]


def txt_text(answer: str) -> str:
    """The text of a TXT answer as the reader wrote it (Zeek's ``TXT <len>`` prefix removed)."""
    return _ZEEK_TXT.sub("", answer, count=1)


def payload_answer(answer: str, min_length: int, min_entropy: float) -> bool:
    """Whether a TXT answer carries an encoded payload: long, in the base64/hex alphabet (no
    spaces: prose, SPF and DMARC records have them), with ``min_entropy`` bits per character,
    and not a record that names its own purpose (DKIM keys, site verification tokens).

    Base64 of PowerShell's UTF-16 text has about 4.1 bits per character, hex about 3.9, random
    base64 5.8; a long run of one character has almost none.
    """
    text = txt_text(answer).strip().strip('"')
    if len(text) < min_length or _TAGGED.match(text):
        return False
    if sum(c in _ENCODED for c in text) < 0.95 * len(text):
        return False
    return entropy(text) >= min_entropy
