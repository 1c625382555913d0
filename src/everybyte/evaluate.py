"""Turning the package's SymPy expressions into numbers.

Two ways, for two uses:

* :func:`exact` substitutes Python integers and returns a Python ``int``
  (or a :class:`fractions.Fraction` when the value is not whole).  Use it for
  one configuration: no rounding, no overflow, at any scale.  It is the
  reference the generated evaluators (:mod:`everybyte.codegen`) are tested
  against.
* :func:`sweep` compiles the expression with :func:`sympy.lambdify` and
  evaluates it on float64 arrays.  Use it for plots and parameter sweeps.
  Integer arrays are converted to float64 first: NumPy's int64 overflows
  silently at GPT-3 scale.

Values may be keyed by SymPy symbol or by symbol name (``"d_model"``); names
are matched against the expression's own symbols, never parsed.
"""

from __future__ import annotations

import numbers
from fractions import Fraction
from functools import lru_cache
from collections.abc import Mapping

import sympy as sp


def _check_expr(expr) -> sp.Basic:
    if isinstance(expr, bool) or not isinstance(expr, (sp.Basic, int, Fraction)):
        raise ValueError(f"expr must be a SymPy expression or a number, got {type(expr).__name__} "
                         "(strings are never parsed: build expressions from everybyte.symbols)")
    if isinstance(expr, Fraction):
        return sp.Rational(expr.numerator, expr.denominator)
    return sp.Integer(expr) if isinstance(expr, int) else expr


def _by_symbol(expr: sp.Basic, values) -> dict:
    if not isinstance(values, Mapping):
        raise ValueError(f"values must be a mapping from symbols (or symbol names) to numbers, "
                         f"got {type(values).__name__}")
    names = {s.name: s for s in expr.free_symbols}
    out = {}
    for key, value in values.items():
        if isinstance(key, str):
            if key in names:
                out[names[key]] = value
        elif isinstance(key, sp.Symbol):
            out[key] = value
        else:
            raise ValueError(f"values must be keyed by SymPy symbols or symbol names, got the key {key!r}")
    missing = sorted(s.name for s in expr.free_symbols if s not in out)
    if missing:
        raise ValueError(f"values are missing for the symbols {', '.join(missing)}")
    return out


def exact(expr: sp.Expr, values: Mapping[object, object]) -> int | Fraction:
    """Evaluate ``expr`` exactly with the symbol values in ``values``.

    Values must be integers (Python or NumPy, converted to Python ints) or
    :class:`fractions.Fraction`/SymPy rationals.  Returns an ``int`` when the
    result is whole, else a ``Fraction``.
    """
    expr = _check_expr(expr)
    subs = {}
    for symbol, value in _by_symbol(expr, values).items():
        if isinstance(value, bool) or not isinstance(value, (numbers.Integral, Fraction, sp.Rational)):
            raise ValueError(f"exact evaluation needs integer or rational values; {symbol} = {value!r}")
        if isinstance(value, Fraction):
            value = sp.Rational(value.numerator, value.denominator)
        elif isinstance(value, numbers.Integral) and not isinstance(value, sp.Basic):
            value = sp.Integer(int(value))
        subs[symbol] = value
    result = expr.xreplace(subs)
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


def sweep(expr: sp.Expr, values: Mapping[object, object]):
    """Evaluate ``expr`` on float64 arrays (broadcasting) for plots and sweeps; returns a NumPy array."""
    import numpy as np

    expr = _check_expr(expr)
    by_symbol = _by_symbol(expr, values)
    symbols = tuple(sorted(by_symbol, key=str))
    arrays = []
    for s in symbols:
        value = by_symbol[s]
        if isinstance(value, (str, bytes)):
            raise ValueError(f"sweep needs numbers or arrays of numbers; {s} = {value!r}")
        try:
            arrays.append(np.asarray(value, dtype=np.float64))
        except (TypeError, ValueError):
            raise ValueError(f"sweep needs numbers or arrays of numbers; {s} = {value!r}") from None
    if not symbols:
        return np.asarray(float(expr), dtype=np.float64)
    result = _compiled(expr, symbols)(*arrays)
    return np.broadcast_to(np.asarray(result, dtype=np.float64), np.broadcast_shapes(*(a.shape for a in arrays)))
