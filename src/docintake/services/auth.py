"""Accounts, environments, API keys, users and access tokens.

API keys and access tokens are long random secrets, so a fast SHA-256 of them is enough to store
(nobody can brute-force 256 random bits); passwords are people's, so they get Argon2id. A key is
``<prefix>_<secret>``: the prefix is stored in clear so ``keys list`` can show it and a lookup is
one indexed query, and the comparison of hashes is constant-time.

Stream tokens (``dis_...``) let a browser's EventSource, which cannot send headers, open one
import's progress stream: short-lived, bound to that import and to the credential that asked for
one. They are signed rather than stored: the signing key is the stored hash of that credential (the
API key's hash, or the user's password hash), which never leaves the database, so nothing about
the token is kept, revoking the key or changing the password voids it, and it grants nothing that
someone able to read that database could not read anyway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from docintake.clock import utcnow
from docintake.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from docintake.storage.models import AccessToken, Account, ApiKey, Environment, Import, User

_hasher = PasswordHasher()
# Verified against when the user does not exist, so timing does not reveal valid usernames.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
LAST_USED_RESOLUTION = timedelta(seconds=60)
STREAM_TOKEN_PREFIX = "dis_"  # noqa: S105 - a prefix, not a secret
STREAM_TOKEN_TTL_SECONDS = 300
_STREAM_TOKEN_MAX_LENGTH = 400
_STREAM_TOKEN_CONTEXT = b"docintake stream token v1\n"


@dataclass(frozen=True)
class Principal:
    """Who is calling, and the one environment whose data they may touch."""

    account_id: str
    environment_id: str
    user_id: str | None = None
    api_key_id: str | None = None


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def ensure_environment(session: Session, account_name: str, environment_name: str) -> Environment:
    """Find or create the account and its environment (used by the CLI and first start)."""
    account = session.scalar(select(Account).where(Account.name == account_name))
    if account is None:
        account = Account(name=account_name)
        session.add(account)
        session.flush()
    environment = session.scalar(
        select(Environment).where(Environment.account_id == account.id, Environment.name == environment_name)
    )
    if environment is None:
        environment = Environment(account_id=account.id, name=environment_name)
        session.add(environment)
        session.flush()
    return environment


def create_api_key(session: Session, environment_id: str, name: str, key_prefix: str) -> tuple[ApiKey, str]:
    """Create a key; the plaintext is returned once and never stored."""
    prefix = key_prefix + secrets.token_hex(4)
    plaintext = f"{prefix}_{secrets.token_hex(32)}"
    key = ApiKey(environment_id=environment_id, name=name, prefix=prefix, key_hash=_sha256(plaintext))
    session.add(key)
    session.flush()
    return key, plaintext


def list_api_keys(session: Session, environment_id: str | None = None) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.created_at)
    if environment_id is not None:
        query = query.where(ApiKey.environment_id == environment_id)
    return list(session.scalars(query))


def revoke_api_key(session: Session, prefix: str, environment_id: str | None = None) -> ApiKey:
    query = select(ApiKey).where(ApiKey.prefix == prefix)
    if environment_id is not None:
        query = query.where(ApiKey.environment_id == environment_id)
    key = session.scalar(query)
    if key is None:
        raise NotFound(f"no API key with prefix {prefix!r}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


def authenticate_api_key(session: Session, plaintext: str) -> Principal:
    prefix, _, _ = plaintext.rpartition("_")
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix)) if prefix else None
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.key_hash, _sha256(plaintext)):
        raise Unauthorized("invalid or revoked API key")
    environment = session.get(Environment, key.environment_id)
    assert environment is not None
    return Principal(account_id=environment.account_id, environment_id=environment.id, api_key_id=key.id)


def api_key_needs_touch(session: Session, principal: Principal) -> bool:
    key = session.get(ApiKey, principal.api_key_id) if principal.api_key_id else None
    return key is not None and (
        key.last_used_at is None or utcnow() - key.last_used_at > LAST_USED_RESOLUTION
    )


def touch_api_key(session: Session, api_key_id: str) -> None:
    """Record a key's last use (to the minute: a write per request would serialise every request)."""
    session.execute(update(ApiKey).where(ApiKey.id == api_key_id).values(last_used_at=utcnow()))


def create_user(session: Session, environment_id: str, username: str, password: str) -> User:
    if len(password) < 8:
        raise ValidationFailed("the password must have at least 8 characters")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} already exists")
    user = User(environment_id=environment_id, username=username, password_hash=_hasher.hash(password))
    session.add(user)
    session.flush()
    return user


def issue_token(session: Session, username: str, password: str, ttl_seconds: int) -> tuple[AccessToken, str]:
    user = session.scalar(select(User).where(User.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise Unauthorized("wrong username or password") from None
    if user is None:
        raise Unauthorized("wrong username or password")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    plaintext = "dit_" + secrets.token_urlsafe(32)
    token = AccessToken(
        user_id=user.id,
        environment_id=user.environment_id,
        token_hash=_sha256(plaintext),
        expires_at=utcnow() + timedelta(seconds=ttl_seconds),
    )
    session.add(token)
    session.flush()
    return token, plaintext


def authenticate_token(session: Session, plaintext: str) -> Principal:
    token = session.scalar(select(AccessToken).where(AccessToken.token_hash == _sha256(plaintext)))
    if token is None or token.expires_at <= utcnow():
        raise Unauthorized("invalid or expired access token")
    environment = session.get(Environment, token.environment_id)
    assert environment is not None
    return Principal(account_id=environment.account_id, environment_id=environment.id, user_id=token.user_id)


# -- stream tokens ---------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _stream_signing_key(session: Session, kind: str, credential_id: str, environment_id: str) -> bytes | None:
    """The stored hash of the credential a stream token was issued to, or None when that credential
    is gone, revoked or moved to another environment."""
    if kind == "k":
        key = session.get(ApiKey, credential_id)
        if key is None or key.revoked_at is not None or key.environment_id != environment_id:
            return None
        return key.key_hash.encode()
    if kind == "u":
        user = session.get(User, credential_id)
        if user is None or user.environment_id != environment_id:
            return None
        return user.password_hash.encode()
    return None


def _stream_mac(signing_key: bytes, body: bytes) -> bytes:
    return hmac.new(signing_key, _STREAM_TOKEN_CONTEXT + body, hashlib.sha256).digest()


def issue_stream_token(
    session: Session, principal: Principal, import_id: str, ttl_seconds: int = STREAM_TOKEN_TTL_SECONDS
) -> tuple[str, datetime]:
    """A token that opens the event stream of ``import_id`` (one of the principal's environment:
    ``NotFound`` otherwise) until the returned expiry, and nothing else."""
    imp = session.get(Import, import_id)
    if imp is None or imp.environment_id != principal.environment_id:
        raise NotFound(f"import {import_id} not found")
    if principal.api_key_id is not None:
        kind, credential_id = "k", principal.api_key_id
    elif principal.user_id is not None:
        kind, credential_id = "u", principal.user_id
    else:  # pragma: no cover - every principal comes from a key or a user
        raise Unauthorized("a stream token needs an API key or a user's access token")
    signing_key = _stream_signing_key(session, kind, credential_id, principal.environment_id)
    if signing_key is None:
        raise Unauthorized("invalid or revoked credentials")
    expires_at = (utcnow() + timedelta(seconds=ttl_seconds)).replace(microsecond=0)
    body = f"{import_id}|{int(expires_at.timestamp())}|{kind}|{credential_id}|{principal.environment_id}"
    raw = body.encode()
    return f"{STREAM_TOKEN_PREFIX}{_b64(raw)}.{_b64(_stream_mac(signing_key, raw))}", expires_at


def authenticate_stream_token(session: Session, plaintext: str, import_id: str) -> Principal:
    """The principal a stream token stands for, if it is genuine, unexpired and for ``import_id``."""
    invalid = Unauthorized("invalid stream token")
    if not plaintext.startswith(STREAM_TOKEN_PREFIX) or len(plaintext) > _STREAM_TOKEN_MAX_LENGTH:
        raise invalid
    encoded_body, _, encoded_mac = plaintext[len(STREAM_TOKEN_PREFIX) :].partition(".")
    try:
        raw, mac = _unb64(encoded_body), _unb64(encoded_mac)
        token_import, expires, kind, credential_id, environment_id = raw.decode().split("|")
        expires_at = int(expires)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid from None
    signing_key = _stream_signing_key(session, kind, credential_id, environment_id)
    if signing_key is None or not hmac.compare_digest(mac, _stream_mac(signing_key, raw)):
        raise invalid
    if token_import != import_id:
        raise Unauthorized("this stream token is for another import")
    if expires_at <= utcnow().timestamp():
        raise Unauthorized("the stream token has expired; ask for a new one")
    environment = session.get(Environment, environment_id)
    if environment is None:
        raise invalid
    return Principal(
        account_id=environment.account_id,
        environment_id=environment.id,
        user_id=credential_id if kind == "u" else None,
        api_key_id=credential_id if kind == "k" else None,
    )
