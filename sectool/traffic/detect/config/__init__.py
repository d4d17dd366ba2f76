"""Detector configuration: thresholds, allowlists, internal ranges and the working-hours calendar.

Loaded from YAML through :mod:`sectool.yamlio` into strict, frozen pydantic models; every
value has a documented default, so an empty file (or no file) means "the defaults". Durations
are written ``30s``, ``10m``, ``1h``, ``7d``.

Example::

    internal_ranges: [10.0.0.0/8, fd00::/8]
    working_hours:
      {timezone: Europe/Copenhagen, days: [mon, tue, wed, thu, fri], start: "07:00", end: "18:00"}
    allowlist:
      cidrs: [10.10.40.5/32]          # the vulnerability scanner
      domains: [akamaiedge.net]
      pairs: [{source: 10.10.20.0/24, destination: 212.130.0.0/16}]
    detectors:
      port_scan: {vertical_min_ports: 200}
      beaconing: {enabled: false}
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from sectool.traffic.detect.config.dns_auth import BruteForce, Dga, DnsTunnelling, DnsTxtC2, SensorAlerts
from sectool.traffic.detect.config.scan_c2 import C2, PortScan

__all__ = ["DetectConfig", "load_config", "parse_duration"]

_DUR = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: Any) -> timedelta:
    """``"90s"``, ``"10m"``, ``"1h"``, ``"7d"`` (or a timedelta, or seconds as a number)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if isinstance(value, str):
        m = _DUR.match(value)
        if m:
            return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])
    raise ValueError(f"not a duration: {value!r} (write e.g. 30s, 10m, 1h, 7d)")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _cidr(v: str) -> str:
    try:
        return str(ipaddress.ip_network(v, strict=False))
    except ValueError:
        raise ValueError(f"not an IP network: {v!r} (write e.g. 10.0.0.0/8 or fd00::/8)") from None


Cidr = Annotated[str, BeforeValidator(lambda v: _cidr(str(v)))]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class WorkingHours(_Model):
    """When administration is expected. Outside it, admin sessions are findings."""

    timezone: str = "Europe/Copenhagen"
    days: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri")
    start: time = time(7, 0)
    end: time = time(18, 0)
    holidays: tuple[date, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (write e.g. Europe/Copenhagen)") from None
        return v


class Pair(_Model):
    source: Cidr
    destination: Cidr


class Allowlist(_Model):
    """Traffic left out before scoring: CIDRs (either end), registered domains, host pairs."""

    cidrs: tuple[Cidr, ...] = ()
    domains: tuple[str, ...] = ()
    pairs: tuple[Pair, ...] = ()


class _Detector(_Model):
    enabled: bool = True


class VolumeSpike(_Detector):
    group_by: tuple[str, ...] = ("source.ip",)
    interval: Duration = timedelta(hours=1)
    baseline: Duration = timedelta(hours=24)
    min_bytes: int = Field(100_000_000, ge=0, description="bytes in one window")
    min_ratio: float = Field(10.0, gt=0, description="window bytes / baseline median")
    min_robust_z: float = Field(6.0, gt=0, description="(x - median) / (1.4826 MAD)")
    min_baseline_windows: int = Field(
        3, ge=0, description="windows of the baseline with traffic of the group (else: no baseline)"
    )


class Beaconing(_Detector):
    min_connections: int = Field(24, ge=4)
    min_score: float = Field(0.8, ge=0, le=1)
    max_candidates: int = Field(5000, ge=1)
    max_points: int = Field(10_000, ge=10)
    lookback: Duration = timedelta(0)


class Exfiltration(_Detector):
    interval: Duration = timedelta(hours=1)
    baseline: Duration = timedelta(hours=24)
    min_bytes: int = Field(50_000_000, ge=0, description="bytes sent to one destination in a window")
    min_upload_ratio: float = Field(0.9, ge=0, le=1)
    baseline_factor: float = Field(10.0, gt=0)
    min_baseline_windows: int = Field(
        3, ge=0, description="baseline windows with uploads of the source for the baseline_factor rule"
    )


class NewDestination(_Detector):
    baseline: Duration = timedelta(days=7)
    min_server_connections: int = Field(
        10, ge=1, description="internal connections a host must accept to count as a server"
    )


class SilentSource(_Detector):
    field: str = "observer.name"
    interval: Duration = timedelta(hours=1)
    baseline: Duration = timedelta(hours=24)
    min_baseline_events: int = Field(10, ge=1, description="median events per window in the baseline")
    min_active_share: float = Field(0.9, ge=0, le=1, description="share of baseline windows with events")
    max_events: int = Field(0, ge=0, description="a window with at most this many events is silent")


class OffHoursAdmin(_Detector):
    ports: tuple[int, ...] = (22, 3389, 445, 5985, 5986)
    protocols: tuple[str, ...] = ("ssh", "rdp", "smb")
    min_duration: Duration = timedelta(seconds=60)


class Detectors(_Model):
    volume_spike: VolumeSpike = VolumeSpike()
    port_scan: PortScan = PortScan()
    beaconing: Beaconing = Beaconing()
    dns_tunnelling: DnsTunnelling = DnsTunnelling()
    exfiltration: Exfiltration = Exfiltration()
    brute_force: BruteForce = BruteForce()
    new_destination: NewDestination = NewDestination()
    silent_source: SilentSource = SilentSource()
    off_hours_admin: OffHoursAdmin = OffHoursAdmin()
    dga: Dga = Dga()
    dns_txt_c2: DnsTxtC2 = DnsTxtC2()
    sensor_alerts: SensorAlerts = SensorAlerts()
    c2: C2 = C2()


class DetectConfig(_Model):
    """All detection settings (every field has a default)."""

    internal_ranges: tuple[Cidr, ...] = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
    server_ranges: tuple[Cidr, ...] = ()
    working_hours: WorkingHours = WorkingHours()
    allowlist: Allowlist = Allowlist()
    realert: Duration = timedelta(hours=12)
    #: How long reported findings stay in the ``--state`` file before the analysed range (at
    #: least ``realert`` is kept); at most ten years.
    state_retention: Annotated[Duration, Field(ge=timedelta(0), le=timedelta(days=3660))] = timedelta(days=30)
    severity_bands: tuple[float, float, float] = (0.5, 0.75, 0.9)
    detectors: Detectors = Detectors()


def load_config(path: str | Path | None) -> DetectConfig:
    """The configuration in ``path`` (YAML), or the defaults when ``path`` is ``None``."""
    if path is None:
        return DetectConfig()
    from sectool.yamlio import load_yaml, validate

    doc = load_yaml(path)
    return validate(DetectConfig, doc.data, doc=doc)
