"""Names of the MITRE ATT&CK (Enterprise) techniques sectool's detectors report.

ATT&CK names are English proper names (MITRE publishes no Danish edition): the English report
shows the name; the Danish report shows a Danish description with the official name after it,
so a reader can look the technique up. An id not listed here is shown without a name.
"""

from __future__ import annotations

__all__ = ["TECHNIQUES", "TECHNIQUES_DA", "technique_label", "technique_name"]

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
    "T1105": "Ingress Tool Transfer",
    "T1110": "Brute Force",
    "T1110.001": "Brute Force: Password Guessing",
    "T1110.003": "Brute Force: Password Spraying",
    "T1133": "External Remote Services",
    "T1498": "Network Denial of Service",
    "T1562": "Impair Defenses",
    "T1562.001": "Impair Defenses: Disable or Modify Tools",
    "T1568.002": "Dynamic Resolution: Domain Generation Algorithms",
    "T1571": "Non-Standard Port",
    "T1572": "Protocol Tunneling",
    "T1573": "Encrypted Channel",
    "T1595": "Active Scanning",
}

#: Danish descriptions of the same techniques (sectool's wording, not an official translation).
TECHNIQUES_DA: dict[str, str] = {
    "T1018": "Kortlægning af andre systemer i netværket",
    "T1021": "Fjernadgangstjenester",
    "T1030": "Overførsel i begrænsede portioner",
    "T1041": "Dataudtræk over kommandokanalen",
    "T1046": "Kortlægning af netværkstjenester (portscanning)",
    "T1048": "Dataudtræk over en anden protokol",
    "T1071": "Kommunikation gemt i almindelige applikationsprotokoller",
    "T1071.001": "Kommunikation gemt i webtrafik",
    "T1071.004": "Kommunikation gemt i DNS",
    "T1078": "Misbrug af gyldige konti",
    "T1105": "Overførsel af angrebsværktøjer ind i netværket",
    "T1110": "Gætning af adgangskoder (brute force)",
    "T1110.001": "Gætning af adgangskoder til én konto",
    "T1110.003": "Password spraying: få adgangskoder prøvet mod mange konti",
    "T1133": "Eksterne fjernadgangstjenester",
    "T1498": "Overbelastning af netværket (DoS)",
    "T1562": "Svækkelse af forsvaret",
    "T1562.001": "Deaktivering eller ændring af sikkerhedsværktøjer",
    "T1568.002": "Skiftende domænenavne dannet af en algoritme (DGA)",
    "T1571": "Kommunikation over en usædvanlig port",
    "T1572": "Tunnelering gennem en anden protokol",
    "T1573": "Krypteret kommandokanal",
    "T1595": "Aktiv scanning udefra",
}


def technique_label(technique_id: str, lang: str) -> str | None:
    """What the report shows after the id: the ATT&CK name (``en``), or the Danish description
    followed by the ATT&CK name in parentheses (``da``); ``None`` when the id is unknown."""
    name = TECHNIQUES.get(technique_id)
    if lang == "da" and name is not None and technique_id in TECHNIQUES_DA:
        return f"{TECHNIQUES_DA[technique_id]} ({name})"
    return name


def technique_name(technique_id: str) -> str | None:
    """The ATT&CK name of ``technique_id`` (``None`` when unknown)."""
    return TECHNIQUES.get(technique_id)
