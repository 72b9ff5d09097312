"""Passwords, tokens, keyed hashes and field encryption."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
import secrets
from collections.abc import Iterable, Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    """An argon2id hash of a password that meets the minimum length."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            _("Password must have at least {n} characters").format(n=MIN_PASSWORD_LENGTH),
            field="password",
        )
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches; never raises on a wrong password."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token(nbytes: int = 32) -> str:
    """A random URL-safe token."""
    return secrets.token_urlsafe(nbytes)


def sha256_hex(value: str | bytes) -> str:
    """Hex SHA-256 of text (UTF-8) or bytes."""
    data = value.encode() if isinstance(value, str) else value
    return hashlib.sha256(data).hexdigest()


def keyed_hash(secret: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 of a value, separated by purpose so hashes never cross uses."""
    key = hashlib.sha256(f"{purpose}:{secret}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two strings."""
    return hmac.compare_digest(a.encode(), b.encode())


class FieldCipher:
    """Encrypts protected fields; the first key encrypts, all keys decrypt (rotation)."""

    def __init__(self, keys: str) -> None:
        fernets = [Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()]
        if not fernets:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet(fernets)

    def encrypt(self, plaintext: str) -> str:
        """Ciphertext (Fernet token) of a text."""
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        """The text back; a foreign or corrupted value is an error."""
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("ciphertext cannot be decrypted with the configured keys") from exc

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt a value under the first (newest) key."""
        return self._fernet.rotate(ciphertext.encode()).decode()


def generate_key() -> str:
    """A fresh field-encryption key."""
    return Fernet.generate_key().decode()


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR networks ("10.0.0.5", "10.1.0.0/16"); ValueError on any other."""
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


def _is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def client_address(peer: str, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    """Who is asking: the socket peer, or, when the peer is a trusted proxy, the nearest
    address in X-Forwarded-For that is not one (a client cannot forge what its own proxy
    appended; what a client wrote before it is never believed)."""
    if not _is_trusted(peer, trusted):
        return peer
    hops = [h.strip() for value in forwarded_for for h in value.split(",")]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a hop no proxy wrote: trust nothing before it
        if not _is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer  # every hop a proxy of ours: the first is the client


class SecretPathFilter(logging.Filter):
    """Masks the secret part of paths such as `/f/<token>` in log lines (the access log)."""

    def __init__(self, prefixes: Sequence[str]) -> None:
        super().__init__()
        alternatives = "|".join(re.escape(p) for p in prefixes)
        self._pattern = re.compile(rf"({alternatives})[^\s/?#\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with each secret replaced; never drops a record."""
        message = record.getMessage()
        masked = self._pattern.sub(r"\g<1>******", message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def mask_secret_paths(logger: logging.Logger, prefixes: Sequence[str]) -> None:
    """Install (once) a filter that masks secrets after these path prefixes."""
    if not any(isinstance(f, SecretPathFilter) for f in logger.filters):
        logger.addFilter(SecretPathFilter(prefixes))
