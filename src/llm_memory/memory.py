"""Memory of a Transformer language model, as SymPy expressions (bytes).

* model memory per dtype (chapter 5),
* the article's working-memory rules of thumb and the KV cache (chapter 6),
* steady-state training memory, ``16N + 8BS`` (chapter 7),
* activation memory: the article's terms exactly as printed, and a complete
  accounting of every tensor a GPT-2 layer saves for backward (chapter 8),
* peak training memory (chapter 8).

Sources: the article's sections "Model memory" to "Total peak memory";
E. Rees (2023), "Transformer Memory Arithmetic", which the article's memory
section garbles; Korthikanti et al. 2022, section 4.1 (activations per layer,
``34 s b h + 5 a s^2 b``); Rajbhandari et al. 2020, section 3.1 (16 bytes per
parameter for mixed-precision Adam).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from . import validation as check
from .config import ModelConfig
from .evaluate import exact
from .symbols import B, L, N, S, V, b_param, d_ff, d_head, d_model, h, h_kv

# --- storage types --------------------------------------------------------------------

#: Bits per stored value of each supported dtype.
DTYPE_BITS: dict[str, int] = {"fp32": 32, "fp16": 16, "bf16": 16, "int8": 8, "int4": 4}


def bytes_per_param(dtype: str) -> sp.Rational:
    """Bytes per parameter of ``dtype`` as an exact rational (int4 is 1/2)."""
    check.choice("dtype", dtype, DTYPE_BITS)
    return sp.Rational(DTYPE_BITS[dtype], 8)


def _whole_bytes(value: int | Fraction) -> int:
    """Round a byte count up: packed 4-bit storage of an odd count needs one more byte."""
    return int(value) if isinstance(value, int) else -(-value.numerator // value.denominator)


# --- chapter 5: model memory ------------------------------------------------------------

#: Model memory: every parameter stored once at ``b_param`` bytes.
model_memory = N * b_param


def model_memory_bytes(n_params: int, dtype: str = "fp32") -> int:
    """Bytes to hold ``n_params`` parameters in ``dtype`` (chapter 5)."""
    check.positive_int("n_params", n_params)
    return _whole_bytes(exact(model_memory, {N: n_params, b_param: bytes_per_param(dtype)}))


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

#: fp32 bytes per parameter of optimizer state, by optimizer.
OPTIMIZER_STATE_BYTES: dict[str, int] = {"adamw": 8, "sgd_momentum": 4, "sgd": 0}


def steady_state_terms(optimizer: str = "adamw") -> dict[str, sp.Expr]:
    """Named terms of steady-state training memory in fp32 (chapter 7).

    Weights (4 bytes each), gradients (4), optimizer state (8 for Adam/AdamW:
    first and second moments; 4 for SGD with momentum; 0 for plain SGD) and the
    batch of ``int64`` token ids, ``8 B S`` bytes (the article's ``8BD``).
    """
    check.choice("optimizer", optimizer, OPTIMIZER_STATE_BYTES)
    terms = {
        "weights (fp32)": 4 * N,
        "gradients (fp32)": 4 * N,
        "optimizer states": OPTIMIZER_STATE_BYTES[optimizer] * N,
        "input token ids (int64)": 8 * B * S,
    }
    if not OPTIMIZER_STATE_BYTES[optimizer]:
        del terms["optimizer states"]
    return terms


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


@dataclass(frozen=True)
class SavedTensor:
    """One tensor autograd keeps for the backward pass.

    ``elements`` is its number of elements (an expression), ``bytes_per_element``
    its storage width; ``where`` names the operation that saves it.
    """

    name: str
    where: str
    elements: sp.Expr
    bytes_per_element: int

    @property
    def bytes(self) -> sp.Expr:
        return self.elements * self.bytes_per_element


@dataclass(frozen=True)
class Precision:
    """Storage widths (bytes) of the tensors a training step saves.

    ``activation``: inputs of matrix multiplies and the GELU; ``residual``: the
    residual stream, which layer norms save; ``softmax``: attention
    probabilities; ``mask``: dropout masks.  ``dropout`` says whether dropout is
    active (p > 0) and so saves masks.
    """

    name: str
    activation: int
    residual: int
    softmax: int
    mask: int
    dropout: bool = True


#: Settings of chapter 8.  ``gpu-mixed`` is PyTorch autocast to 16 bits with
#: fp32 weights on a GPU (nanoGPT, Rees 2023): layer norm and softmax run in
#: fp32, dropout masks are 1-byte booleans.  ``korthikanti`` is Megatron-LM's
#: setting (everything 16-bit, fused fp16 softmax).  ``gpu-fp32`` is plain fp32.
PRECISIONS: dict[str, Precision] = {
    p.name: p
    for p in (
        Precision("gpu-mixed", activation=2, residual=4, softmax=4, mask=1),
        Precision("korthikanti", activation=2, residual=2, softmax=2, mask=1),
        Precision("gpu-fp32", activation=4, residual=4, softmax=4, mask=1),
    )
}


def precision(name: str) -> Precision:
    check.choice("precision", name, PRECISIONS)
    return PRECISIONS[name]


def layer_saved_tensors(setting: str = "gpu-mixed") -> list[SavedTensor]:
    """Every tensor one GPT-2 layer saves for backward (chapter 8).

    GPT-2 block with eager attention and exact GELU: ``x + attn(ln_1(x))``
    then ``x + mlp(ln_2(x))``, dropout after the attention probabilities and
    after each residual branch.  The query, key and value are saved as three
    contiguous copies made for the batched matrix products; the projection
    output they are cut from is not saved.
    """
    p = precision(setting)
    E = B * S * d_model
    scores = B * h * S**2
    saved = [
        SavedTensor("ln_1 input (residual stream)", "ln_1", E, p.residual),
        SavedTensor("ln_1 mean and 1/std", "ln_1", 2 * B * S, 4),
        SavedTensor("attention input (ln_1 output)", "c_attn", E, p.activation),
        SavedTensor("query, key, value", "Q K^T and P V (contiguous copies)", 3 * E, p.activation),
        SavedTensor("attention probabilities", "softmax", scores, p.softmax),
    ]
    if p.dropout:
        saved.append(SavedTensor("attention dropout mask", "attn_dropout", scores, p.mask))
    if p.dropout or p.softmax != p.activation:
        saved.append(SavedTensor("probabilities entering P V", "P V", scores, p.activation))
    saved.append(SavedTensor("merged heads (projection input)", "c_proj", E, p.activation))
    if p.dropout:
        saved.append(SavedTensor("attention residual dropout mask", "resid_dropout", E, p.mask))
    saved += [
        SavedTensor("ln_2 input (residual stream)", "ln_2", E, p.residual),
        SavedTensor("ln_2 mean and 1/std", "ln_2", 2 * B * S, 4),
        SavedTensor("feed-forward input (ln_2 output)", "c_fc", E, p.activation),
        SavedTensor("GELU input", "gelu", B * S * d_ff, p.activation),
        SavedTensor("GELU output (second linear input)", "mlp c_proj", B * S * d_ff, p.activation),
    ]
    if p.dropout:
        saved.append(SavedTensor("feed-forward residual dropout mask", "mlp dropout", E, p.mask))
    return saved


def head_saved_tensors(setting: str = "gpu-mixed") -> list[SavedTensor]:
    """Tensors saved outside the layers: embedding dropout, final norm, loss (chapter 8).

    The cross-entropy runs in fp32 even under autocast, so its log-softmax
    output is ``4 B S V`` bytes whatever the setting.
    """
    p = precision(setting)
    E = B * S * d_model
    saved = []
    if p.dropout:
        saved.append(SavedTensor("embedding dropout mask", "drop", E, p.mask))
    saved += [
        SavedTensor("ln_f input (residual stream)", "ln_f", E, p.residual),
        SavedTensor("ln_f mean and 1/std", "ln_f", 2 * B * S, 4),
        SavedTensor("output-layer input (ln_f output)", "lm_head", E, p.activation),
        SavedTensor("log-probabilities (fp32)", "cross-entropy", B * S * V, 4),
    ]
    return saved


def layer_activation_memory(setting: str = "gpu-mixed") -> sp.Expr:
    """Bytes saved for backward by one layer (sum of :func:`layer_saved_tensors`)."""
    return sp.Add(*(t.bytes for t in layer_saved_tensors(setting)))


def activation_memory(setting: str = "gpu-mixed") -> sp.Expr:
    """Bytes saved for backward by one training forward pass of the whole model."""
    return L * layer_activation_memory(setting) + sp.Add(*(t.bytes for t in head_saved_tensors(setting)))


def logits_bytes(setting: str = "gpu-mixed") -> sp.Expr:
    """The logits tensor the model returns: alive until the step ends, though not saved."""
    return B * S * V * precision(setting).activation


def peak_memory(setting: str = "gpu-mixed", optimizer: str = "adamw") -> sp.Expr:
    """Peak training memory at the start of the backward pass (chapter 8).

    Steady state + saved activations + the returned logits + the fp32 gradient
    of the log-probabilities (``4 B S V``, the article's extra term).
    """
    steady = sp.Add(*steady_state_terms(optimizer).values())
    return steady + activation_memory(setting) + logits_bytes(setting) + 4 * B * S * V


def workload_values(config: ModelConfig, batch: int, seq: int, n_params: int | None = None) -> dict:
    """Symbol values of ``config`` plus a batch and sequence length (and ``N``)."""
    from .parameters import count_params

    values = config.symbol_values()
    values[B] = check.positive_int("batch", batch)
    values[S] = check.positive_int("seq", seq)
    values[N] = count_params(config).total if n_params is None else check.positive_int("n_params", n_params)
    return values
