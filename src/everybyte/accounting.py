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

from . import activations, compute, families, finetuning, memory, parallel, parameters, quantization, serving, training
from .knobs import WEIGHT_FORMATS
from .options import DTYPE_BITS, Setup
from .symbols import b_dtype
from .terms import Term, order, ref

#: Symbols whose values come from the workload and the setup (the rest describe the model).
RUN_SYMBOLS = frozenset({"B", "S", *Setup().symbol_values()})


def _parameter_terms(family: str) -> list[Term]:
    return parameters.parameter_count_terms(parameters.TABLES[family], families.FAMILIES[family].section)


def _weights_terms(family: str) -> list[Term]:
    n = ref("parameters")
    terms = [Term("weights", "weights in the setup's dtype", b_dtype * n, tags={"weights", "total"},
                  section="sec-model-memory")]
    for dtype, bits in DTYPE_BITS.items():
        terms.append(Term(f"weights_by_dtype/{dtype}", f"weights in {dtype}",
                          memory.model_memory_whole_bytes.xreplace({memory.N: n, memory.bits: bits}),
                          tags={"weights"}, section="sec-model-memory"))
    return terms


def _kv_terms(family: str) -> list[Term]:
    # The KV cache as transformers and vLLM hold it (chapter 16), from chapter 12's kv_cache_general.
    return serving.kv_terms()


def _serving_terms(family: str) -> list[Term]:
    return [*quantization.quantized_weight_terms(family), *serving.peak_terms(WEIGHT_FORMATS)]


def _finetuning_terms(family: str) -> list[Term]:
    return finetuning.terms(family)


def _training_state_terms(family: str) -> list[Term]:
    return training.state_terms(parameters.buffer_bytes(), families.FAMILIES[family].buffers_label)


def _activation_and_step_terms(family: str) -> list[Term]:
    """The saved activations, their total, and the step's transients and peak (families with an accounting)."""
    entry = families.FAMILIES[family]
    if entry.activations is None:
        return []
    saved = activations.saved_tensor_terms(entry.activations)
    total = Term("activations", "saved for backward (total)", sp.Add(*(ref(t.key) for t in saved)),
                 tags={"activations", "total"}, section=activations.SECTION[entry.activations])
    return [*saved, total, *training.TRANSIENT_TERMS, *training.PEAK_TERMS]


def _compute_terms(family: str) -> list[Term]:
    return compute.TERMS
def _parallel_terms(family: str) -> list[Term]:
    """One device of a run spread over several (chapter "Training across many devices")."""
    terms = [*parallel.optimizer_8bit_terms(family), *parallel.state_terms(family)]
    if families.FAMILIES[family].activations is not None:
        terms += [*parallel.activation_terms(family), *parallel.peak_terms(family)]
    return terms


def _article_terms(family: str) -> list[Term]:
    return [Term(key, label, expr.xreplace({memory.N: ref("parameters")}), tags={"article"},
                 section="sec-article-rules") for key, label, expr in memory.ARTICLE_TERMS]


#: What a family's accounting is made of, in order: each provider maps a family's
#: name to its terms.  A new part of the book (parallelism, serving) adds one here.
PROVIDERS = [_parameter_terms, _weights_terms, _kv_terms, _training_state_terms, _activation_and_step_terms,
             _compute_terms, _article_terms, _parallel_terms, _serving_terms, _finetuning_terms]


@lru_cache(maxsize=None)
def family_terms(family: str) -> tuple[Term, ...]:
    """Every term of ``family``, each after the terms it refers to."""
    terms: list[Term] = []
    for provider in PROVIDERS:
        terms += provider(family)
    keys = [t.key for t in terms]
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    if duplicated:
        raise ValueError(f"two terms of {family} share the keys {', '.join(duplicated)}")
    return tuple(order(terms))


#: Symbols a specialised formula keeps: the sizes of the model and of the workload.
SIZE_SYMBOLS = frozenset({"V", "d_model", "d_ff", "h", "h_kv", "d_head", "L", "P", "n_experts", "k_experts", "d_rot",
                          "B", "S"})


def _switch_values(config, setup) -> dict:
    from .pipeline import symbol_values

    values = symbol_values(config, None, setup)
    switches = {name: value for name, value in values.items() if name not in SIZE_SYMBOLS}
    if config.n_experts == 1:  # a dense model: one expert, used by every token
        switches.update(n_experts=1, k_experts=1)
    if config.rotary_channels == 0:  # no rotary embeddings
        switches["d_rot"] = 0
    return switches


def _substitution(expr: sp.Expr, values: dict, config=None) -> dict:
    subs = {s: values[s.name] for s in expr.free_symbols if s.name in values}
    if config is not None and config.kv_heads == config.n_heads:  # no grouped-query attention: h_kv is h
        symbols = {s.name: s for s in expr.free_symbols}
        if "h_kv" in symbols and "h" in symbols:
            subs[symbols["h_kv"]] = symbols["h"]
        elif "h_kv" in symbols:
            from .symbols import h

            subs[symbols["h_kv"]] = h
    if config is not None:  # a kind of layer that every layer is (all full attention, all dense): write it L
        from .symbols import L

        for name, count in config.layer_counts().items():
            symbol = next((s for s in expr.free_symbols if s.name == name), None)
            if symbol is not None and count == config.n_layers:
                subs[symbol] = L
    return subs


def specialised_terms(config, setup=None, prefix: str = "") -> list[Term]:
    """The terms of ``config``'s family under ``prefix``, with its switches and the setup's substituted.

    The sizes (``V``, ``d_model``, ``B``, ``S``, ...) stay symbols; references
    are resolved; terms that vanish are left out.  What chapter 13 prints for
    one model and one setup.
    """
    from dataclasses import replace

    from .options import Setup
    from .terms import resolve

    setup = Setup() if setup is None else setup
    terms = family_terms(config.family.name)
    values = _switch_values(config, setup)
    out = []
    for term in terms:
        if prefix and not (term.key == prefix or term.key.startswith(prefix + "/")):
            continue
        each = sp.expand(resolve(term.each, terms))
        each = sp.expand(each.xreplace(_substitution(each, values, config)))
        count = term.count.xreplace(_substitution(term.count, values, config))
        if each != 0 and count != 0:
            out.append(replace(term, each=each, count=count))
    return out


def formula(config, key: str, setup=None) -> sp.Expr:
    """The expression of ``key`` for ``config`` and ``setup``: switches substituted, sizes kept."""
    from .options import Setup
    from .terms import resolve

    setup = Setup() if setup is None else setup
    terms = family_terms(config.family.name)
    term = next((t for t in terms if t.key == key), None)
    if term is None:
        raise ValueError(f"key must be a term of the {config.family.name} accounting; got {key!r}")
    expr = resolve(term.expr, terms)
    values = _switch_values(config, setup)
    return sp.expand(expr.xreplace(_substitution(expr, values, config)))


def depends_on_run(term: Term, terms: tuple[Term, ...]) -> bool:
    """Whether ``term`` needs a workload or a setup (not only the model's sizes)."""
    return term.key in _run_dependent(terms)


@lru_cache(maxsize=None)
def _run_dependent(terms: tuple[Term, ...]) -> frozenset[str]:
    # Terms come in reference order: a term needs a run if one of its own symbols
    # does, or if a term it refers to does.
    from .terms import ref_key

    dependent: set[str] = set()
    for term in order(terms):
        for symbol in term.expr.free_symbols:
            key = ref_key(symbol)
            if (key is None and symbol.name in RUN_SYMBOLS) or key in dependent:
                dependent.add(term.key)
                break
    return frozenset(dependent)


__all__ = ["family_terms", "specialised_terms", "formula", "depends_on_run", "RUN_SYMBOLS", "SIZE_SYMBOLS"]
