"""Accounts, environments, API keys, users and access tokens.

API keys and access tokens are long random secrets, so a fast SHA-256 of them is enough to store
(nobody can brute-force 256 random bits); passwords are people's, so they get Argon2id. A key is
``<prefix>_<secret>``: the prefix is stored in clear so ``keys list`` can show it and a lookup is
one indexed query, and the comparison of hashes is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from docintake.clock import utcnow
from docintake.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from docintake.storage.models import AccessToken, Account, ApiKey, Environment, User

_hasher = PasswordHasher()
# Verified against when the user does not exist, so timing does not reveal valid usernames.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
LAST_USED_RESOLUTION = timedelta(seconds=60)


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
