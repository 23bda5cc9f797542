"""Hash functions: SM3 (GB/T 32905, 国密) and SHA-256, plain and keyed (HMAC, RFC 2104).

SM3 comes from OpenSSL through :mod:`hashlib` when the local OpenSSL offers it (fast); otherwise
from the pure-Python ``gmssl`` package (about 4 ms per hash — fine for the audit chain, slow for
tokenising millions of values).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

ALGORITHMS = ("sm3", "sha256")


@lru_cache(maxsize=1)
def _openssl_sm3() -> bool:
    try:
        hashlib.new("sm3", b"")
        return True
    except (ValueError, TypeError):
        return False


def _gmssl_sm3(data: bytes) -> bytes:
    from gmssl import func, sm3

    return bytes.fromhex(sm3.sm3_hash(func.bytes_to_list(data)))


def digest(algorithm: str, data: bytes) -> bytes:
    """The digest of ``data``.

    >>> digest("sm3", b"abc").hex()[:16]
    '66c7f0f462eeedd9'
    """
    if algorithm == "sha256":
        return hashlib.sha256(data).digest()
    if algorithm == "sm3":
        return hashlib.new("sm3", data).digest() if _openssl_sm3() else _gmssl_sm3(data)
    raise ValueError(f"不支持的摘要算法 {algorithm}，可选：{'、'.join(ALGORITHMS)}")


def hexdigest(algorithm: str, data: bytes) -> str:
    return digest(algorithm, data).hex()


def keyed(algorithm: str, key: bytes, data: bytes) -> bytes:
    """HMAC of ``data`` under ``key`` (block size 64 bytes for both SM3 and SHA-256)."""
    if algorithm == "sha256":
        return hmac.new(key, data, hashlib.sha256).digest()
    if algorithm == "sm3" and _openssl_sm3():
        return hmac.new(key, data, "sm3").digest()
    if algorithm != "sm3":
        raise ValueError(f"不支持的摘要算法 {algorithm}，可选：{'、'.join(ALGORITHMS)}")
    block = 64
    if len(key) > block:
        key = _gmssl_sm3(key)
    key = key.ljust(block, b"\0")
    inner = _gmssl_sm3(bytes(b ^ 0x36 for b in key) + data)
    return _gmssl_sm3(bytes(b ^ 0x5C for b in key) + inner)
