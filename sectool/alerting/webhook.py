"""The webhook channel: findings as a JSON POST (generic, Microsoft Teams or Slack payloads).

The URL usually carries a secret token (Teams workflows, Slack incoming webhooks), so it is
read from the environment variable the playbook names and never written to a log or an
error message: errors show the scheme and host only. It must be ``https`` (the certificate
and host name verified; ``SECTOOL_WEBHOOK_CA_CERT`` adds a private CA); plain ``http`` is
accepted only for a receiver on this machine (a local relay).

Payloads (``format``):

* ``generic``: ``{"source": "sectool", "version": 1, "playbook", "channel", "sent_at",
  "summary", "findings": [Finding.to_dict(), ...]}`` -- for a SOAR or a ticket system.
* ``teams``: a message with one Adaptive Card (what Teams workflows' "post to a channel when a
  webhook request is received" expects).
* ``slack``: ``{"text", "blocks"}`` for an incoming webhook; user data only in plain_text
  blocks, so network data cannot inject links or mentions.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sectool.alerting.config import WebhookOptions
from sectool.alerting.texts import TEXTS, finding_rows, langs_of, now_iso, summary
from sectool.alerting.transport import ChannelError, describe_os_error, tls_context
from sectool.errors import InputError
from sectool.traffic.detect.findings import Finding

__all__ = ["CA_ENV", "WebhookSender", "build_payload", "webhook_url"]

CA_ENV = "SECTOOL_WEBHOOK_CA_CERT"
_SLACK_MAX_BLOCKS = 50  # Slack refuses a message with more blocks


def webhook_url(options: WebhookOptions, env: Mapping[str, str]) -> tuple[str, str]:
    """The URL from the environment and a secret-free label of it (``https://host:port``)."""
    url = env.get(options.url_env, "").strip()
    if not url:
        raise InputError(
            f"environment variable {options.url_env} is not set",
            field="webhook.url_env",
            expected="the webhook URL (kept in the environment: it may carry a token)",
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InputError(
            f"{options.url_env} is not a URL", field="webhook.url_env", expected="https://host/path"
        ) from None
    host = parts.hostname or ""
    label = f"{parts.scheme}://{host}" + (f":{port}" if port else "")
    if parts.scheme == "https" and host:
        return url, label
    if parts.scheme == "http" and _loopback(host):
        return url, label
    raise InputError(
        f"{options.url_env} must be an https URL (http only to this machine)",
        field="webhook.url_env",
        value=label,
        expected="https://host/path",
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _no_links(text: str) -> str:
    # Teams cards render a markdown subset: break the link syntax so that text taken from
    # network data (a domain, a title) cannot become a clickable link.
    return text.replace("](", "] (")


def build_payload(
    findings: Sequence[Finding], options: WebhookOptions, *, playbook: str, channel: str, now: datetime
) -> dict[str, Any]:
    """The JSON body for one POST."""
    head = summary(findings, options.lang)
    if options.format == "generic":
        return {
            "source": "sectool",
            "version": 1,
            "playbook": playbook,
            "channel": channel,
            "sent_at": now_iso(now),
            "summary": head,
            "findings": [f.to_dict() for f in findings],
        }
    lang = langs_of(options.lang)[0]
    t = TEXTS[lang]
    rows = finding_rows(findings, lang)
    if options.format == "slack":
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": f"sectool: {head}"[:150]}}
        ]
        for r in rows[: _SLACK_MAX_BLOCKS - 1]:
            line = f"[{r['severity_label'].upper()}] {r['title']}"
            line += f"\n{r['detector']} · {r['entity']} · {r['window']}"
            if r["techniques"]:
                line += f"\n{t['techniques']}: {', '.join(r['techniques'])}"
            blocks.append({"type": "section", "text": {"type": "plain_text", "text": line[:3000]}})
        return {"text": f"sectool: {head}", "blocks": blocks}
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "size": "Large", "weight": "Bolder", "wrap": True, "text": f"sectool: {head}"}
    ]
    for r in rows:
        facts = [
            {"title": t["detector"], "value": f"{r['detector']} ({r['score']})"},
            {"title": t["entity"], "value": _no_links(r["entity"])},
            {"title": t["window"], "value": r["window"]},
            {"title": t["id"], "value": r["id"]},
        ]
        if r["techniques"]:
            facts.insert(3, {"title": t["techniques"], "value": _no_links(", ".join(r["techniques"]))})
        colour = "Attention" if r["severity"] in ("high", "critical") else "Warning"
        body.append(
            {
                "type": "TextBlock",
                "wrap": True,
                "weight": "Bolder",
                "color": colour,
                "separator": True,
                "text": _no_links(f"[{r['severity_label'].upper()}] {r['title']}"),
            }
        )
        body.append({"type": "FactSet", "facts": facts})
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": body,
                },
            }
        ],
    }


class WebhookSender:
    """POSTs the pending findings in batches of ``max_per_message``; each accepted batch is marked."""

    def __init__(
        self,
        options: WebhookOptions,
        *,
        channel: str,
        playbook: str,
        now: datetime,
        timeout: float,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.options = options
        self.channel = channel
        self.playbook = playbook
        self.now = now
        self.timeout = timeout
        self.env = os.environ if env is None else env
        self.notes: list[str] = []
        self.url, self.label = webhook_url(options, self.env)

    def deliver(self, pending: Sequence[Finding], mark_sent: Callable[[Sequence[Finding]], None]) -> None:
        import urllib3

        size = self.options.max_per_message
        if self.options.format == "slack":
            size = min(size, _SLACK_MAX_BLOCKS - 1)  # one block is the header
        pool = urllib3.PoolManager(
            ssl_context=tls_context(CA_ENV, self.env),
            retries=False,  # with_retries does the retrying, with back-off
            timeout=urllib3.Timeout(total=self.timeout),
        )
        try:
            for i in range(0, len(pending), size):
                batch = pending[i : i + size]
                body = build_payload(
                    batch, self.options, playbook=self.playbook, channel=self.channel, now=self.now
                )
                self._post(pool, json.dumps(body, ensure_ascii=False).encode("utf-8"))
                mark_sent(batch)
        finally:
            pool.clear()

    def _post(self, pool: Any, data: bytes) -> None:
        import urllib3

        try:
            resp = pool.request(
                "POST",
                self.url,
                body=data,
                headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "sectool"},
                redirect=False,  # a redirect could carry the token elsewhere
            )
        except urllib3.exceptions.SSLError as exc:
            raise ChannelError(f"webhook {self.label}: TLS failed: {_reason(exc)}", retryable=False) from None
        except urllib3.exceptions.HTTPError as exc:
            raise ChannelError(f"webhook {self.label}: {_reason(exc)}") from None
        status = int(resp.status)
        if 200 <= status < 300:
            return
        retryable = status in (408, 425, 429) or status >= 500
        raise ChannelError(f"webhook {self.label}: HTTP {status}", retryable=retryable)


def _reason(exc: BaseException) -> str:
    """The innermost socket error behind a urllib3 error (urllib3's own text repeats the URL,
    with its token): ``Connection refused``, ``TLS certificate not trusted: ...``."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and not isinstance(current, urllib3_errors()):
            return describe_os_error(current)
        nxt = getattr(current, "reason", None)
        current = nxt if isinstance(nxt, BaseException) else current.__cause__ or current.__context__
    return type(exc).__name__


def urllib3_errors() -> tuple[type[BaseException], ...]:
    import urllib3

    return (urllib3.exceptions.HTTPError,)
