"""The book's recurring figures: where the bytes go, and memory against a workload size.

Both helpers take the package's named terms (dicts of SymPy expressions or
exact ints) and return the matplotlib ``Axes`` they drew on; they never call
``show`` or save anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import sympy as sp

from .evaluate import sweep
from .units import GB, MB


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 3.5))
    return ax


def plot_where_the_bytes_go(
    breakdowns: Mapping[str, Mapping[str, int]],
    *,
    unit: int = GB,
    unit_name: str = "GB",
    normalize: bool = False,
    ax=None,
):
    """Horizontal stacked bars, one per breakdown (e.g. one per model or setting).

    ``breakdowns`` maps a bar label to ``{term name: bytes}``.  With
    ``normalize=True`` each bar shows shares in percent instead of bytes.
    """
    if not isinstance(breakdowns, Mapping) or not breakdowns:
        raise ValueError("breakdowns must be a mapping naming at least one bar")
    for label, parts in breakdowns.items():
        if not isinstance(parts, Mapping) or any(isinstance(v, bool) or not isinstance(v, (int, float))
                                                 for v in parts.values()):
            raise ValueError(f"breakdown {label!r} must map term names to byte counts")
    ax = _axes(ax)
    labels = list(breakdowns)
    terms: list[str] = []
    for parts in breakdowns.values():
        terms += [name for name in parts if name not in terms]
    left = np.zeros(len(labels))
    colors = _colors(len(terms))
    for term, color in zip(terms, colors):
        widths = []
        for label in labels:
            parts = breakdowns[label]
            total = float(sum(parts.values()))
            value = float(parts.get(term, 0))
            widths.append(100 * value / total if normalize else value / unit)
        widths = np.asarray(widths)
        ax.barh(labels, widths, left=left, label=term, color=color, edgecolor="white", linewidth=0.5)
        left += widths
    ax.set_xlabel("share (%)" if normalize else f"memory ({unit_name})")
    ax.invert_yaxis()
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3, fontsize="small", frameon=False)
    return ax


def plot_memory_against(
    terms: Mapping[str, sp.Expr],
    values: Mapping[sp.Symbol, object],
    symbol: sp.Symbol,
    grid: Sequence[float],
    *,
    unit: int = GB,
    unit_name: str = "GB",
    log: bool = False,
    ax=None,
):
    """Stacked areas of named memory terms as ``symbol`` (e.g. ``B`` or ``S``) runs over ``grid``.

    ``values`` fixes every other symbol.  Evaluated in float64 (a sweep).
    """
    if not isinstance(terms, Mapping) or not terms:
        raise ValueError("terms must be a mapping naming at least one memory term")
    if not isinstance(symbol, sp.Symbol):
        raise ValueError(f"symbol must be a SymPy symbol of everybyte.symbols, got {symbol!r}")
    if len(grid) < 2:
        raise ValueError("grid must hold at least two values")
    ax = _axes(ax)
    x = np.asarray(grid, dtype=np.float64)
    ys = []
    point = {**values, symbol: x}
    for name, expr in terms.items():
        if isinstance(expr, bool) or not isinstance(expr, (sp.Basic, int)):
            raise ValueError(f"term {name!r} must be a SymPy expression or an int, got {type(expr).__name__} "
                             "(strings are never parsed)")
        expr = sp.Integer(expr) if isinstance(expr, int) else expr
        missing = sorted(str(s) for s in expr.free_symbols if s not in point)
        if missing:
            raise ValueError(f"values are missing for the symbols {', '.join(missing)}")
        # Terms that do not depend on the swept symbol (4N against B) are constant bands.
        y = sweep(expr, {s: point[s] for s in expr.free_symbols}) if expr.free_symbols else np.float64(expr)
        ys.append(np.broadcast_to(np.asarray(y, dtype=np.float64), x.shape) / unit)
    ax.stackplot(x, *ys, labels=list(terms), colors=_colors(len(ys)), alpha=0.9)
    ax.set_xlabel(f"{symbol}")
    ax.set_ylabel(f"memory ({unit_name})")
    if log:
        ax.set_xscale("log", base=2)
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    ax.margins(x=0)
    return ax


def _colors(n: int):
    import matplotlib

    cmap = matplotlib.colormaps["tab20" if n > 10 else "tab10"]
    return [cmap(i % cmap.N) for i in range(n)]


__all__ = ["plot_where_the_bytes_go", "plot_memory_against", "GB", "MB"]
