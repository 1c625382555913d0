"""Generated evaluators: the package's SymPy terms, printed as plain code.

The command line must start without SymPy, and the browser calculator cannot
run it, so the terms of :func:`everybyte.accounting.family_terms` are printed
once into code that does exact integer arithmetic:

* :func:`python_source` gives ``everybyte/_generated.py`` (Python ints);
* the same walk over the expressions can print another language: a
  :class:`Printer` subclass says how to spell numbers, operators, a
  conditional and a maximum (the browser page of the book prints BigInt
  JavaScript this way).

The expressions the accounting uses are integer polynomials of the symbols
and references, ``floor``/``ceiling`` of a polynomial over an integer,
``Piecewise`` on ``Eq``/``Ne`` of a symbol and an integer, and ``Max``.
Anything else is refused when the code is generated, so nothing can be
printed that does not evaluate exactly.

Run ``python -m everybyte.codegen`` (``make generate``) after changing a
formula; a test fails while the committed file differs from a fresh one.
"""

from __future__ import annotations

import keyword
import sys
from pathlib import Path

import sympy as sp

from . import families
from .accounting import depends_on_run, family_terms
from .terms import ref_key

GENERATED_PATH = Path(__file__).with_name("_generated.py")
#: Terms left out of an estimate whose family (or config) has no activation accounting.
NEEDS_ACTIVATIONS = frozenset({"activations", "step"})


class Printer:
    """Prints an expression of the accounting as exact integer code (Python by default)."""

    def integer(self, value: int) -> str:
        return str(value)

    def symbol(self, name: str) -> str:
        return name

    def reference(self, key: str) -> str:
        return f"r[{key!r}]"

    def power(self, base: str, exponent: int) -> str:
        return f"{base}**{exponent}"

    def floor_division(self, numerator: str, denominator: str) -> str:
        return f"(({numerator}) // {denominator})"

    def ceiling_division(self, numerator: str, denominator: str) -> str:
        return f"(-(-({numerator}) // {denominator}))"

    def conditional(self, condition: str, then: str, otherwise: str) -> str:
        return f"({then} if {condition} else {otherwise})"

    def equals(self, left: str, right: str, equal: bool) -> str:
        return f"{left} {'==' if equal else '!='} {right}"

    def maximum(self, items: list[str]) -> str:
        return f"max({', '.join(items)})"

    # --- the walk ------------------------------------------------------------------

    def __call__(self, expr: sp.Expr) -> str:
        return self.print(sp.Integer(expr) if isinstance(expr, int) else expr)

    def print(self, expr) -> str:
        if expr.is_Integer:
            value = int(expr)
            return self.integer(value) if value >= 0 else f"(-{self.integer(-value)})"
        if expr.is_Rational:
            raise ValueError(f"cannot print the fraction {expr} as exact integer code; "
                             "put it inside floor() or ceiling()")
        if expr.is_Symbol:
            key = ref_key(expr)
            if key is not None:
                return self.reference(key)
            if not expr.name.isidentifier() or keyword.iskeyword(expr.name):
                raise ValueError(f"symbol name {expr.name!r} is not an identifier")
            return self.symbol(expr.name)
        if expr.is_Add:
            parts = []
            for i, arg in enumerate(sorted(expr.args, key=sp.default_sort_key)):
                coefficient, rest = arg.as_coeff_Mul()
                if coefficient.is_Number and coefficient < 0:
                    text = self.print(-arg)
                    parts.append(f"- {text}" if i else f"-{text}")
                else:
                    parts.append(f"+ {self.print(arg)}" if i else self.print(arg))
            return "(" + " ".join(parts) + ")"
        if expr.is_Mul:
            coefficient, rest = expr.as_coeff_Mul()
            if coefficient.is_Rational and not coefficient.is_Integer:
                raise ValueError(f"cannot print {expr} as exact integer code; put it inside floor() or ceiling()")
            factors = [self.print(a) for a in sorted(sp.Mul.make_args(rest), key=sp.default_sort_key)]
            if coefficient == -1:
                return "(-" + "*".join(factors) + ")"
            if coefficient != 1:
                factors.insert(0, self.print(coefficient))
            return "*".join(factors)
        if expr.is_Pow:
            base, exponent = expr.args
            if not (exponent.is_Integer and exponent > 0):
                raise ValueError(f"cannot print the power {expr} as exact integer code")
            inner = self.print(base)
            if not (base.is_Symbol or base.is_Integer):
                inner = f"({inner})"
            return self.power(inner, int(exponent))
        if isinstance(expr, (sp.floor, sp.ceiling)):
            numerator, denominator = sp.fraction(sp.together(expr.args[0]))
            if not denominator.is_Integer or denominator <= 0:
                raise ValueError(f"cannot print {expr}: the denominator must be a positive integer")
            numerator_text = self.print(sp.expand(numerator))
            if denominator == 1:
                return numerator_text
            if isinstance(expr, sp.floor):
                return self.floor_division(numerator_text, self.print(denominator))
            return self.ceiling_division(numerator_text, self.print(denominator))
        if isinstance(expr, sp.Piecewise):
            *branches, (last, last_condition) = expr.args
            if last_condition is not sp.true:
                raise ValueError(f"a Piecewise must end with a True branch: {expr}")
            text = self.print(last)
            for value, condition in reversed(branches):
                text = self.conditional(self.condition(condition), self.print(value), text)
            return text
        if isinstance(expr, sp.Max):
            return self.maximum([self.print(a) for a in expr.args])
        raise ValueError(f"cannot print {type(expr).__name__} ({expr}) as exact integer code")

    def condition(self, condition) -> str:
        if isinstance(condition, (sp.Eq, sp.Ne)):
            return self.equals(self.print(condition.lhs), self.print(condition.rhs), isinstance(condition, sp.Eq))
        raise ValueError(f"cannot print the condition {condition}")


def _inputs(exprs) -> list[str]:
    names = set()
    for expr in exprs:
        names |= {s.name for s in expr.free_symbols if ref_key(s) is None}
    return sorted(names)


def _body(terms, printer: Printer) -> list[str]:
    lines = [f"    {s} = v[{s!r}]" for s in _inputs(t.expr for t in terms)]
    lines += [f"    r[{term.key!r}] = {printer(term.expr)}" for term in terms]
    return lines


#: The parts of a family's terms, in evaluation order: what the model alone
#: fixes, what needs a workload and a setup, and what needs an activation accounting.
PARTS = ("model", "run", "step")


def _part(term, terms) -> str:
    if term.tags & NEEDS_ACTIVATIONS:
        return "step"
    return "run" if depends_on_run(term, terms) else "model"


def python_source() -> str:
    """The text of ``everybyte/_generated.py``.

    Each family's terms are printed in three parts (see :data:`PARTS`); a part
    whose code is the same for several families (their tensor tables agree) is
    printed once and shared.
    """
    printer = Printer()
    out = [
        '"""Generated by everybyte.codegen from the package\'s SymPy terms: do not edit.',
        "",
        "Refresh with `make generate` (python -m everybyte.codegen); tests/test_generated.py fails while",
        "this file differs from a fresh one.  Exact integer arithmetic only.",
        '"""',
        "",
        "# Every term's (key, label, unit, tags, section, needs a workload and setup), each once;",
        "# TERMS lists a family's terms, in order, by their place in _META.",
        "_META = (",
    ]
    functions: dict[tuple, str] = {}  # body -> function name
    bodies: list[str] = []
    parts_of: dict[str, dict[str, str]] = {}
    metas: dict[tuple, int] = {}
    indices: dict[str, list[int]] = {}
    for family in families.FAMILIES:
        terms = family_terms(family)
        indices[family] = []
        for t in terms:
            meta = (t.key, t.label, t.unit, tuple(sorted(t.tags)), t.section, depends_on_run(t, terms))
            if meta not in metas:
                metas[meta] = len(metas)
                out.append(f"    {meta!r},")
            indices[family].append(metas[meta])
        parts_of[family] = {}
        for part in PARTS:
            chosen = [t for t in terms if _part(t, terms) == part]
            if not chosen:
                continue
            body = tuple(_body(chosen, printer))
            if body not in functions:
                functions[body] = f"_{part}_{family}"
                bodies += ["", "", f"def {functions[body]}(v, r):",
                           f'    """The {part} terms of {family} (and of any family whose terms print the same)."""',
                           *body]
            parts_of[family][part] = functions[body]
    out.append(")")
    out.append("TERMS = {family: tuple(_META[i] for i in places) for family, places in (")
    for family, places in indices.items():
        out.append(f"    ({family!r}, {tuple(places)!r}),")
    out.append(")}")
    out += bodies
    out += ["", "", "def _evaluate(v, parts):", "    r = {}", "    for part in parts:", "        part(v, r)",
            "    return r", ""]

    def table(name, wanted, families_):
        entries = []
        for family in families_:
            parts = ", ".join(parts_of[family][p] for p in wanted if p in parts_of[family])
            entries.append(f"    {family!r}: lambda v: _evaluate(v, ({parts},)),")
        return [f"{name} = {{", *entries, "}"]

    with_activations = [f for f in families.FAMILIES if "step" in parts_of[f]]
    out += ["", "# Evaluators by family: every term a config needs, by key (exact ints)."]
    out += table("PARAMETERS", ("model",), families.FAMILIES)
    out += table("ESTIMATE", PARTS, with_activations)
    out += table("ESTIMATE_WITHOUT_ACTIVATIONS", ("model", "run"), families.FAMILIES)
    out.append("")
    return "\n".join(out)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = python_source()
    if argv == ["--check"]:
        current = GENERATED_PATH.read_text(encoding="utf-8") if GENERATED_PATH.exists() else ""
        if current != text:
            print(f"{GENERATED_PATH} is stale: run `make generate`", file=sys.stderr)
            return 1
        return 0
    GENERATED_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {GENERATED_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
