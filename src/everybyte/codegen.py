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
and references, ``floor``/``ceiling`` of a polynomial over a positive integer,
a product of positive integer symbols or a nonnegative term, ``Piecewise`` on
``Eq``/``Ne`` and on ``<``, ``<=``, ``>``, ``>=``, ``Max`` and ``Min``.
Anything else is refused when the code is generated, so nothing can be
printed that does not evaluate exactly.

Run ``python -m everybyte.codegen`` (``make generate``) after changing a
formula; a test fails while the committed file differs from a fresh one.
"""

from __future__ import annotations

import functools
import json
import keyword
import sys
from pathlib import Path

import sympy as sp

from . import families
from .accounting import depends_on_run, family_terms
from .terms import ref_key, refs_of

GENERATED_PATH = Path(__file__).with_name("_generated.py")
#: The browser calculator's evaluators (the book's calculator page loads it).
JAVASCRIPT_PATH = Path(__file__).resolve().parents[2] / "calculator" / "everybyte_terms.js"
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

    def minimum(self, items: list[str]) -> str:
        return f"min({', '.join(items)})"

    def compare(self, left: str, right: str, operator: str) -> str:
        """``left < right`` and the like (``operator`` is one of ``<``, ``<=``, ``>``, ``>=``)."""
        return f"{left} {operator} {right}"

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
            # A positive integer, a product of positive integer symbols (sizes, device
            # counts), or a nonnegative integer term the caller knows is never 0.
            if not (_positive_integer_product(denominator) or (denominator.is_integer and denominator.is_nonnegative
                                                               and not denominator.is_Integer)):
                raise ValueError(f"cannot print {expr}: the denominator must be a positive integer or a product of "
                                 "positive integer symbols")
            numerator_text = self.print(sp.expand(numerator))
            if denominator == 1:
                return numerator_text
            denominator_text = self.print(denominator)
            if not (denominator.is_Integer or denominator.is_Symbol):  # a product: parenthesised
                denominator_text = f"({denominator_text})"
            if isinstance(expr, sp.floor):
                return self.floor_division(numerator_text, denominator_text)
            return self.ceiling_division(numerator_text, denominator_text)
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
        if isinstance(expr, sp.Min):
            return self.minimum([self.print(a) for a in expr.args])
        raise ValueError(f"cannot print {type(expr).__name__} ({expr}) as exact integer code")

    def condition(self, condition) -> str:
        if isinstance(condition, (sp.Eq, sp.Ne)):
            return self.equals(self.print(condition.lhs), self.print(condition.rhs), isinstance(condition, sp.Eq))
        if isinstance(condition, (sp.StrictLessThan, sp.LessThan, sp.StrictGreaterThan, sp.GreaterThan)):
            lhs, rhs = condition.lhs, condition.rhs
            # SymPy divides out constants (3 x < 4096 becomes x < 4096/3): scale both sides back to integers
            scale = sp.ilcm(*(r.q for side in (lhs, rhs) for r in side.atoms(sp.Rational)), 1)
            if scale != 1:
                lhs, rhs = sp.expand(scale * lhs), sp.expand(scale * rhs)
            return self.compare(self.print(lhs), self.print(rhs), condition.rel_op)
        raise ValueError(f"cannot print the condition {condition}")


def _positive_integer_product(expr) -> bool:
    """Whether ``expr`` is a positive integer, or a product of positive integer symbols (and powers of them)."""
    for factor in sp.Mul.make_args(expr):
        base, exponent = factor.as_base_exp()
        if not (exponent.is_Integer and exponent > 0):
            return False
        if base.is_Integer:
            if base <= 0:
                return False
        elif not (base.is_Symbol and base.is_positive and base.is_integer):
            return False
    return True


def _inputs(exprs) -> list[str]:
    names = set()
    for expr in exprs:
        names |= {s.name for s in expr.free_symbols if ref_key(s) is None}
    return sorted(names)


class JavaScriptPrinter(Printer):
    """Prints the same expressions as BigInt JavaScript (the browser calculator's evaluators)."""

    def integer(self, value: int) -> str:
        return f"{value}n"

    def reference(self, key: str) -> str:
        return f"r[{json.dumps(key)}]"

    def power(self, base: str, exponent: int) -> str:
        return f"{base} ** {exponent}n"

    def floor_division(self, numerator: str, denominator: str) -> str:
        return f"_floorDiv({numerator}, {denominator})"

    def ceiling_division(self, numerator: str, denominator: str) -> str:
        return f"_ceilDiv({numerator}, {denominator})"

    def conditional(self, condition: str, then: str, otherwise: str) -> str:
        return f"({condition} ? {then} : {otherwise})"

    def equals(self, left: str, right: str, equal: bool) -> str:
        return f"{left} {'===' if equal else '!=='} {right}"

    def maximum(self, items: list[str]) -> str:
        return f"_max({', '.join(items)})"

    def minimum(self, items: list[str]) -> str:
        return f"_min({', '.join(items)})"


#: The parts of a family's terms, in evaluation order: what the model alone
#: fixes, what needs a workload and a setup, and what needs an activation accounting.
PARTS = ("model", "run", "step")


def _part(term, terms) -> str:
    if term.tags & NEEDS_ACTIVATIONS:
        return "step"
    return "run" if depends_on_run(term, terms) else "model"


class _Plan:
    """What both printed programs hold: each family's term metadata, and its parts as shared functions."""

    def __init__(self):
        self.metadata: dict[str, list[tuple]] = {}
        self.functions: list[tuple[str, str, str, list]] = []  # (name, part, family, terms)
        self.parts_of: dict[str, dict[str, str]] = {}
        seen: dict[tuple, str] = {}
        for family in families.FAMILIES:
            terms = family_terms(family)
            self.metadata[family] = [(t.key, t.label, t.unit, tuple(sorted(t.tags)), t.section,
                                      depends_on_run(t, terms), tuple(sorted(set(refs_of(t.expr)))))
                                     for t in terms]
            self.parts_of[family] = {}
            for part in PARTS:
                chosen = [t for t in terms if _part(t, terms) == part]
                if not chosen:
                    continue
                signature = tuple((t.key, t.expr) for t in chosen)
                if signature not in seen:
                    seen[signature] = f"_{part}_{family}"
                    self.functions.append((seen[signature], part, family, chosen))
                self.parts_of[family][part] = seen[signature]

    def tables(self):
        """(name, parts wanted, families) of the three evaluator tables."""
        with_activations = [f for f in families.FAMILIES if "step" in self.parts_of[f]]
        return [("PARAMETERS", ("model",), list(families.FAMILIES)),
                ("ESTIMATE", PARTS, with_activations),
                ("ESTIMATE_WITHOUT_ACTIVATIONS", ("model", "run"), list(families.FAMILIES))]

    def deduplicated_metadata(self) -> tuple[list[tuple], dict[str, list[int]]]:
        """Every distinct term metadata once, and each family's terms as places in that list."""
        index: dict[tuple, int] = {}
        places: dict[str, list[int]] = {}
        for family, metas in self.metadata.items():
            places[family] = [index.setdefault(meta, len(index)) for meta in metas]
        return list(index), places

    def parts(self, family, wanted) -> list[str]:
        return [self.parts_of[family][p] for p in wanted if p in self.parts_of[family]]


@functools.lru_cache(maxsize=1)
def _plan() -> _Plan:
    return _Plan()


def python_source() -> str:
    """The text of ``everybyte/_generated.py``.

    Each family's terms are printed in three parts (see :data:`PARTS`); a part
    whose code is the same for several families (their tensor tables agree) is
    printed once and shared.
    """
    printer, plan = Printer(), _plan()
    out = [
        '"""Generated by everybyte.codegen from the package\'s SymPy terms: do not edit.',
        "",
        "Refresh with `make generate` (python -m everybyte.codegen); tests/test_generated.py fails while",
        "this file differs from a fresh one.  Exact integer arithmetic only.",
        '"""',
        "",
        "# Every term's (key, label, unit, tags, section, needs a workload and setup, keys it refers to), each once;",
        "# TERMS lists a family's terms, in order, by their place in _META.",
        "_META = (",
    ]
    metas, places = plan.deduplicated_metadata()
    out += [f"    {meta!r}," for meta in metas]
    out.append(")")
    out.append("TERMS = {family: tuple(_META[i] for i in places) for family, places in (")
    out += [f"    ({family!r}, {tuple(indices)!r})," for family, indices in places.items()]
    out.append(")}")
    for name, part, family, terms in plan.functions:
        out += ["", "", f"def {name}(v, r):",
                f'    """The {part} terms of {family} (and of any family whose terms print the same)."""']
        out += [f"    {s} = v[{s!r}]" for s in _inputs(t.expr for t in terms)]
        out += [f"    r[{t.key!r}] = {printer(t.expr)}" for t in terms]
    out += ["", "", "def _evaluate(v, parts):", "    r = {}", "    for part in parts:", "        part(v, r)",
            "    return r", "", "", "# Evaluators by family: every term a config needs, by key (exact ints)."]
    for table, wanted, names in plan.tables():
        out.append(f"{table} = {{")
        out += [f"    {f!r}: lambda v: _evaluate(v, ({', '.join(plan.parts(f, wanted))},))," for f in names]
        out.append("}")
    out.append("")
    return "\n".join(out)


def javascript_source() -> str:
    """The text of ``calculator/everybyte_terms.js``: the same evaluators in BigInt JavaScript.

    Every input value must be a BigInt; every result is one.  The script sets
    ``globalThis.everybyteTerms`` (a browser's ``window``, or Node's global).
    """
    printer, plan = JavaScriptPrinter(), _plan()
    out = [
        "// Generated by everybyte.codegen from the package's SymPy terms: do not edit.",
        "// Refresh with `make generate`; tests/test_generated.py fails while this file differs from a fresh one.",
        "// Exact BigInt arithmetic only.",
        "(function (root) {",
        '  "use strict";',
        "  const _max = (...xs) => xs.reduce((a, b) => (b > a ? b : a));",
        "  const _min = (...xs) => xs.reduce((a, b) => (b < a ? b : a));",
        "  const _floorDiv = (a, b) => { const q = a / b; return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q; };",
        "  const _ceilDiv = (a, b) => -_floorDiv(-a, b);",
        "  // Every term's [key, label, unit, tags, section, needs a workload and setup, keys it refers to], each once;",
        "  // TERMS lists a family's terms, in order, by their place in META.",
        f"  const META = {json.dumps([list(m[:3]) + [list(m[3])] + list(m[4:6]) + [list(m[6])] for m in plan.deduplicated_metadata()[0]], ensure_ascii=False)};",
        f"  const TERMS = Object.fromEntries(Object.entries({json.dumps(plan.deduplicated_metadata()[1])})"
        ".map(([family, places]) => [family, places.map((i) => META[i])]));",
    ]
    for name, part, family, terms in plan.functions:
        out.append(f"  function {name}(v, r) {{  // the {part} terms of {family} (and of any family sharing them)")
        out += [f"    const {s} = v[{json.dumps(s)}];" for s in _inputs(t.expr for t in terms)]
        out += [f"    r[{json.dumps(t.key)}] = {printer(t.expr)};" for t in terms]
        out.append("  }")
    out += ["  function _evaluate(v, parts) { const r = {}; for (const part of parts) part(v, r); return r; }"]
    tables = []
    for table, wanted, names in plan.tables():
        entries = ", ".join(f"{json.dumps(f)}: (v) => _evaluate(v, [{', '.join(plan.parts(f, wanted))}])" for f in names)
        tables.append(f"  const {table} = {{{entries}}};")
    out += tables
    out += ["  root.everybyteTerms = { TERMS, PARAMETERS, ESTIMATE, ESTIMATE_WITHOUT_ACTIVATIONS };",
            "})(typeof window !== \"undefined\" ? window : globalThis);", ""]
    return "\n".join(out)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from . import calcdata

    outputs = {GENERATED_PATH: python_source(), JAVASCRIPT_PATH: javascript_source(),
               calcdata.JAVASCRIPT_PATH: calcdata.javascript_source()}
    if argv == ["--check"]:
        stale = [p for p, text in outputs.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        for path in stale:
            print(f"{path} is stale: run `make generate`", file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
