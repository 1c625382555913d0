"""Every term of one family, composed once: the source of the estimate and of the generated code.

:func:`family_terms` lists, for a family of :data:`everybyte.families.FAMILIES`,
its parameter count (from its tensor table), the weights per dtype, the KV
cache, the saved activations (where an accounting follows the family's code),
the training-step state, the candidate moments of its peak and the peak, and
the article's rules for comparison.  :func:`everybyte.estimate` evaluates these
terms through the evaluators :mod:`everybyte.codegen` generates from them; the
chapters read the same terms symbolically.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from . import activations, families, memory, parameters, training
from .options import DTYPE_BITS
from .symbols import B, L, S, b_dtype, b_param
from .terms import Term, order, ref

#: Symbols whose values come from the workload and the setup (the rest describe the model).
RUN_SYMBOLS = frozenset({"B", "S", "x_auto", "x_sdpa", "x_cuda", "b_res", "b_soft", "b_dtype", "b_opt",
                         "b_opt_tensor", "n_opt_tmp"})


def _weights_terms() -> list[Term]:
    n = ref("parameters")
    terms = [Term("weights", "weights in the setup's dtype", b_dtype * n, tags={"weights", "total"},
                  section="sec-model-memory")]
    for dtype, bits in DTYPE_BITS.items():
        terms.append(Term(f"weights_by_dtype/{dtype}", f"weights in {dtype}",
                          memory.model_memory_whole_bytes.xreplace({memory.N: n, memory.bits: bits}),
                          tags={"weights"}, section="sec-model-memory"))
    return terms


def _kv_terms() -> list[Term]:
    each = (memory.kv_cache_general / L).xreplace({b_param: b_dtype})
    return [Term("kv_cache", "KV cache (keys and values of every layer, setup's dtype)", sp.expand(each), L,
                 tags={"inference", "total"}, section="sec-kv-cache")]


def _article_terms() -> list[Term]:
    return [Term(key, label, expr.xreplace({memory.N: ref("parameters")}), tags={"article"},
                 section="sec-article-rules") for key, label, expr in memory.ARTICLE_TERMS]


@lru_cache(maxsize=None)
def family_terms(family: str) -> tuple[Term, ...]:
    """Every term of ``family``, each after the terms it refers to."""
    entry = families.FAMILIES[family]
    terms: list[Term] = parameters.parameter_count_terms(parameters.TABLES[family])
    terms += _weights_terms() + _kv_terms()
    terms += training.STATE_TERMS
    if entry.activations is not None:
        saved = activations.saved_tensor_terms(entry.activations)
        terms += saved
        terms.append(Term("activations", "saved for backward (total)", sp.Add(*(ref(t.key) for t in saved)),
                          tags={"activations", "total"}, section=activations.SECTION[entry.activations]))
        terms += training.TRANSIENT_TERMS + training.PEAK_TERMS
    terms += _article_terms()
    return tuple(order(terms))


def depends_on_run(term: Term, terms: tuple[Term, ...]) -> bool:
    """Whether ``term`` needs a workload or a setup (not only the model's sizes)."""
    from .terms import resolve

    return any(s.name in RUN_SYMBOLS for s in resolve(term.expr, terms).free_symbols)


__all__ = ["family_terms", "depends_on_run", "RUN_SYMBOLS", "B", "S"]
