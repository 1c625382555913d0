"""Every tensor a training forward pass saves for backward, one keyed term each (chapter 13).

The accounting follows the Hugging Face implementations (transformers 5.x,
PyTorch 2.13) of the ``gpt2`` family, the ``llama`` family (llama, mistral,
qwen2) and ``gpt_neox`` (parallel or serial residual, partial rotary), and is
checked to the byte against :func:`everybyte.measure.saved_tensor_bytes` on
the CPU.  Each family's terms are one static list of SymPy expressions; what
varies from run to run is a symbol:

* the compute dtype, through ``x_auto`` (16-bit autocast with fp32 weights).
  Under autocast every linear layer saves a 16-bit copy of its weight and of
  its input; layer norm, RMSNorm, softmax and the loss stay in fp32, and so
  does the residual stream (``b_res`` and ``b_soft`` are 4 in every setup
  transformers runs; chapter 8's Megatron-style view sets them to 2);
* the dropout switches ``p_embd``, ``p_attn``, ``p_resid``: with p > 0 dropout
  saves its mask, in the input's dtype on the CPU and as 1-byte booleans on
  CUDA (``x_cuda``);
* the activation, through ``n_act``: exact ``gelu`` saves its input, HF's tanh
  ``gelu_new`` four tensors of width d_ff; the gated SiLU of the llama family
  its input, its output and the up projection;
* the attention kernel, ``x_sdpa``: eager attention stores the softmax output
  and the probabilities that enter P V; ``sdpa`` with p = 0 (or on CUDA) runs a
  fused kernel that keeps q, k, v, the output and one fp32 log-sum-exp per
  row, never the S x S matrix; ``sdpa`` with p > 0 on the CPU falls back to
  the math kernel, which computes in fp32;
* the loss: fp32 log-probabilities of shape (B S, V), the shifted labels
  (int64) and one fp32 scalar.

Chapter 8's idealised GPU settings are views of this accounting
(:func:`chapter_8_view`): the GPT-2 terms with the GPU's switches substituted
and the bookkeeping tensors left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .parameters import general_attention_weights, general_feed_forward_weights
from .symbols import (
    B, L, S, V, attention_softcap, autocast, b_res, b_soft, cuda, d_ff, d_head, d_model, d_rot, dropout_attention,
    logit_softcap, L_slide, w_slide,
    dropout_embedding, dropout_residual, h, h_kv, n_act, one_kv_head, parallel_residual, sdpa,
)
from .terms import Term

#: Tags: tensors that are not activations in the usual sense (integer ids, the
#: loss scalar) and autocast's 16-bit weight copies, which scale with the
#: weights rather than the workload.
BOOKKEEPING = "bookkeeping"
WEIGHT_COPIES = "weight-copies"
SECTION = {"gpt2": "sec-saved-gpt2", "llama": "sec-saved-llama", "gpt_neox": "sec-saved-gpt-neox",
           "qwen3": "sec-zoo-activations", "olmo2": "sec-zoo-activations", "phi3": "sec-zoo-activations",
           "starcoder2": "sec-zoo-activations", "gemma2": "sec-zoo-activations", "gemma3": "sec-zoo-activations"}

# --- the setup, as expressions of the switches ------------------------------------------

#: Bytes per element of matmul inputs and feed-forward activations.
matmul_bytes = 4 - 2 * autocast
#: 1 for eager attention.
eager = 1 - sdpa
#: 1 when scaled_dot_product_attention runs a fused kernel (p = 0, or CUDA).
fused = sdpa * (1 - dropout_attention * (1 - cuda))
#: 1 when it falls back to the math kernel (p > 0 on the CPU), which computes in fp32.
math_fallback = sdpa * dropout_attention * (1 - cuda)
#: Bytes per element of the q, k, v copies the attention saves (fp32 in the fallback).
qkv_bytes = (eager + fused) * matmul_bytes + math_fallback * 4
#: Bytes per element inside the unfused attention (eager: the compute dtype; fallback: fp32).
unfused_bytes = eager * matmul_bytes + math_fallback * 4


def mask_bytes(input_bytes) -> sp.Expr:
    """Bytes per element of a dropout mask: the input's width on the CPU, a 1-byte boolean on CUDA."""
    return cuda + (1 - cuda) * input_bytes


E = B * S * d_model  # elements of one (B, S, d_model) tensor
F = B * S * d_ff  # (B, S, d_ff)
heads_q = B * S * h * d_head  # (B, h, S, d_head): the query (and k, v after repeat_kv)
heads_kv = B * S * h_kv * d_head  # (B, h_kv, S, d_head)
scores = B * h * S**2  # (B, h, S, S)
one_sequence = sp.Eq(B, 1)


def _t(family, key, label, each, per_layer=True, tags=()):
    return Term(f"activations/{key}", label, each, L if per_layer else 1, {"activations", *tags}, SECTION[family])


def _scores(family, dropped_bytes) -> list[Term]:
    """The S x S tensors of unfused attention: softmax output, dropout mask, probabilities entering P V."""
    unfused = 1 - fused
    # The probabilities are saved again by P V when dropout or a dtype cast made a new tensor.
    probabilities = eager * (dropout_attention + autocast - dropout_attention * autocast) * matmul_bytes
    probabilities += math_fallback * 4
    return [
        _t(family, "layer/attention/softmax", "softmax output (fp32)", unfused * b_soft * scores),
        _t(family, "layer/attention/dropout_mask", "attention dropout mask",
           unfused * dropout_attention * mask_bytes(dropped_bytes) * scores),
        _t(family, "layer/attention/probabilities", "probabilities entering P V", probabilities * scores),
        _t(family, "layer/attention/log_sum_exp", "log-sum-exp per row (fp32, fused kernel)", fused * 4 * B * h * S),
    ]


def _tail(family, output_weight_copy=True) -> list[Term]:
    terms = [_t(family, "lm_head/input", "output-layer input", matmul_bytes * E, per_layer=False)]
    if output_weight_copy:
        terms.append(_t(family, "lm_head/weight_copy", "16-bit copy of the output-layer weight",
                        autocast * 2 * V * d_model, per_layer=False, tags=(WEIGHT_COPIES,)))
    return terms + [
        _t(family, "loss/log_probabilities", "log-probabilities (fp32)", 4 * B * S * V, per_layer=False),
        # labels padded by one and shifted: with one sequence the shift is a view
        # of the padded (1, S + 1) tensor, so its storage holds one more int64.
        _t(family, "loss/labels", "shifted labels (int64)",
           sp.Piecewise((8 * (S + 1), one_sequence), (8 * B * S, True)), per_layer=False, tags=(BOOKKEEPING,)),
        _t(family, "loss/normalizer", "loss normalizer (fp32 scalar)", sp.Integer(4), per_layer=False,
           tags=(BOOKKEEPING,)),
    ]


def _input_ids(family) -> Term:
    return _t(family, "input_ids", "input token ids (int64)", 8 * B * S, per_layer=False, tags=(BOOKKEEPING,))


def _embedding_dropout(family) -> Term:
    return _t(family, "embedding_dropout_mask", "embedding dropout mask", dropout_embedding * mask_bytes(b_res) * E,
              per_layer=False)


def _weight_copies(family, names) -> Term:
    # Under autocast every linear layer saves a 16-bit copy of its weight: two
    # bytes for each weight of the layer's attention and feed-forward matrices.
    return _t(family, "layer/weight_copies", f"16-bit weight copies ({names})",
              autocast * 2 * (general_attention_weights + general_feed_forward_weights), tags=(WEIGHT_COPIES,))


def _plain_mlp(family, names: tuple[str, str]) -> list[Term]:
    """The two-matrix feed-forward block (GPT-2, GPT-NeoX): input, activation, its output, dropout mask."""
    first, second = names
    return [
        _t(family, "layer/mlp/input", f"feed-forward input ({first} input)", matmul_bytes * E),
        _t(family, "layer/mlp/activation", "activation tensors (n_act of width d_ff)", n_act * matmul_bytes * F),
        _t(family, "layer/mlp/activation_output", f"activation output ({second} input)", matmul_bytes * F),
        _t(family, "layer/mlp/residual_dropout_mask", "feed-forward residual dropout mask",
           dropout_residual * mask_bytes(matmul_bytes) * E),
    ]


def _layer_norm(family, key, name) -> list[Term]:
    return [_t(family, f"layer/{key}/input", f"{name} input (residual stream)", b_res * E),
            _t(family, f"layer/{key}/statistics", f"{name} mean and 1/std (fp32)", 8 * B * S)]


def _gpt2() -> list[Term]:
    f = "gpt2"
    value = (eager * sp.Piecewise((3 * matmul_bytes * heads_q, one_sequence), (matmul_bytes * heads_q, True))
             + fused * 3 * matmul_bytes * heads_q + math_fallback * 4 * heads_q)
    return [
        _input_ids(f),
        _t(f, "position_ids", "position ids (int64)", 8 * S, per_layer=False, tags=(BOOKKEEPING,)),
        _embedding_dropout(f),
        *_layer_norm(f, "norm_1", "ln_1"),
        _t(f, "layer/attention/input", "attention input (c_attn input)", matmul_bytes * E),
        _weight_copies(f, "c_attn, c_proj, c_fc, mlp c_proj"),
        _t(f, "layer/attention/query_key", "query and key (copies for the matmul or the kernel)",
           2 * qkv_bytes * heads_q),
        # The value is a copy, except with sdpa and with one sequence: then it is
        # a view, and the whole fused q, k, v output it lives in is what is saved.
        _t(f, "layer/attention/value", "value (a copy; with sdpa or B = 1 the fused q, k, v output holding it)",
           value),
        *_scores(f, dropped_bytes=unfused_bytes),  # GPT-2 casts the probabilities before dropout
        _t(f, "layer/attention/merged_heads", "merged heads (c_proj input)", matmul_bytes * E),
        _t(f, "layer/attention/residual_dropout_mask", "attention residual dropout mask",
           dropout_residual * mask_bytes(matmul_bytes) * E),
        *_layer_norm(f, "norm_2", "ln_2"),
        *_plain_mlp(f, ("c_fc", "mlp c_proj")),
        _t(f, "final_norm/input", "ln_f input (residual stream)", b_res * E, per_layer=False),
        _t(f, "final_norm/statistics", "ln_f mean and 1/std (fp32)", 8 * B * S, per_layer=False),
        *_tail(f),
    ]


def _norm(f, key, name, *, kind="rms", width=d_model, rows=B * S, elements=None, input_bytes=b_res,
          normalized_bytes=4, per_layer=True, what="residual stream") -> list[Term]:
    """What a norm saves: its fp32 input, its statistics, its normalized output, Gemma's 1 + weight.

    ``kind``: ``"rms"`` (Llama, Qwen3: 1/rms per row, the normalized input in
    the input's dtype), ``"rms_fp32"`` (OLMo 2: the weight multiplies the fp32
    normalized input), ``"gemma"`` (the weight enters as ``1 + weight``, a new
    fp32 vector of ``width``), ``"layer"`` (LayerNorm: mean and 1/std per row).
    """
    elements = B * S * width if elements is None else elements
    prefix = f"layer/{key}" if per_layer else key
    terms = [_t(f, f"{prefix}/input", f"{name} input ({what})", input_bytes * elements, per_layer)]
    if kind == "layer":
        return terms + [_t(f, f"{prefix}/statistics", f"{name} mean and 1/std (fp32)", 8 * rows, per_layer)]
    terms += [_t(f, f"{prefix}/statistics", f"{name} 1/rms (fp32)", 4 * rows, per_layer),
              _t(f, f"{prefix}/normalized", f"{name} normalized input ({_dtype_words(normalized_bytes)})",
                 normalized_bytes * elements, per_layer)]
    if kind == "gemma":
        terms.append(_t(f, f"{prefix}/scale", f"{name} 1 + weight (fp32)", 4 * width, per_layer))
    return terms


def _dtype_words(element_bytes) -> str:
    return "fp32" if element_bytes == 4 else "the compute dtype"


def _rms_norm(key, name, per_layer=True) -> list[Term]:
    return _norm("llama", key, name, per_layer=per_layer)


def _llama_style(f="llama", *, norm="rms", sandwich=False, post_norms=False, qk_norm=None, fused_qkv=False,
                 mlp="gated", fused_gate_up=False, softcaps=False, rotary_keeps_dtype=False,
                 weight_copies="q, k, v, o, gate, up, down") -> list[Term]:
    """The saved tensors of the llama-style decoders (chapters 13 and 14), one option per difference.

    ``norm``: the norm kind of every norm (see :func:`_norm`); ``sandwich``:
    four norms a layer (Gemma 2/3: before and after attention and MLP);
    ``post_norms``: the two norms after attention and MLP, none before
    (OLMo 2); ``qk_norm``: ``"head"`` or ``"full"`` norms of q and k;
    ``fused_qkv``/``fused_gate_up``: one projection for q, k, v / gate and up
    (Phi-3), so one 16-bit input copy instead of three / two; ``mlp``:
    ``"gated"`` (SwiGLU, GeGLU) or ``"plain"`` (StarCoder2's c_fc, c_proj);
    ``softcaps``: Gemma's tanh caps of the scores and the logits (switches
    ``x_acap``, ``x_lcap``), which keep their outputs.  ``rotary_keeps_dtype``:
    the rotary embedding casts q and k back to their dtype (OLMo 2), so under
    autocast the scores are 16-bit before dropout and a single key head
    stays a view.
    """
    unfused_plain = eager * (1 - one_kv_head) * matmul_bytes * heads_q + math_fallback * 4 * heads_q
    # One KV head and one sequence: repeat_kv and the batched matmul need no
    # copy, so key and value stay views of the (B, 1, S, d_head) tensors (an
    # autocast cast of the key still makes a full copy).
    key_view = (1 - autocast) * 4 * heads_kv + autocast * matmul_bytes * heads_q
    if rotary_keeps_dtype:  # the key is already 16-bit: autocast makes no copy of it
        key_view = matmul_bytes * heads_kv
    one_head = eager * one_kv_head
    layer_norm = dict(kind=norm)
    names = ("input_layernorm", "post_attention_layernorm")
    terms = [
        _input_ids(f),
        _t(f, "rotary", "rotary cos and sin (fp32, shared by the layers)", 2 * 4 * S * d_head, per_layer=False),
    ]
    if not post_norms:
        terms += _norm(f, "norm_1", names[0], **layer_norm)
    if fused_qkv:
        terms.append(_t(f, "layer/attention/input", "qkv projection input (the norm output, or a 16-bit copy)",
                        matmul_bytes * E))
    else:
        terms.append(_t(f, "layer/attention/input",
                        "q, k, v projection inputs (the norm output; under autocast a 16-bit copy each)",
                        autocast * 3 * 2 * E + (1 - autocast) * 4 * E))
    terms.append(_weight_copies(f, weight_copies))
    if qk_norm is not None:
        # q and k norms read the projections' outputs as fp32 (a copy under autocast)
        rows_q, rows_k = (B * S * h, B * S * h_kv) if qk_norm == "head" else (B * S, B * S)
        kind = "rms_fp32" if norm == "rms_fp32" else norm
        normalized = 4 if kind in ("rms_fp32", "gemma") else matmul_bytes
        terms += _norm(f, "q_norm", "q_norm", kind=kind, width=d_head if qk_norm == "head" else h * d_head,
                       rows=rows_q, elements=heads_q, input_bytes=4, normalized_bytes=normalized,
                       what="the query projection, fp32")
        terms += _norm(f, "k_norm", "k_norm", kind=kind, width=d_head if qk_norm == "head" else h_kv * d_head,
                       rows=rows_k, elements=heads_kv, input_bytes=4, normalized_bytes=normalized,
                       what="the key projection, fp32")
    terms += [
        _t(f, "layer/attention/query", "query (after rotary; a copy for the matmul or the kernel)",
           qkv_bytes * heads_q),
        _t(f, "layer/attention/key", "key (h_kv heads into the fused kernel; a copy of all h heads otherwise)",
           fused * matmul_bytes * heads_kv + unfused_plain
           + one_head * sp.Piecewise((key_view, one_sequence), (matmul_bytes * heads_q, True))),
        _t(f, "layer/attention/value", "value (h_kv heads into the fused kernel; a copy of all h heads otherwise)",
           fused * matmul_bytes * heads_kv + unfused_plain
           + one_head * sp.Piecewise((matmul_bytes * heads_kv, one_sequence), (matmul_bytes * heads_q, True))),
        # the llama family casts the probabilities after dropout (they are fp32 when q is); with
        # q and k cast back to 16 bits after rotary they are 16-bit already
        *_scores(f, dropped_bytes=unfused_bytes if rotary_keeps_dtype else 4),
    ]
    # Sliding-window layers once the sequence reaches the window: transformers then hands sdpa an
    # explicit mask (in the compute dtype) and repeats the h_kv key and value heads to h (measured).
    # One KV head repeats as a view; autocast then casts the fp32 key (after rotary) to a full copy.
    window_reached = sp.Max(0, S - w_slide + 1, evaluate=False) - sp.Max(0, S - w_slide, evaluate=False)
    repeated = (1 - one_kv_head) * 2 * matmul_bytes * (heads_q - heads_kv)
    if not rotary_keeps_dtype:
        repeated += one_kv_head * autocast * matmul_bytes * (heads_q - heads_kv)
    terms.append(Term("activations/sliding_layer/attention/window_mask", "sliding-window mask and the key and value "
                      "repeated to h heads (sdpa, once S reaches the window)",
                      fused * window_reached * (matmul_bytes * B * S**2 + repeated), L_slide, {"activations"},
                      SECTION[f]))
    if softcaps:
        terms.append(_t(f, "layer/attention/softcap", "tanh of the capped scores (Gemma's soft cap)",
                        attention_softcap * eager * matmul_bytes * scores))
    if fused_qkv:
        # q, k, v are views of one projection: the kernel's output keeps their strides, so the merged heads
        # entering o_proj are a copy of it (measured; Llama's kernel output is the o_proj input itself).
        terms.append(_t(f, "layer/attention/kernel_output", "attention output (fused kernel layout)",
                        fused * matmul_bytes * heads_q))
    terms.append(_t(f, "layer/attention/merged_heads", "merged heads (o_proj input)", matmul_bytes * heads_q))
    if post_norms or sandwich:
        terms += _norm(f, "norm_attention_out", "post_attention_layernorm", kind=norm, input_bytes=4,
                       what="the attention output, fp32")
    if not post_norms:
        terms += _norm(f, "norm_2", "pre_feedforward_layernorm" if sandwich else names[1], **layer_norm)
    if mlp == "plain":
        terms += [
            _t(f, "layer/mlp/input", "c_fc input (the norm output, or a 16-bit copy)", matmul_bytes * E),
            _t(f, "layer/mlp/activation", "activation input (c_fc output)", n_act * matmul_bytes * F),
            _t(f, "layer/mlp/activation_output", "activation output (c_proj input)", matmul_bytes * F),
        ]
    else:
        if fused_gate_up:
            terms.append(_t(f, "layer/mlp/input", "gate_up projection input (the norm output, or a 16-bit copy)",
                            matmul_bytes * E))
        else:
            terms.append(_t(f, "layer/mlp/input", "gate and up projection inputs (the norm output, or two 16-bit "
                                                  "copies)", 4 * E))
        terms.append(_t(f, "layer/mlp/activation", "SiLU input, SiLU output, up projection, down projection input",
                        4 * matmul_bytes * F))
    if post_norms or sandwich:
        terms += _norm(f, "norm_mlp_out", "post_feedforward_layernorm", kind=norm, input_bytes=4,
                       what="the MLP output, fp32")
    terms += _norm(f, "final_norm", "final norm", per_layer=False, **layer_norm)
    tail = _tail(f)
    if softcaps:
        tail.insert(2, _t(f, "lm_head/softcap", "tanh of the capped logits (Gemma's final soft cap)",
                          logit_softcap * matmul_bytes * B * S * V, per_layer=False))
    return terms + tail


def _llama() -> list[Term]:
    return _llama_style("llama")


def _gpt_neox() -> list[Term]:
    f = "gpt_neox"
    return [
        _input_ids(f),
        _t(f, "rotary", "rotary cos and sin (fp32, d_rot channels of each head)", 2 * 4 * d_rot * S,
           per_layer=False),
        _embedding_dropout(f),
        *_layer_norm(f, "norm_1", "input_layernorm"),
        _t(f, "layer/attention/input", "query_key_value input", matmul_bytes * E),
        _weight_copies(f, "query_key_value, dense, dense_h_to_4h, dense_4h_to_h"),
        _t(f, "layer/attention/query_key_value", "query, key, value (copies cut from the fused projection)",
           3 * qkv_bytes * heads_q),
        _t(f, "layer/attention/kernel_output", "attention output (fused kernel layout)",
           fused * matmul_bytes * heads_q),
        *_scores(f, dropped_bytes=4),
        _t(f, "layer/attention/merged_heads", "merged heads (dense input)", matmul_bytes * E),
        _t(f, "layer/attention/residual_dropout_mask", "attention branch dropout mask",
           dropout_residual * mask_bytes(matmul_bytes) * E),
        # With a serial residual the second norm reads x + attention, a new tensor.
        _t(f, "layer/norm_2/input", "post_attention_layernorm input (serial residual only)",
           (1 - parallel_residual) * b_res * E),
        _t(f, "layer/norm_2/statistics", "post_attention_layernorm mean and 1/std (fp32)", 8 * B * S),
        *_plain_mlp(f, ("dense_h_to_4h", "dense_4h_to_h")),
        _t(f, "final_norm/input", "final_layer_norm input (residual stream)", b_res * E, per_layer=False),
        _t(f, "final_norm/statistics", "final_layer_norm mean and 1/std (fp32)", 8 * B * S, per_layer=False),
        *_tail(f),
    ]


#: The saved-tensor terms of each activation accounting (see ``Family.activations``).
ACCOUNTINGS: dict[str, list[Term]] = {
    "gpt2": _gpt2(), "llama": _llama(), "gpt_neox": _gpt_neox(),
    # chapter 14: the llama-style decoders of the zoo, each with what it adds
    "qwen3": _llama_style("qwen3", qk_norm="head"),
    "olmo2": _llama_style("olmo2", norm="rms_fp32", post_norms=True, qk_norm="full", rotary_keeps_dtype=True),
    "phi3": _llama_style("phi3", fused_qkv=True, fused_gate_up=True, weight_copies="qkv, o, gate_up, down"),
    "starcoder2": _llama_style("starcoder2", norm="layer", mlp="plain", weight_copies="q, k, v, o, c_fc, c_proj"),
    "gemma2": _llama_style("gemma2", norm="gemma", sandwich=True, softcaps=True),
    "gemma3": _llama_style("gemma3", norm="gemma", sandwich=True, qk_norm="head", softcaps=True),
}


def saved_tensor_terms(accounting: str) -> list[Term]:
    """Every saved tensor of one training forward pass, as keyed byte terms (chapter 13)."""
    from .validation import choice

    choice("accounting", accounting, ACCOUNTINGS)
    return list(ACCOUNTINGS[accounting])


# --- chapter 8's idealised GPU settings, as views of the GPT-2 accounting ----------------

@dataclass(frozen=True)
class View:
    """A specialisation of an accounting: switch values substituted, some tags left out."""

    name: str
    description: str
    substitutions: dict
    exclude_tags: frozenset = frozenset({BOOKKEEPING, WEIGHT_COPIES})


_GPU_TRAINING = {sdpa: 0, cuda: 1, dropout_embedding: 1, dropout_attention: 1, dropout_residual: 1, n_act: 1}
#: Chapter 8's settings.  ``gpu-mixed`` is PyTorch autocast to 16 bits with fp32
#: weights on a GPU (nanoGPT, Rees 2023); ``korthikanti`` is Megatron-LM's
#: setting (everything 16-bit, fused 16-bit softmax); ``gpu-fp32`` plain fp32.
#: All: eager attention, exact GELU, dropout on, B > 1.
CHAPTER_8_VIEWS: dict[str, View] = {
    v.name: v
    for v in (
        View("gpu-mixed", "16-bit autocast with fp32 weights on a GPU", {**_GPU_TRAINING, autocast: 1, b_res: 4, b_soft: 4}),
        View("korthikanti", "everything 16-bit, as Megatron-LM", {**_GPU_TRAINING, autocast: 1, b_res: 2, b_soft: 2}),
        View("gpu-fp32", "fp32 on a GPU", {**_GPU_TRAINING, autocast: 0, b_res: 4, b_soft: 4}),
    )
}


def general_branch(expr: sp.Expr) -> sp.Expr:
    """The ``B > 1`` branch of every ``Piecewise((..., Eq(B, 1)), (..., True))`` in ``expr``."""
    return expr.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.args[-1].expr)


def chapter_8_view(setting: str = "gpu-mixed") -> list[Term]:
    """The GPT-2 terms as chapter 8 counts them in ``setting`` (terms that vanish left out)."""
    from .validation import choice

    choice("setting", setting, CHAPTER_8_VIEWS)
    view = CHAPTER_8_VIEWS[setting]
    out = []
    for term in ACCOUNTINGS["gpt2"]:
        if term.tags & view.exclude_tags:
            continue
        each = sp.expand(general_branch(term.each).xreplace(view.substitutions))
        if each != 0:
            out.append(Term(term.key, term.label, each, term.count, term.tags | {f"view:{setting}"}, "sec-chapter-8"))
    return out
