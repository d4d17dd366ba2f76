"""Findings that reach people: alert channels (e-mail, webhook, syslog) and exports for the
sector CERT (STIX 2.1, MISP).

Channels deliver each new finding once per channel, through a delivery journal that keeps
what could not be sent for the next run (:mod:`sectool.alerting.dispatch`). Exports turn
findings into indicators, leaving addresses inside the health network out
(:mod:`sectool.alerting.stix`, :mod:`sectool.alerting.misp`). See docs/alerting.md.
"""

from __future__ import annotations

from sectool.alerting.config import AlertSettings, ChannelConfig, EmailOptions, SyslogOptions, WebhookOptions
from sectool.alerting.dispatch import AlertDeliveryError, ChannelResult, deliver_alerts
from sectool.alerting.journal import DeliveryJournal
from sectool.alerting.transport import ChannelError

__all__ = [
    "AlertDeliveryError",
    "AlertSettings",
    "ChannelConfig",
    "ChannelError",
    "ChannelResult",
    "DeliveryJournal",
    "EmailOptions",
    "SyslogOptions",
    "WebhookOptions",
    "deliver_alerts",
]
