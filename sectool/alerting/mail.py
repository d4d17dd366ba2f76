"""The e-mail channel: one message per run listing the new findings, sent over SMTP with TLS.

The message has a plain-text and an HTML part (Jinja2 with autoescape: finding titles and
entity values come from network data and are never markup), in Danish, English or both.
The connection always uses TLS (STARTTLS on the submission port, or implicit TLS) with the
certificate and host name verified; ``SECTOOL_SMTP_CA_CERT`` adds a private CA. The
account, if the relay wants one, comes from ``SECTOOL_SMTP_USER`` and
``SECTOOL_SMTP_PASSWORD``.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from sectool.alerting.config import EmailOptions
from sectool.alerting.texts import TEXTS, finding_rows, langs_of, summary
from sectool.alerting.transport import ChannelError, describe_os_error, tls_context
from sectool.traffic.detect.findings import Finding

__all__ = ["CA_ENV", "PASSWORD_ENV", "USER_ENV", "EmailSender", "build_message"]

USER_ENV = "SECTOOL_SMTP_USER"
PASSWORD_ENV = "SECTOOL_SMTP_PASSWORD"  # noqa: S105 - the name of the variable, not a password
CA_ENV = "SECTOOL_SMTP_CA_CERT"

_env: Environment | None = None


def _templates() -> Environment:
    global _env
    if _env is None:
        _env = Environment(
            loader=PackageLoader("sectool.alerting", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
    return _env


def build_message(
    findings: Sequence[Finding],
    options: EmailOptions,
    *,
    min_severity: str,
    playbook: str,
    now: datetime,
) -> EmailMessage:
    """The alert message (not yet sent)."""
    langs = langs_of(options.lang)
    sections = []
    for lang in langs:
        t = TEXTS[lang]
        sections.append(
            {
                "lang": lang,
                "t": t,
                "intro": t["intro"].format(n=len(findings), min=t[min_severity], playbook=playbook),
                "rows": finding_rows(findings, lang),
            }
        )
    subject = f"{options.subject_prefix} {summary(findings, options.lang)}".strip()
    env = _templates()
    text = env.get_template("alert_email.txt.j2").render(sections=sections, subject=subject)
    html = env.get_template("alert_email.html.j2").render(sections=sections, subject=subject)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = options.from_
    msg["To"] = ", ".join(options.to)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=options.from_.rsplit("@", 1)[1])
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to the robot
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    # After add_alternative: it moves Content-* headers into the first part.
    msg["Content-Language"] = ", ".join(langs)
    return msg


class EmailSender:
    """Delivers all pending findings in one message (all or nothing)."""

    def __init__(
        self,
        options: EmailOptions,
        *,
        min_severity: str,
        playbook: str,
        now: datetime,
        timeout: float,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.options = options
        self.min_severity = min_severity
        self.playbook = playbook
        self.now = now
        self.timeout = timeout
        self.env = os.environ if env is None else env
        self.notes: list[str] = []

    def deliver(self, pending: Sequence[Finding], mark_sent: Callable[[Sequence[Finding]], None]) -> None:
        msg = build_message(
            pending, self.options, min_severity=self.min_severity, playbook=self.playbook, now=self.now
        )
        refused = self._send(msg)
        if refused:
            # The relay took the message for the other recipients: sending it again would
            # duplicate it for them, so the findings count as delivered and the refusal is told.
            self.notes.append(f"recipients refused by the relay: {', '.join(sorted(refused))}")
        mark_sent(pending)

    def _credentials(self) -> tuple[str, str] | None:
        user = self.env.get(USER_ENV)
        if not user:
            return None
        password = self.env.get(PASSWORD_ENV)
        if not password:
            raise ChannelError(f"{USER_ENV} is set but {PASSWORD_ENV} is not", retryable=False)
        return user, password

    def _send(self, msg: EmailMessage) -> dict[str, object]:
        o = self.options
        where = f"SMTP {o.host}:{o.port}"
        context = tls_context(CA_ENV, self.env)
        credentials = self._credentials()
        try:
            smtp: smtplib.SMTP
            if o.security == "tls":
                smtp = smtplib.SMTP_SSL(o.host, o.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(o.host, o.port, timeout=self.timeout)
            with smtp:
                smtp.ehlo()
                if o.security == "starttls":
                    # smtplib raises SMTPNotSupportedError when the server offers no STARTTLS:
                    # the message is then never sent in clear text.
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if credentials is not None:
                    smtp.login(*credentials)
                return dict(smtp.send_message(msg))
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelError(f"{where}: login refused ({exc.smtp_code})", retryable=False) from None
        except smtplib.SMTPNotSupportedError:
            raise ChannelError(f"{where}: the server offers no STARTTLS", retryable=False) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            raise ChannelError(
                f"{where}: every recipient refused ({', '.join(map(str, codes))})",
                retryable=all(400 <= c < 500 for c in codes),
            ) from None
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else ""
            raise ChannelError(
                f"{where}: {exc.smtp_code} {text}".strip(), retryable=400 <= exc.smtp_code < 500
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise ChannelError(f"{where}: {describe_os_error(exc)}", retryable=False) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"{where}: {describe_os_error(exc)}") from None
