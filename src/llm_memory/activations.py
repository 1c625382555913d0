"""Every tensor a training forward pass saves for backward, one named term each (chapter 13).

The accounting follows the Hugging Face implementations (transformers 5.x,
PyTorch 2.13) of the ``gpt2`` family, the ``llama`` family (llama, mistral,
qwen2) and ``gpt_neox`` (parallel or serial residual, partial rotary), and is
checked to the byte against
:func:`llm_memory.measure.saved_tensor_bytes` on the CPU.  Its parameters:

* the compute dtype: ``fp32``, or ``bf16``/``fp16`` autocast with fp32 weights.
  Under autocast every linear layer saves a 16-bit copy of its weight and of
  its input (each layer casts the input on its own, so q, k and v save three
  copies); layer norm, RMSNorm, softmax and the loss stay in fp32, and so does
  the residual stream;
* the dropout probabilities of the config: with p > 0 dropout saves its mask,
  in the input's dtype on the CPU and as 1-byte booleans on CUDA;
* the activation: exact ``gelu`` saves its input, HF's tanh ``gelu_new`` four
  tensors of width d_ff, the gated ``silu`` its input, its output and the up
  projection;
* the attention implementation: ``eager`` stores the softmax output (fp32) and
  the probabilities that enter P V; ``sdpa`` with p = 0 runs a fused kernel
  that keeps q, k, v, the output and one fp32 log-sum-exp per row, never the
  S x S matrix; ``sdpa`` with p > 0 on the CPU falls back to the math kernel,
  which computes in fp32;
* the loss: fp32 log-probabilities of shape (B S, V), the shifted labels
  (int64) and one fp32 scalar.

The input token ids (int64) are saved by the embedding lookup and count too.
The package's older GPU settings (``memory.layer_saved_tensors``) and the
article's and Korthikanti's formulas are compared with this accounting in
chapter 13.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from . import memory
from . import validation as check
from .config import ModelConfig
from .evaluate import exact
from .symbols import B, L, S, V, d_ff, d_head, d_model, h, h_kv

DTYPES = ("fp32", "bf16", "fp16")
ATTENTIONS = ("eager", "sdpa")
DEVICES = ("cpu", "cuda")
FAMILIES = {"gpt2": "gpt2", "llama": "llama", "mistral": "llama", "qwen2": "llama", "gpt_neox": "gpt_neox"}


@dataclass(frozen=True)
class Regime:
    """How the training forward pass runs: compute dtype, attention kernel, device."""

    dtype: str = "fp32"
    attention: str = "eager"
    device: str = "cpu"

    def __post_init__(self):
        check.choice("dtype", self.dtype, DTYPES)
        check.choice("attention", self.attention, ATTENTIONS)
        check.choice("device", self.device, DEVICES)

    @property
    def activation_bytes(self) -> int:
        """Bytes per element of matmul inputs and of the feed-forward activations."""
        return 4 if self.dtype == "fp32" else 2

    @property
    def autocast(self) -> bool:
        return self.dtype != "fp32"

    def mask_bytes(self, input_bytes: int) -> int:
        """Bytes per element of a dropout mask: the input's width on the CPU, 1 on CUDA."""
        return input_bytes if self.device == "cpu" else 1


@dataclass(frozen=True)
class Term:
    """One saved tensor (or group of equal ones): name, how many per model, bytes each time."""

    name: str
    per_layer: bool
    bytes: sp.Expr


def _family(config: ModelConfig) -> str:
    if config.model_type not in FAMILIES:
        raise ValueError(
            f"model_type must be one of {', '.join(FAMILIES)} for the activation accounting; got {config.model_type!r}"
        )
    family = FAMILIES[config.model_type]
    if family == "gpt2" and not (config.n_positions and config.final_norm and config.attention_bias and config.mlp_bias):
        raise ValueError(f"config {config.name!r} is not laid out as transformers' GPT-2 (learned positions, biases, "
                         "final norm), so no real model code saves its tensors; the accounting needs a real layout")
    return family


def _attention_terms(config: ModelConfig, regime: Regime, family: str) -> list[Term]:
    a = regime.activation_bytes
    p = config.attention_dropout > 0
    heads_q = B * S * h * d_head  # query elements (also k, v after repeat_kv)
    heads_kv = B * S * h_kv * d_head
    scores = B * h * S**2
    terms: list[Term] = []
    # On CUDA the fused kernels also take dropout (not measured here: no GPU was
    # lent to the sessions that wrote this); on the CPU only p = 0 reaches them.
    if regime.attention == "sdpa" and (not p or regime.device == "cuda"):
        if family == "gpt2":
            # q and k are made contiguous; v stays a view into the fused qkv output.
            terms += [Term("query and key (contiguous copies)", True, 2 * a * heads_q),
                      Term("fused q, k, v projection output (holds v)", True, 3 * a * heads_q)]
        elif family == "gpt_neox":
            # q, k, v are cut per head from the fused projection and copied; the
            # kernel's output is kept apart from the (transposed) dense input.
            terms += [Term("query, key, value (copies)", True, 3 * a * heads_q),
                      Term("attention output (kernel layout)", True, a * heads_q)]
        else:
            terms += [Term("query (after rotary)", True, a * heads_q),
                      Term("key and value (h_kv heads, no repeat)", True, 2 * a * heads_kv)]
        # The kernel's output is saved too, but it is the storage the output
        # projection saves as its input ("merged heads"), so it counts once there.
        terms.append(Term("log-sum-exp per row (fp32)", True, 4 * B * h * S))
        return terms
    math_fallback = regime.attention == "sdpa" and regime.device == "cpu"
    if math_fallback:
        a = 4  # the CPU math fallback computes in fp32 whatever the autocast dtype
    if family == "gpt2" and not math_fallback:
        # With one sequence, the value needs no copy for the batched matmul: it
        # stays a view, and what is saved is the whole fused q, k, v output.
        terms.append(Term("query and key^T (copies for the batched matmuls)", True, 2 * a * heads_q))
        terms.append(Term("value (a copy; with B = 1 a view of the fused q, k, v output)", True,
                          sp.Piecewise((3 * a * heads_q, sp.Eq(B, 1)), (a * heads_q, True))))
    elif family == "llama" and not math_fallback and config.kv_heads == 1 < config.n_heads:
        # One KV head and one sequence: repeat_kv and the batched matmul need no
        # copy, so key and value stay views of the (B, 1, S, d_head) tensors
        # (an autocast cast of the key still makes a full copy).
        one = sp.Eq(B, 1)
        key_view = 4 * heads_kv if not regime.autocast else a * heads_q
        terms += [Term("query (copy for the batched matmul)", True, a * heads_q),
                  Term("key^T (a copy; with B = 1 a view of the one KV head)", True,
                       sp.Piecewise((key_view, one), (a * heads_q, True))),
                  Term("value (a copy; with B = 1 a view of the one KV head)", True,
                       sp.Piecewise((a * heads_kv, one), (a * heads_q, True)))]
    else:
        terms.append(Term("query, key^T, value (copies for the batched matmuls)", True, 3 * a * heads_q))
    terms.append(Term("softmax output (fp32)", True, 4 * scores))
    dropped = a if family == "gpt2" else 4  # GPT-2 casts the probabilities before dropout; the others after
    if p:
        terms.append(Term("attention dropout mask", True, regime.mask_bytes(dropped) * scores))
    if p or a != 4:
        terms.append(Term("probabilities entering P V", True, a * scores))
    return terms


def saved_tensor_terms(config: ModelConfig, regime: Regime = Regime()) -> list[Term]:
    """Every saved tensor of one training forward pass of ``config``, as named byte terms."""
    if not isinstance(regime, Regime):
        raise ValueError(f"regime must be a Regime, got {type(regime).__name__}")
    family = _family(config)
    if config.n_experts > 1:
        raise ValueError("the activation accounting does not cover mixtures of experts (routing depends on the data)")
    a = regime.activation_bytes
    r = 4  # the residual stream stays fp32 under autocast
    E = B * S * d_model
    F = B * S * d_ff
    heads_q = B * S * h * d_head
    auto = regime.autocast
    mlp_acts = {"gelu_new": 4, "gelu": 1, "gelu_pytorch_tanh": 1, "silu": 1}
    if config.activation not in mlp_acts:
        raise ValueError(f"activation must be one of {', '.join(mlp_acts)} for the activation accounting; "
                         f"got {config.activation!r}")
    terms: list[Term] = [Term("input token ids (int64)", False, 8 * B * S)]
    if family == "gpt2":
        terms.append(Term("position ids (int64)", False, 8 * S))
        if config.embedding_dropout > 0:
            terms.append(Term("embedding dropout mask", False, regime.mask_bytes(r) * E))
        norm = [Term("{} input (residual stream)", True, r * E), Term("{} mean and 1/std (fp32)", True, 8 * B * S)]
        terms += [Term(t.name.format("ln_1"), True, t.bytes) for t in norm]
        terms.append(Term("attention input (c_attn)", True, a * E))
        if auto:
            terms.append(Term("16-bit weight copies (c_attn, c_proj, c_fc, mlp c_proj)", True,
                              2 * (4 * d_model**2 + 2 * d_model * d_ff)))
        terms += _attention_terms(config, regime, family)
        terms.append(Term("merged heads (c_proj input)", True, a * E))
        if config.residual_dropout > 0:
            terms.append(Term("attention residual dropout mask", True, regime.mask_bytes(a) * E))
        terms += [Term(t.name.format("ln_2"), True, t.bytes) for t in norm]
        terms.append(Term("feed-forward input (c_fc)", True, a * E))
        n_gelu = mlp_acts[config.activation]
        terms.append(Term(f"{config.activation} tensors ({n_gelu} of width d_ff)", True, n_gelu * a * F))
        terms.append(Term("activation output (mlp c_proj input)", True, a * F))
        if config.residual_dropout > 0:
            terms.append(Term("feed-forward residual dropout mask", True, regime.mask_bytes(a) * E))
        terms += [Term(t.name.format("ln_f"), False, t.bytes) for t in norm]
    elif family == "gpt_neox":
        rotary = int(config.head_width * config.rotary_fraction)
        terms.append(Term(f"rotary cos and sin (fp32, {rotary} of each head's {config.head_width} channels)", False,
                          sp.Integer(2 * 4 * rotary) * S))
        if config.embedding_dropout > 0:
            terms.append(Term("embedding dropout mask", False, regime.mask_bytes(r) * E))
        terms += [Term("input_layernorm input (residual stream)", True, r * E),
                  Term("input_layernorm mean and 1/std (fp32)", True, 8 * B * S),
                  Term("query_key_value input", True, a * E)]
        if auto:
            terms.append(Term("16-bit weight copies (query_key_value, dense, dense_h_to_4h, dense_4h_to_h)", True,
                              2 * (4 * d_model**2 + 2 * d_model * d_ff)))
        terms += _attention_terms(config, regime, family)
        terms.append(Term("merged heads (dense input)", True, a * E))
        if config.residual_dropout > 0:
            terms.append(Term("attention branch dropout mask", True, regime.mask_bytes(a) * E))
        if not config.parallel_residual:  # the second norm reads x + attention, a new tensor
            terms.append(Term("post_attention_layernorm input (residual stream)", True, r * E))
        terms += [Term("post_attention_layernorm mean and 1/std (fp32)", True, 8 * B * S),
                  Term("dense_h_to_4h input", True, a * E)]
        n_act = mlp_acts[config.activation]
        terms.append(Term(f"{config.activation} tensors ({n_act} of width d_ff)", True, n_act * a * F))
        terms.append(Term("activation output (dense_4h_to_h input)", True, a * F))
        if config.residual_dropout > 0:
            terms.append(Term("feed-forward branch dropout mask", True, regime.mask_bytes(a) * E))
        terms += [Term("final_layer_norm input (residual stream)", False, r * E),
                  Term("final_layer_norm mean and 1/std (fp32)", False, 8 * B * S)]
    else:
        terms.append(Term("rotary cos and sin (fp32, shared by the layers)", False, 2 * 4 * S * d_head))
        norm = [Term("{} input (residual stream)", True, r * E), Term("{} 1/rms (fp32)", True, 4 * B * S),
                Term("{} normalized input (fp32)", True, 4 * E)]
        terms += [Term(t.name.format("input_layernorm"), True, t.bytes) for t in norm]
        terms.append(Term("q, k, v projection inputs" + (" (one 16-bit copy each)" if auto else " (the norm output)"),
                          True, 3 * 2 * E if auto else 4 * E))
        if auto:
            terms.append(Term("16-bit weight copies (q, k, v, o, gate, up, down)", True,
                              2 * (2 * d_model * h * d_head + 2 * d_model * h_kv * d_head + 3 * d_model * d_ff)))
        terms += _attention_terms(config, regime, family)
        terms.append(Term("merged heads (o_proj input)", True, a * heads_q))
        terms += [Term(t.name.format("post_attention_layernorm"), True, t.bytes) for t in norm]
        terms.append(Term("gate and up projection inputs" + (" (one 16-bit copy each)" if auto else " (the norm output)"),
                          True, 2 * 2 * E if auto else 4 * E))
        terms.append(Term("SiLU input, SiLU output, up projection, down projection input", True, 4 * a * F))
        terms += [Term(t.name.format("final norm"), False, t.bytes) for t in norm]
    terms.append(Term("output-layer input", False, a * E))
    if auto:
        terms.append(Term("16-bit copy of the output-layer weight", False, 2 * V * d_model))
    terms += [
        Term("log-probabilities (fp32)", False, 4 * B * S * V),
        # labels padded by one and shifted: with one sequence the shift is a view
        # of the padded (1, S + 1) tensor, so its storage holds one more int64.
        Term("shifted labels (int64)", False, sp.Piecewise((8 * (S + 1), sp.Eq(B, 1)), (8 * B * S, True))),
        Term("loss normalizer (fp32 scalar)", False, sp.Integer(4)),
    ]
    return [t for t in terms if t.bytes != 0]


def saved_bytes_expr(config: ModelConfig, regime: Regime = Regime()) -> sp.Expr:
    """Total bytes saved for backward by one training forward pass, as one expression."""
    return sp.Add(*((L * t.bytes) if t.per_layer else t.bytes for t in saved_tensor_terms(config, regime)))


def _values(config: ModelConfig, batch: int, seq: int) -> dict:
    values = {**config.symbol_values(), B: check.positive_int("batch", batch), S: check.positive_int("seq", seq)}
    values.setdefault(h_kv, config.kv_heads)
    values.setdefault(d_head, config.head_width)
    return values


def predict_saved_bytes(config: ModelConfig, batch: int, seq: int, regime: Regime = Regime()) -> int:
    """Predicted bytes saved for backward (exact int) for a batch of ``batch`` sequences of ``seq`` tokens."""
    return exact(saved_bytes_expr(config, regime), _values(config, batch, seq))


def predict_breakdown(config: ModelConfig, batch: int, seq: int, regime: Regime = Regime()) -> dict[str, int]:
    """Bytes of each term for the whole model (per-layer terms times L)."""
    values = _values(config, batch, seq)
    return {t.name: exact(L * t.bytes if t.per_layer else t.bytes, values) for t in saved_tensor_terms(config, regime)}


# --- one training step: states and the peak (chapter 13) ---------------------------------------

#: Bytes per parameter of optimizer state (fp32), and the per-tensor extras:
#: AdamW keeps a 4-byte step counter per parameter tensor; during its update
#: (``foreach=False``) the largest tensor needs two temporaries of its size
#: (``exp_avg_sq.sqrt()`` and its division by the bias correction).
OPTIMIZERS = {
    name: {"state": memory.OPTIMIZER_STATE_BYTES[name], **extras}
    for name, extras in {
        "adamw": {"per_tensor": 4, "temporaries": 2},
        "sgd_momentum": {"per_tensor": 0, "temporaries": 0},
        "sgd": {"per_tensor": 0, "temporaries": 0},
    }.items()
}


def parameter_tensors(config: ModelConfig) -> list[tuple[str, int]]:
    """Every parameter tensor of the real model as (name, number of elements), tied weights once.

    The tests compare this list with ``model.named_parameters()`` of transformers.
    """
    family = _family(config)
    d, f, v = config.d_model, config.d_ff, config.vocab_size
    q = config.n_heads * config.head_width
    kv = config.kv_heads * config.head_width
    tensors = [("token embedding", v * d)]
    layer: list[tuple[str, int]]
    if family == "gpt2":
        tensors.append(("position embedding", config.n_positions * d))
        layer = [("ln_1.weight", d), ("ln_1.bias", d), ("attn.c_attn.weight", d * 3 * d), ("attn.c_attn.bias", 3 * d),
                 ("attn.c_proj.weight", d * d), ("attn.c_proj.bias", d), ("ln_2.weight", d), ("ln_2.bias", d),
                 ("mlp.c_fc.weight", d * f), ("mlp.c_fc.bias", f), ("mlp.c_proj.weight", f * d), ("mlp.c_proj.bias", d)]
        final = [("ln_f.weight", d), ("ln_f.bias", d)]
    elif family == "gpt_neox":
        layer = [("input_layernorm.weight", d), ("input_layernorm.bias", d),
                 ("post_attention_layernorm.weight", d), ("post_attention_layernorm.bias", d),
                 ("attention.query_key_value.weight", 3 * d * d), ("attention.dense.weight", d * d)]
        if config.attention_bias:
            layer += [("attention.query_key_value.bias", 3 * d), ("attention.dense.bias", d)]
        layer += [("mlp.dense_h_to_4h.weight", f * d), ("mlp.dense_h_to_4h.bias", f),
                  ("mlp.dense_4h_to_h.weight", d * f), ("mlp.dense_4h_to_h.bias", d)]
        final = [("final_layer_norm.weight", d), ("final_layer_norm.bias", d)]
    else:
        layer = [("q_proj.weight", q * d), ("k_proj.weight", kv * d), ("v_proj.weight", kv * d)]
        if config.attention_bias:
            layer += [("q_proj.bias", q), ("k_proj.bias", kv), ("v_proj.bias", kv)]
        layer.append(("o_proj.weight", d * q))
        if config.has_output_bias:
            layer.append(("o_proj.bias", d))
        layer += [("gate_proj.weight", f * d), ("up_proj.weight", f * d), ("down_proj.weight", d * f)]
        if config.mlp_bias:
            layer += [("gate_proj.bias", f), ("up_proj.bias", f), ("down_proj.bias", d)]
        layer += [("input_layernorm.weight", d), ("post_attention_layernorm.weight", d)]
        final = [("norm.weight", d)]
    for i in range(config.n_layers):
        tensors += [(f"layers.{i}.{name}", n) for name, n in layer]
    tensors += final
    if not config.tied_embeddings:
        tensors.append(("lm_head.weight", v * d))
    return tensors


def buffer_bytes(config: ModelConfig) -> int:
    """Bytes of the model's buffers: rotary frequencies (twice rotary width / 2 fp32 values)."""
    family = _family(config)
    if family == "gpt2":
        return 0
    rotary = int(config.head_width * config.rotary_fraction) if family == "gpt_neox" else config.head_width
    return 2 * 4 * (rotary // 2)


def training_step_terms(config: ModelConfig, batch: int, seq: int, regime: Regime = Regime(),
                        optimizer: str = "adamw") -> dict[str, int]:
    """Named bytes of one training step (exact ints): states, saved activations, transients.

    The weights stay fp32 under autocast (they are the master weights); the
    16-bit weight copies autocast makes are among the saved tensors.
    """
    check.choice("optimizer", optimizer, OPTIMIZERS)
    spec = OPTIMIZERS[optimizer]
    tensors = parameter_tensors(config)
    n_params = sum(n for _, n in tensors)
    embedding = config.vocab_size * config.d_model
    if config.tied_embeddings:  # lm_head and embedding gradients, and their sum
        embedding_backward = 3 * 4 * embedding
    else:  # the embedding's dense gradient and the incoming (B S, d_model) gradient
        embedding_backward = 4 * embedding + 4 * batch * seq * config.d_model
    return {
        "weights (fp32)": 4 * n_params,
        "buffers": buffer_bytes(config),
        "gradients (fp32)": 4 * n_params,
        "optimizer states": spec["state"] * n_params + spec["per_tensor"] * len(tensors),
        "saved activations": predict_saved_bytes(config, batch, seq, regime),
        "input token ids (int64, made before the step)": 8 * batch * seq,
        "loss gradient and log-softmax backward (two fp32 B S x V)": 2 * 4 * batch * seq * config.vocab_size,
        "embedding backward (last step of backward)": embedding_backward,
        "embedding gradient (fp32)": 4 * embedding,
        "optimizer temporaries (largest tensor)": spec["temporaries"] * 4 * max(n for _, n in tensors),
    }


def peak_candidates(config: ModelConfig, batch: int, seq: int, regime: Regime = Regime(),
                    optimizer: str = "adamw") -> dict[str, int]:
    """Memory at the three moments of a training step where the peak can fall (chapter 13).

    * start of the backward pass: weights, buffers and optimizer states, every
      saved tensor, the fp32 gradient of the log-probabilities and the output
      of the log-softmax backward (``2 x 4 B S V``) and the 4-byte loss
      gradient; no gradients yet (``zero_grad(set_to_none=True)``);
    * end of the backward pass: every gradient but the embedding's, plus the
      tensors of the embedding backward;
    * the optimizer update: weights, gradients, states and the update's temporaries.

    As PyTorch's ``MemTracker`` counts on the CPU: the input ids are made before
    the step, so it does not see them.
    """
    t = training_step_terms(config, batch, seq, regime, optimizer)
    static = t["weights (fp32)"] + t["buffers"] + t["optimizer states"]
    return {
        "start of backward": static + t["saved activations"] - t["input token ids (int64, made before the step)"]
        + t["loss gradient and log-softmax backward (two fp32 B S x V)"] + 4,
        "end of backward": static + t["gradients (fp32)"] - t["embedding gradient (fp32)"]
        + t["embedding backward (last step of backward)"],
        "optimizer update": static + t["gradients (fp32)"] + t["optimizer temporaries (largest tensor)"],
    }


def predict_peak_bytes(config: ModelConfig, batch: int, seq: int, regime: Regime = Regime(),
                       optimizer: str = "adamw") -> int:
    """Peak bytes of one steady training step: the largest of :func:`peak_candidates`.

    Scope: the candidates leave out the moment inside a layer's backward pass
    when its feed-forward gradients are alive.  That moment wins when the
    vocabulary is small next to the feed-forward width (toy models with
    ``V = 101`` and ``d_ff = 240`` show it).  The tests and ``benchmarks/``
    check the prediction within 1 % of ``MemTracker`` for ``V`` from about
    ``d_ff`` to ``10 d_ff``; several presets (GPT-3, Llama-2-70B: ``V`` near
    ``d_ff``) sit at the low end of that range.  For the llama family the
    prediction is ``8 B S`` bytes above the measurement (one int64 ``(B, S)``
    tensor the tracker does not count at that moment; not traced).
    """
    return max(peak_candidates(config, batch, seq, regime, optimizer).values())
