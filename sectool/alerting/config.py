"""Alert channel configuration: strict models for the playbook's ``alert.send`` step.

Each channel names its kind by one nested key (``email``, ``webhook`` or ``syslog``), so that
an unknown key is reported at its own line with the keys that kind accepts::

    channels:
      - name: soc-mail              # journal file name: state/alerts/soc-mail.json
        min_severity: high
        email: {host: smtp.region.dk, from: sectool@region.dk, to: [soc@region.dk]}
      - name: teams
        min_severity: medium
        webhook: {url_env: SECTOOL_TEAMS_WEBHOOK, format: teams}
      - name: siem
        min_severity: low
        syslog: {host: siem.region.dk, transport: tls}

Secrets are never written here: the SMTP account, the webhook URL (which often carries a
token) and private CA certificates come from environment variables (docs/alerting.md).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from sectool.traffic.detect.config import Duration
from sectool.traffic.detect.findings import Severity

__all__ = [
    "FACILITIES",
    "AlertSettings",
    "ChannelConfig",
    "EmailOptions",
    "SyslogOptions",
    "WebhookOptions",
]

#: RFC 5424 facility codes by name (the ones a security alert may sensibly use).
FACILITIES: dict[str, int] = {
    "user": 1,
    "daemon": 3,
    "auth": 4,
    "authpriv": 10,
    "local0": 16,
    "local1": 17,
    "local2": 18,
    "local3": 19,
    "local4": 20,
    "local5": 21,
    "local6": 22,
    "local7": 23,
}

# A deliberately plain address check: the SMTP server is the judge of deliverability; this
# only keeps header injection (CR/LF, commas, angle brackets) and typos out.
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
_ENV_NAME = r"^[A-Z_][A-Z0-9_]{0,127}$"
_HOST = r"^[A-Za-z0-9.:_-]{1,253}$"
Lang = Literal["da", "en", "both"]
Facility = Literal[
    "user",
    "daemon",
    "auth",
    "authpriv",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
]


def _address(value: str) -> str:
    if not _ADDRESS.match(value):
        raise ValueError("not an e-mail address; expected local@domain (one address, no display name)")
    return value


Address = Annotated[str, AfterValidator(_address)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class EmailOptions(_Strict):
    """SMTP submission with STARTTLS (or implicit TLS); the account comes from the environment."""

    host: str = Field(pattern=_HOST)
    port: int = Field(default=587, ge=1, le=65535)
    #: ``starttls`` (port 587) or ``tls`` (implicit TLS, port 465); never plain text.
    security: Literal["starttls", "tls"] = "starttls"
    from_: Address = Field(alias="from")
    to: list[Address] = Field(min_length=1, max_length=50)
    lang: Lang = "both"
    subject_prefix: str = Field(default="[sectool]", max_length=40, pattern=r"^[^\r\n]*$")


class WebhookOptions(_Strict):
    """A JSON POST; the URL (often carrying a token) is read from the named environment variable."""

    url_env: str = Field(pattern=_ENV_NAME)
    format: Literal["generic", "teams", "slack"] = "generic"
    #: Findings per POST (Teams and Slack truncate long messages).
    max_per_message: int = Field(default=20, ge=1, le=100)
    lang: Lang = "both"


class SyslogOptions(_Strict):
    """RFC 5424 messages, one per finding, over UDP, TCP (RFC 6587 octet counting) or TLS (RFC 5425)."""

    host: str = Field(pattern=_HOST)
    transport: Literal["udp", "tcp", "tls"] = "tls"
    #: Default: 514 for udp and tcp, 6514 for tls.
    port: int | None = Field(default=None, ge=1, le=65535)
    facility: Facility = "local0"
    app_name: str = Field(default="sectool", pattern=r"^[!-~]{1,48}$")
    #: HOSTNAME field; default: this machine's name.
    hostname: str | None = Field(default=None, pattern=r"^[!-~]{1,255}$")
    #: SD-ID of the structured data: ``name@<private enterprise number>``. 32473 is the
    #: number RFC 5612 reserves for documentation: replace it with your organisation's.
    sd_id: str = Field(default="sectool@32473", pattern=r"^[!#-<>-\\^-~]{1,32}$")

    @property
    def effective_port(self) -> int:
        return self.port or (6514 if self.transport == "tls" else 514)


class ChannelConfig(_Strict):
    """One alert channel: a name, the findings it takes and exactly one kind of delivery."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    min_severity: Severity = "high"
    #: Attempts after the first one failed, with exponential back-off (bounded by ``max_backoff``).
    retries: int = Field(default=3, ge=0, le=10)
    backoff: Annotated[Duration, Field(ge=timedelta(0), le=timedelta(minutes=5))] = timedelta(seconds=2)
    max_backoff: Annotated[Duration, Field(ge=timedelta(0), le=timedelta(minutes=30))] = timedelta(seconds=60)
    timeout: Annotated[Duration, Field(gt=timedelta(0), le=timedelta(minutes=10))] = timedelta(seconds=30)
    email: EmailOptions | None = None
    webhook: WebhookOptions | None = None
    syslog: SyslogOptions | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> ChannelConfig:
        kinds = [k for k in ("email", "webhook", "syslog") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                f"a channel needs exactly one of 'email', 'webhook', 'syslog' (got {len(kinds)})"
            )
        return self

    @property
    def kind(self) -> Literal["email", "webhook", "syslog"]:
        if self.email is not None:
            return "email"
        return "webhook" if self.webhook is not None else "syslog"


class AlertSettings(_Strict):
    """The ``alert.send`` step: where findings come from, the journal folder and the channels."""

    #: Findings files (JSONL; globs allowed). Default: the new findings of this run's detect steps.
    from_: list[str] | None = Field(default=None, alias="from")
    #: Folder of the per-channel delivery journals (relative to the working directory).
    journal: str = "state/alerts"
    #: Findings whose window ended longer ago than this are not sent (and forgotten by the journal).
    keep: Annotated[Duration, Field(gt=timedelta(0), le=timedelta(days=3660))] = timedelta(days=30)
    channels: list[ChannelConfig] = Field(min_length=1, max_length=50)

    @field_validator("channels")
    @classmethod
    def _unique(cls, value: list[ChannelConfig]) -> list[ChannelConfig]:
        seen: set[str] = set()
        for ch in value:
            if ch.name in seen:
                # Two channels with one name would share (and corrupt) one journal.
                raise ValueError(f"channel name '{ch.name}' is used twice; names must be unique")
            seen.add(ch.name)
        return value
