"""Serving a model (chapter 16): the KV cache as the libraries hold it, and the memory of generation.

The KV cache
------------
Chapter 6 derived the cache of plain multi-head attention and chapter 12 the
grouped-query one, :data:`everybyte.memory.kv_cache_general`,
``2 L B S h_kv d_head b``.  Here it is split into the pieces a server sizes:

* ``kv_cache/per_token_layer``: one token in one layer, ``2 h_kv d_head`` values
  (keys and values), in ``b_kv`` bytes each; multi-head attention has
  ``h_kv = h``, grouped-query ``h_kv < h``, multi-query ``h_kv = 1``, and an
  explicit ``head_dim`` is ``d_head``;
* ``kv_cache/tokens``: the tokens one sequence holds: ``S`` for transformers'
  ``DynamicCache`` (grown with ``torch.cat``), ``S_max`` for ``StaticCache``
  (pre-allocated to ``max_cache_len``), ``S`` rounded up to whole blocks of
  ``n_block`` tokens for vLLM's paged cache (Kwon et al. 2023, section 4.2;
  vLLM allocates each layer's cache as blocks of ``block_size`` tokens,
  16 by default);
* ``kv_cache``: every layer of ``B`` sequences.  A float cache stores
  ``b_kv`` bytes per value; transformers' ``QuantizedCache`` (quanto backend)
  stores, for each of the ``2 L`` tensors of ``n = B h_kv S d_head`` values,
  ``n kv_bits / 8`` bytes of packed integers (whole rows of ``g_kv``) plus a
  scale and a zero point per group of ``g_kv`` values, in ``b_kv`` bytes each.
  After one forward pass every token is quantized; while generating, up to
  ``R_kv - 1`` more tokens wait in full precision (``kv_cache/residual``).
  ``StaticCache`` also keeps a 0-d int64 ``cumulative_length`` per layer.

The per-layer pieces are written once and counted per kind of attention layer
(:func:`layer_kinds`): full attention over every cached token, sliding-window
and chunked layers over their window (``L_full + L_slide + L_chunk = L_attn``).
Layers that keep a latent instead of keys and values (MLA) or a state (Mamba,
DeltaNet) are not this formula; their families say so.

Generation
----------
``serving/peak`` is the weights, the full cache, and the larger of two
transients: the working memory of a prefill of ``S`` tokens at its largest
moment (inside the attention of the last layer: the residual stream, the normed
input, the queries, with eager attention the ``(B, h, S, S)`` scores as
transformers' ``eager_attention_forward`` holds them at the softmax, the
additive mask, and repeated keys and values under grouped-query attention;
or the feed-forward block's intermediates; or the logits of the last position,
which ``generate()`` asks for with ``logits_to_keep=1``, and their fp32 copy)
and of one decode step (one query against ``S`` cached tokens; the dynamic cache
grows by concatenation, so one layer's keys exist twice for a moment).
"""

from __future__ import annotations

import sympy as sp

from . import memory
from .symbols import (
    B, L, L_attn, L_chunk, L_full, L_slide, R_kv, S, S_max, V, b_dtype, b_kv, b_param, d_ff, d_head, d_model, d_rot, g_kv, gated, h, h_kv, kv_bits,
    kv_kind, learned_positions, fused_qkv, n_act, n_block, sdpa, w_chunk, w_fmt, w_slide,
)
from .terms import Term, ref

SECTION_KV = "sec-kv-cache-real"
SECTION_PEAK = "sec-serving-peak"

#: Values one token leaves in one layer's cache: the per-token, per-layer part of chapter 12's formula.
kv_values_per_token_layer = sp.expand(memory.kv_cache_general / (L * B * S * b_param))
#: Tokens one sequence holds in the cache, by allocation (kv_kind 0 dynamic, 1 static, 2 paged).
cached_tokens = sp.Piecewise((S, sp.Eq(kv_kind, 0)), (S_max, sp.Eq(kv_kind, 1)),
                             (n_block * sp.ceiling(S / n_block), True))


def quantized_tensor_bytes(values: sp.Expr) -> sp.Expr:
    """Bytes of one quanto-quantized cache tensor of ``values`` values (QuantizedCache, axis 0).

    Packed integers: ``values / g_kv`` groups, ``8 / kv_bits`` groups to a row
    of ``g_kv`` bytes (the last row padded); a scale and a shift per group in
    ``b_kv`` bytes (optimum-quanto's ``WeightQBitsTensor``).
    """
    groups = sp.floor(values / g_kv)
    return g_kv * sp.ceiling(groups * kv_bits / 8) + 2 * groups * b_kv


def _window_tokens(window):
    """Tokens a sliding-window or chunked layer holds per sequence, by allocation, after a prefill of ``S``.

    transformers 5.24 (measured on the CPU): the dynamic cache's
    ``DynamicSlidingWindowLayer`` keeps, after one forward pass, a slice of
    the last ``W - 1`` tokens that is a view of all ``S``, so the storage is
    still ``S`` tokens (once decoding it holds ``Min(S, W)``); a static cache
    pre-allocates ``Min(S_max, W)``.  vLLM's paged blocks are counted as for
    full attention (an upper bound: its hybrid allocator can free blocks that
    left the window).
    """
    return sp.Piecewise((S, sp.Eq(kv_kind, 0)), (sp.Min(S_max, window), sp.Eq(kv_kind, 1)),
                        (n_block * sp.ceiling(S / n_block), True))


def layer_kinds():
    """The kinds of attention layer the cache holds: ``(key, count, tokens per sequence)``.

    Full attention caches every token; sliding-window layers (Mistral, Gemma 2
    and 3, Qwen with ``use_sliding_window``) and chunked layers (Llama 4)
    cache per :func:`_window_tokens`.  Families whose layers keep something
    else (a latent, a state) say so through ``Family.no_kv_cache``.
    """
    return [("full_attention", L_full, cached_tokens), ("sliding_attention", L_slide, _window_tokens(w_slide)),
            ("chunked_attention", L_chunk, _window_tokens(w_chunk))]


def kv_terms() -> list[Term]:
    """The KV-cache terms (keys ``kv_cache/...`` and ``kv_cache``)."""
    tags = {"inference", "serving"}
    float_cache = sp.Eq(kv_bits, 0)
    terms = [
        Term("kv_cache/per_token_layer", "KV cache of one token in one layer (float cache)",
             kv_values_per_token_layer * b_kv, tags=tags, section=SECTION_KV),
        Term("kv_cache/per_token", "KV cache of one token, every attention layer (float cache)",
             L_attn * ref("kv_cache/per_token_layer"), tags=tags, section=SECTION_KV),
        Term("kv_cache/tokens", "tokens each sequence holds in the cache", cached_tokens, tags=tags,
             section=SECTION_KV, unit="tokens"),
    ]
    parts = []
    for kind, count, tokens in layer_kinds():
        values = B * tokens * kv_values_per_token_layer / 2  # one of the two tensors (keys or values)
        # A quantized cache grows like the dynamic one (knobs.Serving refuses it with another allocation).
        quantized = 2 * quantized_tensor_bytes(B * S * kv_values_per_token_layer / 2)
        each = sp.Piecewise((2 * values * b_kv, float_cache), (quantized, True))
        terms.append(Term(f"kv_cache/{kind}", f"KV cache of the {kind.replace('_', ' ')} layers", each, count,
                          tags=tags, section=SECTION_KV))
        parts.append(ref(f"kv_cache/{kind}"))
    terms += [
        # 0-d int64 tensors: a static cache's cumulative_length in every layer, a dynamic cache's
        # window size in every sliding-window or chunked layer (measured)
        Term("kv_cache/counters", "0-d int64 counters (static cache: every layer; dynamic: window layers)",
             8 * sp.Piecewise((L_attn, sp.Eq(kv_kind, 1)), (L_slide + L_chunk, sp.Eq(kv_kind, 0)), (0, True)),
             tags=tags, section=SECTION_KV),
        Term("kv_cache", "KV cache (keys and values of every layer)", sp.Add(*parts) + ref("kv_cache/counters"),
             tags={*tags, "total"}, section=SECTION_KV),
        Term("kv_cache/residual", "quantized cache: tokens waiting in full precision (at most R_kv - 1)",
             sp.Piecewise((0, float_cache), (B * (R_kv - 1) * kv_values_per_token_layer * b_kv, True)), L_attn,
             tags=tags, section=SECTION_KV),
    ]
    return terms


#: 1 when grouped-query attention's keys and values are repeated to every query head (eager attention).
_repeated = sp.Piecewise((0, sp.Eq(h_kv, h)), (1, True))
_eager = 1 - sdpa


def peak_terms(weight_formats: dict[str, str]) -> list[Term]:
    """The memory of generation: weights in their format, the cache, the transients and the peak."""
    tags = {"inference", "serving"}
    branches = [(b_dtype * ref("parameters"), sp.Eq(w_fmt, 0))]
    for index, name in enumerate(weight_formats, start=1):
        branches.append((ref(f"quantized_weights/{name}"), sp.Eq(w_fmt, index)))
    branches.append((b_dtype * ref("parameters"), True))
    stream = B * S * d_model * b_dtype  # one (B, S, d_model) tensor
    queries = B * S * h * d_head * b_dtype
    scores = B * h * S**2
    # Held through every layer of a prefill: the embedding output (the model's forward keeps it), the
    # current layer's input; the rotary cos and sin (1, S, d_rot), the int64 positions, the rotary
    # buffers; GPT-2 (learned positions, pi = 1) also its position embeddings (1, S, d_model), the ids'
    # int64 copy and a second (B, S, d_model) tensor; under eager attention the additive mask
    # (B, 1, S, S) in the dtype, and for GPT-2 the block's attention probabilities, which GPT2Block keeps.
    held = ((2 + learned_positions) * stream + 2 * S * d_rot * b_dtype + 8 * S + ref("training/buffers")
            + learned_positions * (S * d_model * b_dtype + 8 * B * S)
            + _eager * (B * S**2 * b_dtype + learned_positions * scores * b_dtype))
    # Attention: the normed input, the queries; eager: repeated keys and values (GQA) and, at the
    # softmax, the scores, their fp32 upcast (16-bit models) and the fp32 probabilities: (12 - b) bytes each.
    # GPT-2's eager attention runs softmax in the dtype (no upcast): scores and probabilities, b bytes each,
    # the probabilities being the tensor ``held`` already counts.
    score_bytes = (1 - learned_positions) * (12 - b_dtype) + learned_positions * b_dtype
    # q, k, v as the attention holds them: the query after rotary (llama), or the fused projection's
    # output, which its q, k, v views keep alive, plus GPT-NeoX's rotated query copy.
    fused = B * S * (h + 2 * h_kv) * d_head * b_dtype
    projections = (1 - fused_qkv) * queries + fused_qkv * (fused + (1 - learned_positions) * queries)
    attention = held + stream + projections + _eager * (_repeated * 2 * queries + score_bytes * scores)
    # After the kernel: its output, the heads merged (a copy) and the output projection's result.
    # sdpa's CPU kernel also keeps a log-sum-exp per row (fp32) and per-thread blocks (not modelled).
    attention_output = (held + stream + (1 - fused_qkv) * queries + fused_qkv * fused + 2 * queries + stream
                        + sdpa * 4 * B * h * S)
    # Feed-forward: the attention's sum, the normed input, and the intermediates alive at once
    # (gated SiLU: activation, up projection, product; gelu_new's tanh formula four, exact gelu two).
    intermediates = gated * 3 + (1 - gated) * sp.Piecewise((4, sp.Eq(n_act, 4)), (2, True))
    feed_forward = held + 2 * stream + intermediates * B * S * d_ff * b_dtype
    logits = held + 2 * stream + B * V * (b_dtype + 4)
    decode = (B * V * (b_dtype + 4) + 4 * B * d_model * b_dtype
              + _eager * ((12 - b_dtype) * B * h * (S + 1) + B * (S + 1) * b_dtype
                          + _repeated * 2 * B * h * (S + 1) * d_head * b_dtype)
              + sp.Piecewise((B * (S + 1) * kv_values_per_token_layer / 2 * b_kv, sp.Eq(kv_kind, 0)), (0, True)))
    terms = [
        Term("serving/weights", "weights in the serving format", sp.Piecewise(*branches), tags=tags,
             section=SECTION_PEAK),
        Term("serving/prefill/attention", "prefill: inside the attention (residual, normed input, queries, scores)",
             attention, tags=tags, section=SECTION_PEAK),
        Term("serving/prefill/attention_output", "prefill: after the attention kernel (its output, merged heads, "
             "output projection)", attention_output, tags=tags, section=SECTION_PEAK),
        Term("serving/prefill/feed_forward", "prefill: inside the feed-forward block", feed_forward, tags=tags,
             section=SECTION_PEAK),
        Term("serving/prefill/logits", "prefill: logits of the last position and their fp32 copy", logits,
             tags=tags, section=SECTION_PEAK),
        Term("serving/prefill", "working memory of a prefill (its largest moment)",
             sp.Max(ref("serving/prefill/attention"), ref("serving/prefill/attention_output"),
                    ref("serving/prefill/feed_forward"),
                    ref("serving/prefill/logits"), evaluate=False), tags=tags, section=SECTION_PEAK),
        Term("serving/decode", "working memory of one decode step", decode, tags=tags, section=SECTION_PEAK),
        Term("serving/working_memory", "working memory (the larger of prefill and decode)",
             sp.Max(ref("serving/prefill"), ref("serving/decode"), evaluate=False), tags=tags, section=SECTION_PEAK),
        Term("serving/peak", "peak of serving: weights, KV cache and working memory",
             ref("serving/weights") + ref("kv_cache") + ref("kv_cache/residual") + ref("serving/working_memory"),
             tags={*tags, "total"}, section=SECTION_PEAK),
    ]
    return terms
