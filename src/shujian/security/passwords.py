"""Password hashing (argon2id) and password rules (口令复杂度, 等保 2.0 身份鉴别)."""

from __future__ import annotations

import re
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..errors import InputError

MIN_LENGTH = 10
_hasher = PasswordHasher()          # argon2id with the library's current recommended parameters


def check_rules(password: str, username: str | None = None) -> None:
    """Refuse weak passwords: ≥10 characters, three of four classes, not containing the username."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"长度不少于 {MIN_LENGTH} 位")
    classes = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]"))
    if classes < 3:
        problems.append("至少包含大写字母、小写字母、数字、符号中的三类")
    if username and username.lower() in password.lower():
        problems.append("不能包含用户名")
    if problems:
        raise InputError(f"口令不符合要求：{'；'.join(problems)}", hint="换一个更长、更复杂的口令")


def hash_password(password: str) -> str:
    """An argon2id hash (salted; parameters stored in the hash string)."""
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def spend_check(password: str) -> None:
    """An argon2 verification against a dummy hash: the cost of a real check, for an unknown user, a
    locked or disabled account, or one without a password — so timing tells no username apart."""
    try:
        _hasher.verify(_dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        pass


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (False for no password set, at the same cost)."""
    if not stored:
        spend_check(password)
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
