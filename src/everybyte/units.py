"""Byte units, said honestly: MB is 10**6 bytes, MiB is 2**20 bytes.

The article writes "494 MB" for 493,535,232 bytes, which is right in decimal
megabytes (470.7 MiB); GPU vendors quote GiB-sized cards as "GB".  The book
always names which one it means.
"""

from __future__ import annotations

import numbers

KB = 10**3
MB = 10**6
GB = 10**9
TB = 10**12
KiB = 2**10
MiB = 2**20
GiB = 2**30
TiB = 2**40

_DECIMAL = (("TB", TB), ("GB", GB), ("MB", MB), ("kB", KB))
_BINARY = (("TiB", TiB), ("GiB", GiB), ("MiB", MiB), ("KiB", KiB))


def _scaled(n_bytes, table, digits):
    for unit, size in table:
        if abs(n_bytes) >= size:
            return f"{n_bytes / size:,.{digits}f} {unit}"
    return f"{n_bytes:,} B" if isinstance(n_bytes, int) else f"{n_bytes:,.{digits}f} B"


def format_bytes(n_bytes, *, binary: bool = False, digits: int = 1) -> str:
    """Human-readable size: decimal units (MB, GB) by default, binary (MiB, GiB) on request."""
    if isinstance(n_bytes, bool) or not isinstance(n_bytes, numbers.Real):
        raise ValueError(f"n_bytes must be a number of bytes, got {n_bytes!r}")
    return _scaled(n_bytes, _BINARY if binary else _DECIMAL, digits)
