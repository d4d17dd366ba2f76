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
        (
            "brute_force",
            {"variant": "compromise", "failures": 40, "successes": 1, "heuristic_failures": 0},
            "login lykkedes efter 40 fejlede logins fra samme kilde",
            "logon succeeded after 40 failed logons from the same source",
        ),
        (  # the success itself guessed from flow shape (when the flag reaches the text)
            "brute_force",
            {"variant": "compromise", "failures": 40, "success_is_heuristic": True},
            "login lykkedes efter 40 fejlede logins fra samme kilde (udledt af trafikkens mønster)",
            "logon succeeded after 40 failed logons from the same source (inferred from the traffic pattern)",
        ),
        (  # every failure guessed from flow shape
            "brute_force",
            {"variant": "brute_force", "failures": 12, "heuristic_failures": 12},
            "12 fejlede logins fra én kilde (udledt af trafikkens mønster)",
            "12 failed logons from one source (inferred from the traffic pattern)",
        ),
        (
            "port_scan",
            {"variant": "icmp", "distinct": 18, "connections": 18, "failed_share": 0.5},
            "ping-afsøgning af 18 værter",
            "ping sweep of 18 hosts",
        ),
        (
            "port_scan",
            {"variant": "arp", "distinct": 255, "connections": 260, "failed_share": 1.0},
            "ARP-afsøgning af 255 adresser",
            "ARP sweep of 255 addresses",
        ),
        (
            "port_scan",
            {"variant": "dhcp", "distinct": 10, "connections": 10, "failed_share": 1.0},
            "én klient bad om 10 forskellige adresser via DHCP",
            "one client requested 10 different addresses over DHCP",
        ),
        (
            "port_scan",
            {"variant": "probe", "distinct": 4, "connections": 10, "failed_share": 0.9},
            "9 mislykkede forsøg på 4 porte på én vært i løbet af kort tid",
            "9 failed attempts on 4 ports of one host within a short time",
        ),
        (
            "dns_tunnelling",
            {"variant": "labels", "unique_subdomains": 98, "queries": 98, "encoded_share": 0.75},
            "kodede data i navnene: 75,0\u00a0% af 98 forskellige underdomæner",
            "encoded data in the names: 75.0\u00a0% of 98 distinct subdomains",
        ),
        (  # a finding written before the detector had variants
            "dns_tunnelling",
            {"unique_subdomains": 1200, "queries": 3000},
            "1.200 forskellige underdomæner i 3.000 DNS-opslag",
            "1,200 distinct subdomains in 3,000 DNS queries",
        ),
        (
            "dns_txt_c2",
            {"lookups": 177, "distinct_answers": 150, "payload_share": 0.72},
            "177 DNS-svar af typen TXT; 72,0\u00a0% af dem indeholder kodede data",
            "177 DNS answers of type TXT; 72.0\u00a0% of them carry encoded data",
        ),
        (
            "dga",
            {"nxdomain_answers": 130, "nxdomain_domains": 112},
            "112 tilfældigt udseende domænenavne, der ikke findes (NXDOMAIN)",
            "112 random-looking domain names that do not exist (NXDOMAIN)",
        ),
        (
            "c2",
            {
                "connections": 739,
                "connections_per_hour": 4032.04,
                "gap_median_s": 0.878,
                "total_duration_s": 118.5,
                "strength_rate": 0.98,
                "strength_beacon": 0.16,
            },
            "739 forbindelser til én ekstern adresse: faste mellemrum på ca. 0,9 sekunder og "
            "4.032 forbindelser i timen",
            "739 connections to one external address: regular gaps of about 0.9 seconds and "
            "4,032 connections an hour",
        ),
        (
            "c2",
            {"connections": 12, "total_duration_s": 4320.0, "strength_long": 0.3},
            "12 forbindelser til én ekstern adresse: forbundet 1,2 timer i alt",
            "12 connections to one external address: connected 1.2 hours in total",
        ),
        (
            "sensor_alerts",
            {"alerts": 11, "signature": "ET SCAN Potential SSH Scan", "severity_from": "sensor severity 2"},
            "»ET SCAN Potential SSH Scan« udløst 11 gange",
            "\u201cET SCAN Potential SSH Scan\u201d raised 11 times",
        ),
        (
            "sensor_alerts",
            {"alerts": 1, "signature": "Scan::Port_Scan"},
            "»Scan::Port_Scan« udløst én gang",
            "\u201cScan::Port_Scan\u201d raised once",
        ),
        (  # a long signature is cut, not the whole cell
            "sensor_alerts",
            {"alerts": 2, "signature": "X" * 200},
            "»" + "X" * 119 + "…« udløst 2 gange",
            "\u201c" + "X" * 119 + "…\u201d raised 2 times",
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
        ("dga", {"nxdomain_domains": True}),  # a flag where a number belongs
        ("dga", {"nxdomain_domains": float("nan")}),  # not a number
        ("dga", {"nxdomain_domains": float("inf")}),
        ("dns_tunnelling", {"variant": "new_variant", "unique_subdomains": 3, "queries": 3}),
        ("dns_tunnelling", {"variant": "labels", "unique_subdomains": 98, "queries": 98}),  # no share
        ("port_scan", {"variant": "probe", "distinct": 4}),  # no attempts to count
        ("c2", {"connections": 10}),  # no signal
        ("c2", {"connections": 10, "strength_new_signal": 0.5}),  # a signal without a text
        ("c2", {"connections": 10, "strength_beacon": 0.5}),  # a signal without its number
        ("sensor_alerts", {"alerts": 3}),  # no signature
        ("sensor_alerts", {"alerts": 3, "signature": "  "}),  # an empty one
        ("sensor_alerts", {"alerts": 3, "signature": 2001219}),  # a number where the text belongs
        ("sensor_alerts", {"alerts": "3", "signature": "ET SCAN"}),
    ],
)
def test_no_english_fallback_in_danish(detector: str, evidence: dict) -> None:
    text = finding_summary(detector, evidence, title="311 failed logons")
    assert text.da == ""
    assert text.en == "311 failed logons"
