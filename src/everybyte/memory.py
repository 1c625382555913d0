"""Memory of a Transformer language model, as SymPy expressions (bytes).

* model memory per dtype (chapter 5),
* the article's working-memory rules of thumb and the KV cache (chapter 6),
* steady-state training memory, ``16N + 8BS`` (chapter 7): a view of the
  training-step state of :mod:`everybyte.training`,
* activation memory: the article's terms exactly as printed, Korthikanti et
  al.'s formula, and chapter 8's idealised GPU settings, which are views of the
  per-tensor accounting of :mod:`everybyte.activations`,
* chapter 8's step towards the peak, at the start of the backward pass, in the
  article's shape.  It is not the book's peak: that is chapter 13's per-tensor
  ``training_peak`` of :mod:`everybyte.training`, which every chapter, the
  errata and the command line report (see :func:`peak_memory`).

Sources: the article's sections "Model memory" to "Total peak memory";
E. Rees (2023), "Transformer Memory Arithmetic", which the article's memory
section garbles; Korthikanti et al. 2022, section 4.1 (activations per layer,
``34 s b h + 5 a s^2 b``); Rajbhandari et al. 2020, section 3.1 (16 bytes per
parameter for mixed-precision Adam).
"""

from __future__ import annotations

from dataclasses import replace

import sympy as sp

from . import activations
from . import validation as check
from .config import ModelConfig
from .options import DTYPE_BITS, OPTIMIZERS
from .symbols import B, L, N, S, V, adamw_8bit, b_dtype, b_opt, b_opt_tensor, b_param, d_head, d_model, h, h_kv
from .terms import Term, ref

# --- storage types --------------------------------------------------------------------


def bytes_per_param(dtype: str) -> sp.Rational:
    """Bytes per parameter of ``dtype`` as an exact rational (int4 is 1/2)."""
    check.choice("dtype", dtype, DTYPE_BITS)
    return sp.Rational(DTYPE_BITS[dtype], 8)


# --- chapter 5: model memory ------------------------------------------------------------

#: Model memory: every parameter stored once at ``b_param`` bytes.
model_memory = N * b_param
#: Whole bytes of ``N`` parameters of ``bits`` bits each: packed 4-bit storage
#: of an odd count needs one more byte.  The package's one byte rounding.
bits = sp.Symbol("bits", positive=True, integer=True)
model_memory_whole_bytes = sp.ceiling(N * bits / 8)


def model_memory_bytes(n_params: int, dtype: str = "fp32") -> int:
    """Bytes to hold ``n_params`` parameters in ``dtype`` (chapter 5)."""
    from .evaluate import exact

    n_params = check.positive_int("n_params", n_params)
    check.choice("dtype", dtype, DTYPE_BITS)
    return exact(model_memory_whole_bytes, {N: n_params, bits: DTYPE_BITS[dtype]})


# --- chapter 6: the article's working-memory rules and the KV cache ----------------------

#: The article's rule of thumb for inference: about twice the model memory.
INFERENCE_WORKING_MEMORY_RULE = 2 * model_memory
#: The article's rule of thumb for training: about four times the model memory.
TRAINING_MEMORY_RULE = 4 * model_memory
#: Keys and values cached for generation: two ``(B, S, d_model)`` tensors per layer.
kv_cache = 2 * L * B * S * d_model * b_param
#: The same under grouped-query attention: ``h_kv`` heads of width ``d_head``
#: are cached (chapter 12); equals :data:`kv_cache` when ``h_kv d_head = d_model``.
kv_cache_general = 2 * L * B * S * h_kv * d_head * b_param


def kv_cache_expr(config: ModelConfig) -> sp.Expr:
    """KV-cache bytes for ``config``'s attention layout (chapters 6 and 12)."""
    from .parameters import layout_substitutions

    return sp.expand(kv_cache_general.xreplace(layout_substitutions(config)))


# --- chapter 7: steady-state training memory ------------------------------------------------


def steady_state_terms(optimizer: str = "adamw") -> dict[str, sp.Expr]:
    """Named terms of steady-state training memory in fp32 (chapter 7), keyed.

    The training-step state of :mod:`everybyte.training` with the parameter
    count written ``N``: weights (4 bytes each), gradients (4), optimizer state
    (8 for AdamW: first and second moments; 4 for SGD with momentum; 0 for
    plain SGD) and the batch of ``int64`` token ids, ``8 B S`` bytes (the
    article's ``8BD``).  Chapter 7 leaves out AdamW's 4-byte step counter per
    parameter tensor and the rotary buffers, which chapter 13 adds.
    """
    from .training import STATE_TERMS

    check.choice("optimizer", optimizer, OPTIMIZERS)
    chosen = OPTIMIZERS[optimizer]
    if chosen.blockwise_8bit:
        raise ValueError("optimizer must keep whole-byte states per parameter for chapter 7's formula; "
                         f"{optimizer!r} is blockwise (see everybyte.parallel)")
    subs = {ref("parameters"): N, b_opt: chosen.state_bytes, b_opt_tensor: 0, adamw_8bit: 0}
    terms = {}
    for term in STATE_TERMS:
        if term.key == "training/buffers":
            continue
        expr = sp.expand(term.expr.xreplace(subs))
        if expr != 0:
            terms[term.key.removeprefix("training/")] = expr
    return terms


def _steady_state_labels() -> dict[str, str]:
    from .training import STATE_TERMS

    return {t.key.removeprefix("training/"): t.label for t in STATE_TERMS}


#: Readers' labels of the keys of :func:`steady_state_terms`.
STEADY_STATE_LABELS: dict[str, str] = _steady_state_labels()

#: ``M_steady = 16 N + 8 B S`` bytes for fp32 AdamW (chapter 7).
steady_state_memory = sp.Add(*steady_state_terms("adamw").values())


# --- chapter 8: activations ------------------------------------------------------------------

#: The article's per-layer activation terms (bytes), exactly as listed.
ARTICLE_ACTIVATION_TERMS: dict[str, sp.Expr] = {
    "layer norm": 4 * B * S * d_model,
    "QKV computation": 2 * B * S * d_model,
    "attention matrix": 4 * B * S**2,
    "attention output": 2 * B * S * d_model,
    "first linear layer": 2 * B * S * d_model,
    "GELU activation": 8 * B * S * d_model,
    "second linear layer": 2 * B * S * d_model,
}
#: The article's logits term, ``6 B S V`` bytes.
ARTICLE_LOGITS = 6 * B * S * V
#: The article's activation formula as printed: ``L (14 E + 4 B S^2) + 6 B S V``.
ARTICLE_ACTIVATION_MEMORY = L * (14 * B * S * d_model + 4 * B * S**2) + ARTICLE_LOGITS
#: The article's peak formula: ``M_steady + M_act + 4 B S V``.
ARTICLE_PEAK_MEMORY = steady_state_memory + ARTICLE_ACTIVATION_MEMORY + 4 * B * S * V


#: Korthikanti et al. 2022, eq. (2): activations of one layer in bytes,
#: ``s b h (34 + 5 a s / h)`` with every stored tensor 16-bit, summed over the
#: layers.  It has no logits or loss term (chapter 13 measures what that misses).
KORTHIKANTI_LAYER_ACTIVATIONS = 34 * S * B * d_model + 5 * h * S**2 * B
KORTHIKANTI_ACTIVATION_MEMORY = L * KORTHIKANTI_LAYER_ACTIVATIONS

#: Chapter 8's settings: views of the per-tensor accounting (see
#: :data:`everybyte.activations.CHAPTER_8_VIEWS`).
PRECISIONS = activations.CHAPTER_8_VIEWS


def _standard(expr: sp.Expr) -> sp.Expr:
    # Chapter 8 counts GPT-2, whose heads tile d_model: h d_head = d_model.
    return sp.expand(expr.xreplace({d_head: d_model / h}))


def layer_saved_tensors(setting: str = "gpu-mixed") -> list[Term]:
    """Every tensor one GPT-2 layer saves for backward in ``setting`` (chapter 8).

    Terms of the per-tensor accounting (``each`` is the bytes of one layer's
    tensor), with the view's switches substituted and ``h d_head = d_model``.
    """
    return [replace(t, each=_standard(t.each)) for t in activations.chapter_8_view(setting) if t.per_layer]


def head_saved_tensors(setting: str = "gpu-mixed") -> list[Term]:
    """Tensors saved outside the layers: embedding dropout, final norm, loss (chapter 8).

    The cross-entropy runs in fp32 even under autocast, so its log-softmax
    output is ``4 B S V`` bytes whatever the setting.
    """
    return [replace(t, each=_standard(t.each)) for t in activations.chapter_8_view(setting) if not t.per_layer]


def layer_activation_memory(setting: str = "gpu-mixed") -> sp.Expr:
    """Bytes saved for backward by one GPT-2 layer in ``setting`` (chapter 8)."""
    return sp.Add(*(t.each for t in layer_saved_tensors(setting)))


def activation_memory(setting: str = "gpu-mixed") -> sp.Expr:
    """Bytes saved for backward by one training forward pass of the whole model (chapter 8)."""
    return L * layer_activation_memory(setting) + sp.Add(*(t.each for t in head_saved_tensors(setting)))


def logits_bytes(setting: str = "gpu-mixed") -> sp.Expr:
    """The logits tensor the model returns: alive until the step ends, though not saved."""
    view = PRECISIONS[check.choice("setting", setting, PRECISIONS)]
    return B * S * V * activations.matmul_bytes.xreplace(view.substitutions)


def peak_memory(setting: str = "gpu-mixed", optimizer: str = "adamw") -> sp.Expr:
    """Chapter 8's step towards the peak: memory at the start of the backward pass, in the article's shape.

    Steady state + saved activations + the returned logits + the fp32 gradient
    of the log-probabilities (``4 B S V``, the article's extra term), in one of
    chapter 8's idealised GPU settings (eager attention, dropout on, exact GELU).

    This is a derivation step, kept so that chapter 8 can follow the article;
    it is *not* the book's peak.  Against PyTorch it leaves out autocast's
    16-bit weight copies and the second logit-sized fp32 tensor (the output of
    the log-softmax backward), and it counts the gradients at the start of the
    backward pass, where ``zero_grad(set_to_none=True)`` has left none.  The
    book's peak is chapter 13's per-tensor ``training_peak`` (the largest of
    three moments, :mod:`everybyte.training`): ``estimate(config, workload,
    setup)["training_peak"]``; chapter 8's section ``sec-book-peak`` bridges
    the two term by term.
    """
    steady = sp.Add(*steady_state_terms(optimizer).values())
    return steady + activation_memory(setting) + logits_bytes(setting) + 4 * B * S * V


#: The article's memory rules as keyed terms (the command line's ``--article``),
#: in the setup's dtype for the weights.
ARTICLE_TERMS = (
    ("article/inference_rule", "inference working memory (the article's 2x rule)",
     INFERENCE_WORKING_MEMORY_RULE.xreplace({b_param: b_dtype})),
    ("article/training_rule", "training memory (the article's 4x rule, fp32)", TRAINING_MEMORY_RULE.xreplace({b_param: 4})),
    ("article/activations", "activations (the article's formula)", ARTICLE_ACTIVATION_MEMORY),
    ("article/training_peak", "training peak (the article's formula)", ARTICLE_PEAK_MEMORY),
)


def workload_values(config: ModelConfig, batch: int, seq: int, n_params: int | None = None) -> dict:
    """Symbol values of ``config`` plus a batch and sequence length (and ``N``), keyed by symbol."""
    from .pipeline import count_params

    check.model_config("config", config)
    values = config.symbol_values()
    values[B] = check.positive_int("batch", batch)
    values[S] = check.positive_int("seq", seq)
    values[N] = count_params(config).total if n_params is None else check.positive_int("n_params", n_params)
    return values
