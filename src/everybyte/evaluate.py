"""Turning the package's SymPy expressions into numbers.

Two ways, for two uses:

* :func:`exact` substitutes Python integers and returns a Python ``int``
  (or a :class:`fractions.Fraction` when the value is not whole).  Use it for
  one configuration: no rounding, no overflow, at any scale.
* :func:`sweep` compiles the expression with :func:`sympy.lambdify` and
  evaluates it on float64 arrays.  Use it for plots and parameter sweeps.
  Integer arrays are converted to float64 first: NumPy's int64 overflows
  silently at GPT-3 scale.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from typing import Mapping

import numpy as np
import sympy as sp


def _check_complete(expr: sp.Expr, values: Mapping) -> None:
    missing = sorted(str(s) for s in expr.free_symbols if s not in values)
    if missing:
        raise ValueError(f"values are missing for the symbols {', '.join(missing)}")


def exact(expr: sp.Expr, values: Mapping[sp.Symbol, object]) -> int | Fraction:
    """Evaluate ``expr`` exactly with the symbol values in ``values``.

    Values must be Python ints or :class:`fractions.Fraction`/SymPy rationals.
    Returns an ``int`` when the result is whole, else a ``Fraction``.
    """
    _check_complete(expr, values)
    subs = {}
    for symbol, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, Fraction, sp.Rational)):
            raise ValueError(f"exact evaluation needs integer or rational values; {symbol} = {value!r}")
        if isinstance(value, Fraction):
            value = sp.Rational(value.numerator, value.denominator)
        subs[symbol] = sp.Integer(value) if isinstance(value, int) else value
    result = sp.sympify(expr).xreplace(subs)
    if not result.is_Number:
        result = sp.nsimplify(sp.expand(result))
    if not result.is_Rational:
        raise ValueError(f"expression did not evaluate to a rational number: {result}")
    if result.q == 1:
        return int(result.p)
    return Fraction(int(result.p), int(result.q))


@lru_cache(maxsize=256)
def _compiled(expr: sp.Expr, symbols: tuple):
    return sp.lambdify(symbols, expr, modules="numpy")


def sweep(expr: sp.Expr, values: Mapping[sp.Symbol, object]) -> np.ndarray:
    """Evaluate ``expr`` on float64 arrays (broadcasting) for plots and sweeps."""
    _check_complete(expr, values)
    symbols = tuple(sorted(values, key=str))
    arrays = [np.asarray(values[s], dtype=np.float64) for s in symbols]
    result = _compiled(expr, symbols)(*arrays)
    return np.broadcast_to(np.asarray(result, dtype=np.float64), np.broadcast_shapes(*(a.shape for a in arrays)))
