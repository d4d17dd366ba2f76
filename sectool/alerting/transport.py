"""What every channel shares: its error, bounded retries with back-off, and verified TLS."""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from sectool.errors import InputError

__all__ = ["ChannelError", "Sleep", "describe_os_error", "tls_context", "with_retries"]

T = TypeVar("T")
Sleep = Callable[[float], None]


class ChannelError(Exception):
    """A delivery attempt failed. ``retryable`` is false when trying again cannot help
    (a rejected certificate, a refused login, a 4xx answer): the run then fails at once."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


def with_retries(
    attempt: Callable[[], T],
    *,
    retries: int,
    backoff: float,
    max_backoff: float,
    sleep: Sleep,
    on_retry: Callable[[int, ChannelError, float], None] | None = None,
) -> T:
    """Call ``attempt`` until it succeeds, at most ``retries + 1`` times.

    Waits ``backoff * 2**n`` seconds (at most ``max_backoff``) before retry ``n + 1``; a
    :class:`ChannelError` that is not retryable ends at once. The last error is raised.
    """
    n = 0
    while True:
        try:
            return attempt()
        except ChannelError as exc:
            if not exc.retryable or n >= retries:
                raise
            delay = min(max_backoff, backoff * (2**n))
            if on_retry is not None:
                on_retry(n + 1, exc, delay)
            sleep(delay)
            n += 1


def tls_context(ca_env: str, env: Mapping[str, str] | None = None) -> ssl.SSLContext:
    """A client context that verifies the certificate and the host name.

    The system's trust store is used, plus the PEM file named by the environment variable
    ``ca_env`` when it is set (a private CA of the region's mail relay or SIEM). There is
    deliberately no switch that turns verification off.
    """
    env = os.environ if env is None else env
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ca = env.get(ca_env)
    if ca:
        path = Path(ca)
        try:
            ctx.load_verify_locations(cafile=str(path))
        except (OSError, ssl.SSLError) as exc:
            raise InputError(
                f"cannot load the CA certificate: {exc}",
                file=path,
                field=ca_env,
                expected="a PEM file with the CA certificate(s)",
            ) from None
    return ctx


def describe_os_error(exc: BaseException) -> str:
    """A short, secret-free description of a network error."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {exc.verify_message}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}"
