"""Authentication events from Zeek's login records: ssh.log, kerberos.log, ntlm.log, rdp.log,
radius.log.

Each such record *is* the authentication event (``event.category: authentication``,
``event.type: start``, ``source`` = the client, ``destination`` = the server), with an
``event.action`` naming where it comes from (``ssh-login``, ``kerberos-as-req``, ...) so that
detectors can tell these real login records from the heuristic guesses that
:func:`sectool.traffic.readers.conn.auth_event` makes from a connection's shape
(``login-shape-heuristic``).

* ssh: ``auth_success`` T/F is the outcome; unset with ``auth_attempts`` > 0 is a failure (Zeek
  saw attempts but no success); unset with no attempts is no login at all (a banner grab, a scan)
  and stays a protocol event. ``user.name`` is not visible (encrypted).
* kerberos: AS/TGS requests; ``client`` ``user/REALM`` -> ``user.name`` / ``user.domain``;
  ``success`` F, or unset with an ``error_msg`` (``KDC_ERR_PREAUTH_FAILED``), is a failure, except
  ``KDC_ERR_PREAUTH_REQUIRED``: the KDC's answer to the first AS-REQ of every Windows logon (the
  client retries with pre-authentication), a step of a normal exchange that stays a protocol
  event, as in the EVE and capture readers (counted as failures it would make every logon look
  like a failure followed by a success).
* ntlm: ``success`` (Zeek < 3) or ``status`` (``SUCCESS`` or an NT status such as
  ``STATUS_LOGON_FAILURE``); ``username`` / ``domainname``.
* rdp: ``result`` ``Success`` or a refusal; ``encrypted`` (TLS/CredSSP hides it) is ``unknown``;
  ``cookie`` (the ``mstshash`` user name the client sends) -> ``user.name``.
* radius: ``result`` ``success`` / ``failed``; ``username``.
"""

from __future__ import annotations

from typing import Any

from sectool.traffic.readers.values import Where

__all__ = ["kerberos", "ntlm", "radius", "rdp", "ssh"]

#: Kerberos errors that are a step of a normal exchange, not a failed login.
_KRB_NOT_A_FAILURE = frozenset({"KDC_ERR_PREAUTH_REQUIRED"})


def _authentication(event: dict[str, Any], action: str, outcome: str) -> None:
    event["event.category"] = "authentication"
    event["event.type"] = "start"
    event["event.action"] = action
    event["event.outcome"] = outcome


def _bool(where: Where, name: str, value: Any) -> bool | None:
    if value is None or value == "" or value == []:
        return None
    if value in (True, "T", "true"):
        return True
    if value in (False, "F", "false"):
        return False
    raise where.fail(name, value, "a boolean (T/F)")


def ssh(event: dict[str, Any], record: dict[str, Any], where: Where) -> None:
    """An ssh.log record with a login in it becomes an authentication event."""
    success = _bool(where, "auth_success", record.get("auth_success"))
    attempts = where.count("auth_attempts", record.get("auth_attempts"))
    if success is None and not attempts:
        return
    _authentication(event, "ssh-login", "success" if success else "failure")


def kerberos(event: dict[str, Any], record: dict[str, Any], where: Where) -> None:
    """A Kerberos AS/TGS request: an authentication with the client principal as the user."""
    request = event.get("sectool.kerberos.request_type")
    action = f"kerberos-{request.lower()}-req" if request else "kerberos-request"
    client = event.pop("user.name", None)
    if client:
        name, _, realm = client.rpartition("/")
        if not name:  # no realm part: the whole principal is the user
            name, realm = realm, ""
        event["user.name"] = name
        if realm:
            event["user.domain"] = realm
    success = _bool(where, "success", record.get("success"))
    error = event.get("sectool.kerberos.error")
    if isinstance(error, str) and error.upper() in _KRB_NOT_A_FAILURE:
        event["event.action"] = action
        return
    known = "success" if success else "failure"
    outcome = known if success is not None else ("failure" if error else "unknown")
    if error:
        event["event.reason"] = error
    _authentication(event, action, outcome)


def ntlm(event: dict[str, Any], record: dict[str, Any], where: Where) -> None:
    """An NTLM exchange: outcome from ``success`` or the NT ``status``."""
    success = _bool(where, "success", record.get("success"))
    status = record.get("status")
    if success is None and isinstance(status, str) and status:
        success = status.upper() == "SUCCESS"
        if not success:
            event["event.reason"] = status
    _authentication(
        event, "ntlm-auth", "unknown" if success is None else ("success" if success else "failure")
    )


def rdp(event: dict[str, Any], record: dict[str, Any], where: Where) -> None:
    """An RDP connection request: ``result`` is the outcome when the handshake was visible."""
    result = record.get("result")
    if not isinstance(result, str) or not result or result.lower() == "encrypted":
        outcome = "unknown"
    elif result.lower() == "success":
        outcome = "success"
    else:
        outcome = "failure"
        event["event.reason"] = result
    _authentication(event, "rdp-login", outcome)


def radius(event: dict[str, Any], record: dict[str, Any], where: Where) -> None:
    """A RADIUS access request: ``result`` ``success`` or ``failed``."""
    result = record.get("result")
    if isinstance(result, str) and result.lower() == "success":
        outcome = "success"
    elif isinstance(result, str) and result:
        outcome = "failure"
        event["event.reason"] = result
    else:
        outcome = "unknown"
    _authentication(event, "radius-auth", outcome)
