"""Keyed terms: the one shape in which every formula of the package is stated.

A :class:`Term` has a stable ``key`` (hierarchical, like ``activations/attention/softmax``),
a ``label`` for readers, its SymPy expression, ``tags`` (which view or regime it
belongs to) and the MyST label of the book section that derives it.  Code
finds terms by key and tag, never by label, so rewording prose breaks nothing.

A term's expression may refer to other terms with :func:`ref` (a total is the
sum of its parts, the training peak the maximum of its candidate moments);
:func:`resolve` substitutes them.  The generated evaluators keep the references
as local variables, so each part is computed once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Iterable, Sequence

import sympy as sp

_REF_PREFIX = "ref__"


@dataclass(frozen=True)
class Term:
    """One named quantity: bytes (or parameters) per occurrence times how often it occurs.

    ``each`` is the value of one occurrence (one layer's tensor), ``count`` how
    many there are (``L`` for a per-layer term, 1 for the rest); ``expr`` is
    their product.  ``unit`` is ``"bytes"`` or ``"parameters"``.
    """

    key: str
    label: str
    each: sp.Expr
    count: sp.Expr = sp.Integer(1)
    tags: frozenset[str] = field(default_factory=frozenset)
    section: str = ""
    unit: str = "bytes"

    def __post_init__(self):
        if not isinstance(self.key, str) or not self.key or " " in self.key:
            raise ValueError(f"key must be a non-empty string without spaces, got {self.key!r}")
        object.__setattr__(self, "each", sp.Integer(self.each) if isinstance(self.each, int) else self.each)
        object.__setattr__(self, "count", sp.Integer(self.count) if isinstance(self.count, int) else self.count)
        object.__setattr__(self, "tags", frozenset(self.tags))
        for name in ("each", "count"):
            if not isinstance(getattr(self, name), sp.Basic):
                raise ValueError(f"{name} of term {self.key} must be a SymPy expression or an int")

    @property
    def expr(self) -> sp.Expr:
        return self.count * self.each

    @property
    def per_layer(self) -> bool:
        return self.count != 1


def ref(key: str) -> sp.Symbol:
    """A placeholder for the value of the term ``key`` inside another term's expression."""
    return sp.Symbol(_REF_PREFIX + key.replace("/", "__"), integer=True, nonnegative=True)


def ref_key(symbol: sp.Symbol) -> str | None:
    """The term key a :func:`ref` symbol stands for, or ``None`` for an ordinary symbol."""
    name = symbol.name
    return name[len(_REF_PREFIX):].replace("__", "/") if name.startswith(_REF_PREFIX) else None


def refs_of(expr: sp.Expr) -> list[str]:
    """Keys of the terms ``expr`` refers to, sorted."""
    return sorted(k for k in (ref_key(s) for s in expr.free_symbols) if k is not None)


def total(terms: Iterable[Term]) -> sp.Expr:
    """The sum of the terms, by reference."""
    return sp.Add(*(ref(t.key) for t in terms))


def resolve(expr: sp.Expr, terms: Sequence[Term]) -> sp.Expr:
    """``expr`` with every :func:`ref` replaced by the referred term's full expression."""
    by_key = {t.key: t for t in terms}
    cache: dict[str, sp.Expr] = {}

    def full(key: str, seen: tuple = ()) -> sp.Expr:
        if key in seen:
            raise ValueError(f"term {key} refers to itself through {' -> '.join(seen)}")
        if key not in cache:
            if key not in by_key:
                raise ValueError(f"term {seen[-1] if seen else '?'} refers to {key}, which is not a term here")
            inner = by_key[key].expr
            cache[key] = _substitute(inner, {ref(k): full(k, (*seen, key)) for k in refs_of(inner)})
        return cache[key]

    return _substitute(expr, {ref(k): full(k) for k in refs_of(expr)})


def _substitute(expr: sp.Expr, mapping: dict) -> sp.Expr:
    # A maximum of symbolic arguments would compare them pairwise when rebuilt
    # (slow, and pointless: they are evaluated with numbers later), so it is
    # rebuilt unevaluated; everything else evaluates as usual.
    if expr in mapping:
        return mapping[expr]
    if not expr.args:
        return expr
    args = [_substitute(a, mapping) for a in expr.args]
    if isinstance(expr, (sp.Max, sp.Min)):
        return expr.func(*args, evaluate=False)
    return expr.func(*args)


def order(terms: Sequence[Term]) -> list[Term]:
    """The terms in an order where every term comes after the terms it refers to."""
    by_key = {t.key: t for t in terms}
    done: dict[str, Term] = {}

    def visit(term: Term, stack: tuple = ()):
        if term.key in done:
            return
        if term.key in stack:
            raise ValueError(f"term {term.key} refers to itself")
        for key in refs_of(term.expr):
            visit(by_key[key], (*stack, term.key))
        done[term.key] = term

    for term in terms:
        visit(term)
    return list(done.values())


def with_tag(terms: Iterable[Term], tag: str) -> list[Term]:
    return [t for t in terms if tag in t.tags]


def under(terms: Iterable[Term], prefix: str) -> list[Term]:
    """The terms whose key lies under ``prefix`` (``prefix/...``)."""
    return [t for t in terms if t.key.startswith(prefix + "/")]
