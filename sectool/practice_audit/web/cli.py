"""``sectool audit serve``: run the clinic web app with uvicorn."""

from __future__ import annotations

import logging
import os
import re

import typer

from sectool.errors import InputError
from sectool.practice_audit.cli_offline import BASE_URL_ENV, invitation_link

__all__ = ["ADMIN_TOKEN_ENV", "TokenRedactingFilter", "redact_path", "register"]

ADMIN_TOKEN_ENV = "SECTOOL_AUDIT_ADMIN_TOKEN"  # noqa: S105 - the variable name, not a secret
_CLINIC_PATH = re.compile(r"^/c/[^/?#]+")


def redact_path(path: str) -> str:
    """``/c/<token>/...`` with the token replaced, for access logs."""
    return _CLINIC_PATH.sub("/c/[token]", path)


class TokenRedactingFilter(logging.Filter):
    """Keep invitation tokens out of uvicorn's access log (args: client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_path(args[2]), *args[3:])
        return True


def _admin_secret() -> str:
    from sectool.practice_audit.web.auth import MIN_SECRET_LENGTH

    secret = os.environ.get(ADMIN_TOKEN_ENV, "")
    hint = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
    if not secret:
        raise InputError(
            f"{ADMIN_TOKEN_ENV} is not set; the admin view needs it",
            expected=f"a secret of at least {MIN_SECRET_LENGTH} characters, e.g. from {hint}",
        )
    if len(secret) < MIN_SECRET_LENGTH:
        raise InputError(
            f"{ADMIN_TOKEN_ENV} is too short ({len(secret)} characters)",
            expected=f"at least {MIN_SECRET_LENGTH} characters, e.g. from {hint}",
        )
    return secret


def _zone_exists(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _check_proxies(value: str) -> None:
    import ipaddress

    for part in value.split(","):
        try:
            ipaddress.ip_network(part.strip(), strict=False)
        except ValueError:
            raise InputError(
                "not an IP address or network",
                field="--trusted-proxy",
                value=part.strip(),
                expected="e.g. 127.0.0.1 or 10.0.0.0/8,192.0.2.7",
            ) from None


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the audit sub-app."""

    @app.command("serve")
    def serve(
        host: str = typer.Option("127.0.0.1", help="Interface to listen on (put a TLS proxy in front)."),
        port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
        db: str | None = typer.Option(
            None, help="SQLAlchemy URL or SQLite path (default: $SECTOOL_AUDIT_DB or .sectool/audit.sqlite)."
        ),
        base_url: str | None = typer.Option(
            None,
            "--base-url",
            help=f"Address of invitation links made in the admin view, e.g. https://audit.example.dk "
            f"(default: ${BASE_URL_ENV}, else the address the request came in on).",
        ),
        secure_cookies: bool = typer.Option(
            False, "--secure-cookies", help="Mark cookies Secure and send HSTS (when served over HTTPS)."
        ),
        timezone: str | None = typer.Option(
            None, help="IANA time zone for times shown to people (default: Europe/Copenhagen, else UTC)."
        ),
        proxy_headers: bool = typer.Option(
            False,
            "--proxy-headers",
            help="Trust X-Forwarded-For/-Proto from the proxy addresses in --trusted-proxy (behind a "
            "reverse proxy; without it every client has the proxy's address and shares one login throttle).",
        ),
        trusted_proxy: str = typer.Option(
            "127.0.0.1",
            "--trusted-proxy",
            help="Comma-separated addresses or networks of the reverse proxies whose X-Forwarded-* "
            "headers are trusted with --proxy-headers.",
        ),
    ) -> None:
        """Serve the clinic self-assessment forms, results, admin view and JSON API.

        The admin secret is read from $SECTOOL_AUDIT_ADMIN_TOKEN (never from the command line).
        """
        secret = _admin_secret()
        if timezone is not None and not _zone_exists(timezone):
            raise InputError(
                "unknown time zone", field="--timezone", value=timezone, expected="e.g. Europe/Copenhagen"
            )
        _check_proxies(trusted_proxy)
        base_url = base_url or os.environ.get(BASE_URL_ENV) or None
        if base_url is not None:
            invitation_link(base_url, "x")  # InputError for anything but an http(s) URL
        import uvicorn

        from sectool.console import err
        from sectool.practice_audit.store import Store
        from sectool.practice_audit.web.app import create_app

        store = Store(db)
        web_app = create_app(
            store,
            admin_secret=secret,
            timezone=timezone,
            secure_cookies=secure_cookies,
            base_url=base_url,
        )
        logging.getLogger("uvicorn.access").addFilter(TokenRedactingFilter())
        err.print(f"serving the practice audit on http://{host}:{port} (admin view: /admin)", markup=False)
        try:
            uvicorn.run(
                web_app,
                host=host,
                port=port,
                proxy_headers=proxy_headers,
                forwarded_allow_ips=trusted_proxy if proxy_headers else None,
                server_header=False,
                log_level="info",
            )
        finally:
            store.close()
