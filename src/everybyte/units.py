"""Byte units, said honestly: MB is 10**6 bytes, MiB is 2**20 bytes.

The article writes "494 MB" for 493,535,232 bytes, which is right in decimal
megabytes (470.7 MiB); GPU vendors quote GiB-sized cards as "GB".  The book
always names which one it means.  Nothing here imports SymPy or NumPy.
"""

from __future__ import annotations

import numbers
import re

KB = 10**3
MB = 10**6
GB = 10**9
TB = 10**12
PB = 10**15
KiB = 2**10
MiB = 2**20
GiB = 2**30
TiB = 2**40
PiB = 2**50

_DECIMAL = (("PB", PB), ("TB", TB), ("GB", GB), ("MB", MB), ("kB", KB))
_BINARY = (("PiB", PiB), ("TiB", TiB), ("GiB", GiB), ("MiB", MiB), ("KiB", KiB))
#: Every unit a size may be written in (``80GiB``, ``24 GB``, ``512MiB``, ``1e9`` bytes as ``1000000000``).
UNITS: dict[str, int] = {"B": 1, "kB": KB, "KB": KB, "MB": MB, "GB": GB, "TB": TB, "PB": PB,
                         "KiB": KiB, "MiB": MiB, "GiB": GiB, "TiB": TiB, "PiB": PiB}


def _scaled(n_bytes, table, digits):
    for unit, size in table:
        if abs(n_bytes) >= size:
            whole = abs(n_bytes) // size
            if whole >= 10**6:  # past a million of the largest unit: a power of ten, from the exact digits
                text = str(int(whole))
                mantissa = f"{text[0]}.{text[1:1 + max(digits, 2)]}"
                return f"{'-' if n_bytes < 0 else ''}{mantissa}e+{len(text) - 1} {unit}"
            return f"{n_bytes / size:,.{digits}f} {unit}"
    return f"{n_bytes:,} B" if isinstance(n_bytes, int) else f"{n_bytes:,.{digits}f} B"


def format_bytes(n_bytes, *, binary: bool = False, digits: int = 1) -> str:
    """Human-readable size: decimal units (MB, GB) by default, binary (MiB, GiB) on request.

    Works for ints of any size: from a million of the largest unit on, the value
    is written with a power of ten from its exact digits (``1.23e+205 PB``).
    """
    if isinstance(n_bytes, bool) or not isinstance(n_bytes, numbers.Real):
        raise ValueError(f"n_bytes must be a number of bytes, got {n_bytes!r}")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 10:
        raise ValueError(f"digits must be an integer from 0 to 10, got {digits!r}")
    return _scaled(int(n_bytes) if isinstance(n_bytes, numbers.Integral) else n_bytes,
                   _BINARY if binary else _DECIMAL, digits)


_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$")


def parse_size(text: str, name: str = "size") -> int:
    """Bytes of a size written like ``80GiB``, ``24 GB`` or ``1500000000`` (whole bytes, rounded down)."""
    if not isinstance(text, str):
        raise ValueError(f"{name} must be text like 80GiB or 24GB, got {type(text).__name__}")
    match = _SIZE.match(text)
    if not match or match.group(2) not in ("", *UNITS):
        raise ValueError(f"{name} must be a number and a unit ({', '.join(UNITS)}), like 80GiB or 24GB; got {text!r}")
    from fractions import Fraction

    value = Fraction(match.group(1)) * UNITS[match.group(2) or "B"]
    if value <= 0:
        raise ValueError(f"{name} must be more than 0 bytes, got {text!r}")
    return int(value)
