"""SM2 signature verification (GB/T 32918.2) in pure Python, for checkpoints signed with 国密 keys.

Public keys are uncompressed points (0x04 ‖ x ‖ y); signatures are DER SEQUENCE{r, s}; the signer's
distinguishing identifier is the standard default "1234567812345678". SM3 comes from hashlib (OpenSSL 3).
"""

from __future__ import annotations

import hashlib

P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0
DEFAULT_ID = b"1234567812345678"


def _sm3(data: bytes) -> bytes:
    try:
        return hashlib.new("sm3", data).digest()
    except ValueError as error:
        raise ValueError("this Python's OpenSSL has no SM3; SM2 signatures cannot be checked here") from error


def _add(p1, p2):
    """Jacobian point addition; None is the point at infinity."""
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    z1z1, z2z2 = z1 * z1 % P, z2 * z2 % P
    u1, u2 = x1 * z2z2 % P, x2 * z1z1 % P
    s1, s2 = y1 * z2 * z2z2 % P, y2 * z1 * z1z1 % P
    if u1 == u2:
        return _double(p1) if s1 == s2 else None
    h, r = (u2 - u1) % P, (s2 - s1) % P
    hh = h * h % P
    hhh = h * hh % P
    v = u1 * hh % P
    x3 = (r * r - hhh - 2 * v) % P
    y3 = (r * (v - x3) - s1 * hhh) % P
    return x3, y3, h * z1 * z2 % P


def _double(p):
    if p is None:
        return None
    x, y, z = p
    if y == 0:
        return None
    yy = y * y % P
    s = 4 * x * yy % P
    zz = z * z % P
    m = (3 * x * x + A * zz * zz) % P
    x3 = (m * m - 2 * s) % P
    y3 = (m * (s - x3) - 8 * yy * yy) % P
    return x3, y3, 2 * y * z % P


def _multiply(k: int, point):
    result = None
    addend = point
    while k:
        if k & 1:
            result = _add(result, addend)
        addend = _double(addend)
        k >>= 1
    return result


def _affine(point) -> tuple[int, int]:
    x, y, z = point
    inverse = pow(z, -1, P)
    return x * inverse * inverse % P, y * inverse * inverse * inverse % P


def _der_integers(signature: bytes) -> tuple[int, int]:
    def length(data: bytes, at: int) -> tuple[int, int]:
        first = data[at]
        if first < 0x80:
            return first, at + 1
        count = first & 0x7F
        return int.from_bytes(data[at + 1:at + 1 + count], "big"), at + 1 + count

    if not signature or signature[0] != 0x30:
        raise ValueError("not a DER sequence")
    total, at = length(signature, 1)
    if at + total != len(signature):
        raise ValueError("DER length mismatch")
    values = []
    for _ in range(2):
        if signature[at] != 0x02:
            raise ValueError("not a DER integer")
        size, at = length(signature, at + 1)
        values.append(int.from_bytes(signature[at:at + size], "big"))
        at += size
    if at != len(signature):
        raise ValueError("trailing bytes after the signature")
    return values[0], values[1]


def verify(public_key: bytes, message: bytes, signature: bytes, user_id: bytes = DEFAULT_ID) -> bool:
    if len(public_key) != 65 or public_key[0] != 4:
        return False
    xa, ya = int.from_bytes(public_key[1:33], "big"), int.from_bytes(public_key[33:], "big")
    if (ya * ya - xa * xa * xa - A * xa - B) % P:
        return False  # not on the curve
    try:
        r, s = _der_integers(signature)
    except (ValueError, IndexError):
        return False
    if not (1 <= r < N and 1 <= s < N):
        return False
    z = _sm3((len(user_id) * 8).to_bytes(2, "big") + user_id
             + b"".join(v.to_bytes(32, "big") for v in (A, B, GX, GY, xa, ya)))
    e = int.from_bytes(_sm3(z + message), "big")
    t = (r + s) % N
    if t == 0:
        return False
    point = _add(_multiply(s, (GX, GY, 1)), _multiply(t, (xa, ya, 1)))
    if point is None:
        return False
    x1, _ = _affine(point)
    return (e + x1) % N == r
