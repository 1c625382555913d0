"""Argument checks shared by every public function and the command line.

Each check raises :class:`ValueError` naming the argument and what is allowed,
before any work is done.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable


def positive_int(name: str, value: object) -> int:
    """Return ``value`` as an ``int`` if it is a whole number >= 1, else raise.

    Booleans are refused even though ``True == 1`` in Python: ``batch=True`` is
    a bug, not a batch of one.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{name} must be a positive integer (1, 2, 3, ...), got {value!r} of type {type(value).__name__}"
        )
    if value < 1:
        raise ValueError(f"{name} must be a positive integer (1, 2, 3, ...), got {value}")
    return int(value)


def non_negative_int(name: str, value: object) -> int:
    """Return ``value`` as an ``int`` if it is a whole number >= 0, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{name} must be a non-negative integer (0, 1, 2, ...), got {value!r} of type {type(value).__name__}"
        )
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer (0, 1, 2, ...), got {value}")
    return int(value)


def boolean(name: str, value: object) -> bool:
    """Return ``value`` if it is a ``bool``, else raise (no truthy strings)."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise listing them."""
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def positive_real(name: str, value: object) -> float:
    """Return ``value`` as a number if it is a real number > 0 (not a bool), else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0 or value != value:
        raise ValueError(f"{name} must be a positive real number, got {value!r}")
    if value == float("inf"):
        raise ValueError(f"{name} must be a finite positive real number, got {value!r}")
    return value


def fraction_in_unit_interval(name: str, value: object, *, allow_zero: bool = True) -> float:
    """Return ``value`` if ``0 <= value < 1`` (or ``0 < value < 1``), else raise."""
    lower = "0 <=" if allow_zero else "0 <"
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
        raise ValueError(f"{name} must be a number with {lower} {name} < 1, got {value!r}")
    if value < 0 or value >= 1 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be a number with {lower} {name} < 1, got {value!r}")
    return value


def model_config(name: str, value: object):
    """Return ``value`` if it is a :class:`everybyte.config.ModelConfig`, else raise."""
    from .config import ModelConfig

    if not isinstance(value, ModelConfig):
        raise ValueError(f"{name} must be an everybyte.ModelConfig (see everybyte.preset and everybyte.from_hf_config), "
                         f"got {type(value).__name__}")
    return value


def instance(name: str, value: object, kind: type, what: str):
    """Return ``value`` if it is an instance of ``kind``, else raise naming ``what`` is allowed."""
    if not isinstance(value, kind):
        raise ValueError(f"{name} must be {what}, got {type(value).__name__}")
    return value
