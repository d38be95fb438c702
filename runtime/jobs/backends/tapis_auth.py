"""How the Tapis backend signs in: a ready access token, or a user name and password.

With `access_token` the token is used as it is until it expires (then the machine is
unavailable until it is renewed where the reference points). With `username` and
`password` the client gets its own tokens from the tenant's authenticator (the OAuth2
password grant, `POST /v3/oauth2/tokens`) and gets new ones when a quarter of a token's
lifetime is left, so a job that runs longer than one token lives is still watched.
Secrets are references ("env:NAME" or "file:PATH") read only when a client is made; the
password goes to the authenticator's request body and nowhere else.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Mapping
from typing import Any

from jetlag.runtime.jobs.backends.settings import SettingError, resolve_secret

#: A token is renewed once this share of its lifetime is left.
RENEW_AT_SHARE = 0.25


def check_credentials(values: Mapping[str, Any]) -> None:
    """One way to sign in: access_token, or username with password (SettingError)."""
    token = values.get("access_token")
    user, password = values.get("username"), values.get("password")
    if token and (user or password):
        raise SettingError(
            "give either access_token or username and password, not both", "access_token"
        )
    if not token and not (user and password):
        missing = "password" if user else "username" if password else "access_token"
        raise SettingError(
            f"{missing} is missing: give access_token (a reference to a Tapis access token), "
            "or username and password (a reference to it)",
            missing,
        )


def token_problem(token: str) -> str | None:
    """Why an access token cannot be used (not a JWT, expired), or None."""
    import jwt

    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return "the access token is not a JWT; put a Tapis access token where access_token points"
    expires = claims.get("exp")
    if isinstance(expires, (int, float)) and expires < time.time():
        return "the access token has expired; renew it where access_token points"
    return None


def credentials_problem(settings: Mapping[str, Any]) -> str | None:
    """Why the machine cannot sign in, found without calling Tapis; None when it may."""
    try:
        if settings.get("access_token"):
            return token_problem(resolve_secret(settings["access_token"], "access_token"))
        resolve_secret(settings["password"], "password")
    except SettingError as error:
        return f"settings.{error.field}: {error.message}"
    return None


def client_options(settings: Mapping[str, Any]) -> dict[str, Any]:
    """tapipy.Tapis's credentials arguments (secrets resolved; SettingError names one)."""
    if settings.get("access_token"):
        return {"access_token": resolve_secret(settings["access_token"], "access_token")}
    return {
        "username": settings["username"],
        "password": resolve_secret(settings["password"], "password"),
    }


def signs_in(settings: Mapping[str, Any]) -> bool:
    """Whether the client gets its own tokens (username and password)."""
    return not settings.get("access_token")


def due_for_renewal(client: Any) -> bool:
    """Whether a signed-in client's access token has a quarter of its life left or less."""
    token = getattr(client, "access_token", None)
    expires_at = getattr(token, "expires_at", None)
    if expires_at is None:
        return True
    lifetime = getattr(token, "original_ttl", -1)
    lifetime = lifetime if isinstance(lifetime, (int, float)) and lifetime > 0 else 3600
    left = (expires_at - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    return left <= RENEW_AT_SHARE * lifetime
