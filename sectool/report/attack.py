"""Names of the MITRE ATT&CK (Enterprise) techniques sectool's detectors report.

ATT&CK names are English proper names; the report shows them as such in both languages.
An id not listed here is shown without a name.
"""

from __future__ import annotations

__all__ = ["TECHNIQUES", "technique_name"]

TECHNIQUES: dict[str, str] = {
    "T1018": "Remote System Discovery",
    "T1021": "Remote Services",
    "T1030": "Data Transfer Size Limits",
    "T1041": "Exfiltration Over C2 Channel",
    "T1046": "Network Service Discovery",
    "T1048": "Exfiltration Over Alternative Protocol",
    "T1071": "Application Layer Protocol",
    "T1071.001": "Application Layer Protocol: Web Protocols",
    "T1071.004": "Application Layer Protocol: DNS",
    "T1078": "Valid Accounts",
    "T1110": "Brute Force",
    "T1110.001": "Brute Force: Password Guessing",
    "T1110.003": "Brute Force: Password Spraying",
    "T1133": "External Remote Services",
    "T1498": "Network Denial of Service",
    "T1562": "Impair Defenses",
    "T1562.001": "Impair Defenses: Disable or Modify Tools",
    "T1572": "Protocol Tunneling",
    "T1573": "Encrypted Channel",
    "T1595": "Active Scanning",
}


def technique_name(technique_id: str) -> str | None:
    """The ATT&CK name of ``technique_id`` (``None`` when unknown)."""
    return TECHNIQUES.get(technique_id)
