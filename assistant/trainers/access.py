"""Who may see trainer views and exports.

On this computer only (the app bound to a loopback address) everyone who can reach it is
the person at the keyboard. Served beyond loopback, a trainer token (AVTAL_TRAINER_TOKEN)
must be configured and sent with each request; without one configured the views stay shut.
"""

from __future__ import annotations

import hmac
import ipaddress

from assistant.errors import UserError

TOKEN_HEADER = "X-Trainer-Token"


class TrainerAccessDenied(UserError):
    """A trainer view asked for without the right token (the message is safe to show)."""


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def trainer_allowed(bind_host: str | None, supplied: str | None,
                    token: str | None = None) -> bool:
    """May a request with `supplied` see trainer views of an app bound to `bind_host`?
    `token` defaults to AVTAL_TRAINER_TOKEN."""
    if is_loopback(bind_host):
        return True
    token = configured_token(token)
    if not token or not supplied:
        return False
    return hmac.compare_digest(supplied.strip().encode(), token.encode())


def require_trainer(bind_host: str | None, supplied: str | None,
                    token: str | None = None) -> None:
    if not trainer_allowed(bind_host, supplied, token):
        raise TrainerAccessDenied(
            "Utbildningsvyerna kräver utbildarlösenordet när appen delas i nätverket.")


def configured_token(token: str | None = None) -> str:
    if token is not None:
        return token
    from assistant.storage.db import StorageSettings

    return StorageSettings().trainer_token


def session_value(token: str) -> str:
    """What the browser keeps after a trainer logs in: derived from the token, not the token."""
    return hmac.new(token.encode(), b"avtal-utbildare-session", "sha256").hexdigest()


def session_allowed(bind_host: str | None, cookie: str | None, token: str | None = None) -> bool:
    if is_loopback(bind_host):
        return True
    expected = configured_token(token)
    if not expected or not cookie:
        return False
    return hmac.compare_digest(cookie.encode(), session_value(expected).encode())
