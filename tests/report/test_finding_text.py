from __future__ import annotations

import pytest

from sectool.report.finding_text import finding_summary


@pytest.mark.parametrize(
    ("detector", "evidence", "da", "en"),
    [
        (
            "brute_force",
            {"variant": "brute_force", "failures": 311},
            "311 fejlede logins fra én kilde",
            "311 failed logons from one source",
        ),
        (
            "brute_force",
            {"variant": "spraying", "failures": 1200, "accounts": 60},
            "1.200 fejlede logins mod 60 konti fra én kilde",
            "1,200 failed logons against 60 accounts from one source",
        ),
        (
            "beaconing",
            {"connections": 420, "gap_median_s": 120.2, "score": 0.961},
            "420 forbindelser med ca. 120 sekunders mellemrum; beacon-score 0,96",
            "420 connections about 120 seconds apart; beacon score 0.96",
        ),
        (
            "exfiltration",
            {"bytes_sent": 512e6, "upload_ratio": 0.9},
            "512 MB sendt ud; andel sendt 90,0\u00a0%",
            "512 MB sent out; upload share 90.0\u00a0%",
        ),
        (
            "port_scan",
            {"variant": "horizontal", "distinct": 254},
            "én port afprøvet på 254 værter",
            "one port probed on 254 hosts",
        ),
        (
            "silent_source",
            {"silent_windows": 7},
            "tavs i 7 tidsvinduer i træk",
            "silent for 7 consecutive time windows",
        ),
    ],
)
def test_summary_from_evidence(detector: str, evidence: dict, da: str, en: str) -> None:
    text = finding_summary(detector, evidence, title="the detector's English title")
    assert (text.da, text.en) == (da, en)


@pytest.mark.parametrize(
    ("detector", "evidence"),
    [
        ("custom_detector", {"n": 1}),  # unknown detector
        ("brute_force", {"variant": "new_variant", "failures": 3}),  # unknown variant
        ("beaconing", {"connections": 3}),  # evidence lacks a number
        ("volume_spike", {"bytes": "many", "baseline_median": 1.0}),  # text where a number belongs
    ],
)
def test_no_english_fallback_in_danish(detector: str, evidence: dict) -> None:
    text = finding_summary(detector, evidence, title="311 failed logons")
    assert text.da == ""
    assert text.en == "311 failed logons"
