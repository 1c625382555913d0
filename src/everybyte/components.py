"""The parameter tensors of a decoder, one small function per component (chapters 12 and 14).

Each function returns the :class:`Tensor` entries of one component of the real
code (the q, k, v and output projections; a gated MLP; a bank of routed
experts; a Mamba mixer; ...), each with its number of elements, how often it
occurs and a presence switch.  Arguments are SymPy expressions: the width of
a component, the number of layers that have it (``L``, or the count of a kind
of layer such as ``L_moe``), and the switches that select its optional parts
(a bias, a fused projection).  A family's tensor table
(:mod:`everybyte.tables`) is a concatenation of these lists, so every shape is
written once, here, and every family that has a component shares it.

Buffers (rotary frequencies, masks, constant scales) are listed the same way
as :class:`Buffer` entries: they are not parameters, but a training step holds
them (``training/buffers``).

Sources: the transformers 5.24 modelling code of each family; the tests build
every supported model type on the meta device and compare tensor by tensor.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .symbols import P, V, bias_ff, bias_o, bias_qkv, d_ff, d_head, d_model, fused_qkv, gated, h, h_kv, n_experts


@dataclass(frozen=True)
class Tensor:
    """One parameter tensor of the real code: its elements, how often it occurs, whether it is there.

    ``group`` is the key of the count term it belongs to; ``present`` is a 0/1
    expression of the layout switches (1: always there); ``rows`` is the size of
    its first dimension as the real code stores it (``nn.Linear`` weights are
    ``(out, in)``, embeddings ``(rows, width)``, expert banks ``(experts, ...)``,
    depthwise convolutions ``(channels, 1, kernel)``), which FSDP2 shards and pads;
    ``None`` for a 1-d tensor (its elements).
    """

    name: str
    group: str
    numel: sp.Expr
    count: sp.Expr = sp.Integer(1)
    present: sp.Expr = sp.Integer(1)
    rows: sp.Expr | None = None
    #: A 3-d bank of expert matrices (``rows`` experts): each matrix's ``(out, in)``; ``None`` otherwise.
    matrix: tuple[sp.Expr, sp.Expr] | None = None

    def __post_init__(self):
        for field in ("numel", "count", "present", "rows"):
            value = getattr(self, field)
            if isinstance(value, int):
                object.__setattr__(self, field, sp.Integer(value))


@dataclass(frozen=True)
class Buffer:
    """One buffer of the real code (not a parameter): elements, occurrences, presence, bytes per element."""

    name: str
    label: str
    numel: sp.Expr
    count: sp.Expr = sp.Integer(1)
    present: sp.Expr = sp.Integer(1)
    element_bytes: int = 4

    def __post_init__(self):
        for field in ("numel", "count", "present"):
            value = getattr(self, field)
            if isinstance(value, int):
                object.__setattr__(self, field, sp.Integer(value))


def _kept(tensors):
    """Leave out the entries whose presence is 0 whatever the config (a component's unused option)."""
    return [t for t in tensors if t.present != 0 and t.count != 0 and t.numel != 0]


# --- embeddings and the output layer ----------------------------------------------------

def token_embedding(width=d_model, rows=V) -> list[Tensor]:
    """The token-embedding table: one ``width`` vector per vocabulary entry."""
    return [Tensor("embed_tokens", "token_embedding", rows * width, rows=rows)]


def position_embedding(rows=P, present=1, width=d_model) -> list[Tensor]:
    """A learned position table (GPT-2; OPT keeps ``P + 2`` rows)."""
    return _kept([Tensor("embed_positions", "position_embedding", rows * width, present=present, rows=rows)])


def output_layer(present, bias=0, width=d_model) -> list[Tensor]:
    """The output layer (language-model head); its bias, where there is one, is there tied or not."""
    return _kept([Tensor("lm_head", "output_layer", V * width, present=present, rows=V),
                  Tensor("lm_head.bias", "output_bias", V, present=bias)])


# --- norms ---------------------------------------------------------------------------------

def norm(name, group, width=d_model, count=1, present=1, scale=1, shift=0, rows=None) -> list[Tensor]:
    """A norm of ``width`` channels: a scale (weight) and, for LayerNorm, a shift (bias).

    ``rows``: the first dimension where the real code stores it 2-d (Cohere's
    q/k norms: one row per head); ``None``: 1-d.
    """
    return _kept([Tensor(name, group, width, count, present * scale, rows),
                  Tensor(f"{name}.bias", group, width, count, present * shift, rows)])


# --- attention -------------------------------------------------------------------------------

def attention(count, *, width=d_model, heads=h, kv_heads=h_kv, head=d_head, fused=fused_qkv, qkv_bias=bias_qkv,
              out_bias=bias_o, present=1, query_gate=0) -> list[Tensor]:
    """Query, key, value and output projections; q, k, v as one fused matrix where ``fused`` is 1.

    ``heads`` query heads and ``kv_heads`` key/value heads of ``head``
    channels; the output projection maps the ``heads * head`` channels back
    to ``width``.  Where ``query_gate`` is 1 the query projection also makes
    a sigmoid gate for the output (Qwen3-Next: twice the query's width).
    """
    q, kv = heads * head, kv_heads * head
    unfused = 1 - fused
    query = (1 + query_gate) * q
    return _kept([
        Tensor("attention.q", "attention_weights", query * width, count, present * unfused, query),
        Tensor("attention.k", "attention_weights", kv * width, count, present * unfused, kv),
        Tensor("attention.v", "attention_weights", kv * width, count, present * unfused, kv),
        Tensor("attention.qkv", "attention_weights", (q + 2 * kv) * width, count, present * fused, q + 2 * kv),
        Tensor("attention.q.bias", "attention_biases", query, count, present * qkv_bias * unfused),
        Tensor("attention.k.bias", "attention_biases", kv, count, present * qkv_bias * unfused),
        Tensor("attention.v.bias", "attention_biases", kv, count, present * qkv_bias * unfused),
        Tensor("attention.qkv.bias", "attention_biases", q + 2 * kv, count, present * qkv_bias * fused),
        Tensor("attention.o", "attention_weights", width * q, count, present, width),
        Tensor("attention.o.bias", "attention_biases", width, count, present * out_bias),
    ])


def qk_norms(count, *, q_width, k_width, present=1, shift=0, norms_per_projection=1, rows=(None, None)) -> list[Tensor]:
    """Norms of the queries and keys inside attention (chapter 14).

    Per head (Qwen3, Gemma 3: one norm of ``d_head`` shared by every head),
    full width (OLMo 2: ``h d_head`` and ``h_kv d_head``), or one norm per head
    (StableLM: ``norms_per_projection`` = the head counts).
    """
    q_count, k_count = (norms_per_projection if isinstance(norms_per_projection, tuple)
                        else (norms_per_projection, norms_per_projection))
    return (norm("attention.q_norm", "attention_norms", q_width, count * q_count, present, shift=shift, rows=rows[0])
            + norm("attention.k_norm", "attention_norms", k_width, count * k_count, present, shift=shift,
                   rows=rows[1]))


def attention_sinks(count, heads=h, present=1) -> list[Tensor]:
    """One learned logit per head that takes part in every softmax (gpt-oss)."""
    return _kept([Tensor("attention.sinks", "attention_sinks", heads, count, present)])


def latent_attention(count, *, width=d_model, heads=h, q_rank, kv_rank, nope, rope, value, compressed,
                     bias=0) -> list[Tensor]:
    """Multi-head latent attention (DeepSeek-V2/V3, chapter 14).

    The query goes through a rank-``q_rank`` bottleneck with an RMSNorm
    (or one full projection where ``compressed`` is 0); keys and values come
    from one rank-``kv_rank`` latent plus ``rope`` rotary channels shared by
    the heads, normalised and expanded to ``heads`` keys of ``nope`` channels
    and ``heads`` values of ``value`` channels.
    """
    query_head = nope + rope
    return _kept([
        Tensor("attention.q", "attention_weights", heads * query_head * width, count, 1 - compressed,
               heads * query_head),
        Tensor("attention.q_a", "attention_weights", q_rank * width, count, compressed, q_rank),
        Tensor("attention.q_a.bias", "attention_biases", q_rank, count, compressed * bias),
        Tensor("attention.q_a_norm", "attention_norms", q_rank, count, compressed),
        Tensor("attention.q_b", "attention_weights", heads * query_head * q_rank, count, compressed,
               heads * query_head),
        Tensor("attention.kv_a", "attention_weights", (kv_rank + rope) * width, count, rows=kv_rank + rope),
        Tensor("attention.kv_a.bias", "attention_biases", kv_rank + rope, count, bias),
        Tensor("attention.kv_a_norm", "attention_norms", kv_rank, count),
        Tensor("attention.kv_b", "attention_weights", heads * (nope + value) * kv_rank, count,
               rows=heads * (nope + value)),
        Tensor("attention.o", "attention_weights", width * heads * value, count, rows=width),
        Tensor("attention.o.bias", "attention_biases", width, count, bias),
    ])


# --- feed-forward blocks ---------------------------------------------------------------------

def dense_mlp(count, *, width=d_model, hidden=d_ff, gated_=gated, bias=bias_ff, fused_gate_up=0, present=1,
              prefix="mlp", group="feed_forward_weights", bias_group="feed_forward_biases") -> list[Tensor]:
    """A feed-forward block: up and down projections, and a gate where ``gated_`` is 1 (SwiGLU, GeGLU).

    Where ``fused_gate_up`` is 1 the gate and up projections are one
    ``2 hidden x width`` matrix (Phi-3, GLM-4; such blocks are always gated).
    """
    separate = 1 - fused_gate_up
    return _kept([
        Tensor(f"{prefix}.gate", group, hidden * width, count, present * gated_ * separate, hidden),
        Tensor(f"{prefix}.up", group, hidden * width, count, present * separate, hidden),
        Tensor(f"{prefix}.gate_up", group, 2 * hidden * width, count, present * fused_gate_up, 2 * hidden),
        Tensor(f"{prefix}.down", group, width * hidden, count, present, width),
        Tensor(f"{prefix}.gate.bias", bias_group, hidden, count, present * bias * gated_ * separate),
        Tensor(f"{prefix}.up.bias", bias_group, hidden, count, present * bias * separate),
        Tensor(f"{prefix}.gate_up.bias", bias_group, 2 * hidden, count, present * bias * fused_gate_up),
        Tensor(f"{prefix}.down.bias", bias_group, width, count, present * bias),
    ])


def routed_experts(count, *, width=d_model, hidden=d_ff, experts=n_experts, gated_=gated, bias=bias_ff,
                   present=1) -> list[Tensor]:
    """The routed experts of a layer as two 3-d tensors (transformers 5): gate and up fused, and down."""
    return _kept([
        Tensor("experts.gate_up", "feed_forward_weights", experts * (1 + gated_) * hidden * width, count, present,
               experts, ((1 + gated_) * hidden, width)),
        Tensor("experts.down", "feed_forward_weights", experts * width * hidden, count, present, experts,
               (width, hidden)),
        Tensor("experts.gate_up.bias", "feed_forward_biases", experts * (1 + gated_) * hidden, count,
               present * bias, experts),
        Tensor("experts.down.bias", "feed_forward_biases", experts * width, count, present * bias, experts),
    ])


def router(count, *, width=d_model, experts=n_experts, present=1, bias=0, score_bias=0) -> list[Tensor]:
    """The router: one score per expert; a bias (gpt-oss); a learned score correction (ERNIE 4.5)."""
    return _kept([Tensor("router", "router", experts * width, count, present, experts),
                  Tensor("router.bias", "router", experts, count, present * bias),
                  # ERNIE 4.5 keeps it as a (1, experts) matrix
                  Tensor("router.score_correction", "router", experts, count, present * score_bias, 1)])


def shared_expert(count, *, width=d_model, hidden, present=1, gate=0, bias=0, gated_=1, fused_gate_up=0) -> list[Tensor]:
    """The always-active shared expert(s) as one MLP of ``hidden`` channels, and its sigmoid gate."""
    return (dense_mlp(count, width=width, hidden=hidden, gated_=gated_, bias=bias, present=present,
                      fused_gate_up=fused_gate_up, prefix="shared_expert", group="shared_experts",
                      bias_group="shared_experts")
            + _kept([Tensor("shared_expert_gate", "shared_experts", width, count, present * gate, 1)]))


# --- state-space and other token mixers (chapter 14) ------------------------------------------

def mamba_mixer(count, *, width=d_model, inner, state, kernel, rank, conv_bias, in_bias, out_bias, time_step_norms=0,
                present=1) -> list[Tensor]:
    """A Mamba-1 mixer (Gu and Dao 2023): projections in and out, a causal convolution, the selective SSM.

    ``in_proj`` makes the ``inner`` channels and their gate; ``x_proj`` the
    time step (rank ``rank``) and B and C (``state`` each); ``dt_proj``
    expands the time step; ``A_log`` holds ``inner x state`` decay rates and
    ``D`` one skip weight per channel.  Jamba normalises the time step, B and C.
    """
    return _kept([
        Tensor("mamba.in_proj", "state_space_mixers", 2 * inner * width, count, present, 2 * inner),
        Tensor("mamba.in_proj.bias", "state_space_mixers", 2 * inner, count, present * in_bias),
        Tensor("mamba.conv1d", "state_space_mixers", inner * kernel, count, present, inner),
        Tensor("mamba.conv1d.bias", "state_space_mixers", inner, count, present * conv_bias),
        Tensor("mamba.x_proj", "state_space_mixers", (rank + 2 * state) * inner, count, present, rank + 2 * state),
        Tensor("mamba.dt_proj", "state_space_mixers", inner * rank, count, present, inner),
        Tensor("mamba.dt_proj.bias", "state_space_mixers", inner, count, present),
        Tensor("mamba.A_log", "state_space_mixers", inner * state, count, present, inner),
        Tensor("mamba.D", "state_space_mixers", inner, count, present),
        Tensor("mamba.out_proj", "state_space_mixers", width * inner, count, present, width),
        Tensor("mamba.out_proj.bias", "state_space_mixers", width, count, present * out_bias),
        Tensor("mamba.dt_norm", "state_space_mixers", rank, count, present * time_step_norms),
        Tensor("mamba.b_norm", "state_space_mixers", state, count, present * time_step_norms),
        Tensor("mamba.c_norm", "state_space_mixers", state, count, present * time_step_norms),
    ])


def mamba2_mixer(count, *, width=d_model, inner, state, kernel, heads, groups, conv_bias, in_bias, out_bias, norm=1,
                 present=1) -> list[Tensor]:
    """A Mamba-2 mixer (Dao and Gu 2024): one projection makes x, z, B, C (``groups`` of ``state``) and dt.

    The convolution runs over x, B and C; each of ``heads`` heads has a
    time-step bias, a decay and a skip weight; a gated RMSNorm of ``inner``
    channels precedes the out projection.
    """
    conv = inner + 2 * groups * state
    return _kept([
        Tensor("mamba.in_proj", "state_space_mixers", (inner + conv + heads) * width, count, present,
               inner + conv + heads),
        Tensor("mamba.in_proj.bias", "state_space_mixers", inner + conv + heads, count, present * in_bias),
        Tensor("mamba.conv1d", "state_space_mixers", conv * kernel, count, present, conv),
        Tensor("mamba.conv1d.bias", "state_space_mixers", conv, count, present * conv_bias),
        Tensor("mamba.dt_bias", "state_space_mixers", heads, count, present),
        Tensor("mamba.A_log", "state_space_mixers", heads, count, present),
        Tensor("mamba.D", "state_space_mixers", heads, count, present),
        Tensor("mamba.norm", "state_space_mixers", inner, count, present * norm),
        Tensor("mamba.out_proj", "state_space_mixers", width * inner, count, present, width),
        Tensor("mamba.out_proj.bias", "state_space_mixers", width, count, present * out_bias),
    ])


def gated_deltanet(count, *, width=d_model, key_heads, value_heads, key_width, value_width, kernel, fused,
                   present=1) -> list[Tensor]:
    """A gated DeltaNet (Yang et al. 2024; Qwen3-Next, Qwen3.5): linear attention with a delta-rule state.

    Queries and keys have ``key_heads x key_width`` channels, values and the
    output gate z ``value_heads x value_width``; b and a give one write
    strength and one decay per value head.  Qwen3-Next fuses the input
    projections (qkvz, ba); Qwen3.5 keeps four.
    """
    keys, values = key_heads * key_width, value_heads * value_width
    split = 1 - fused
    return _kept([
        Tensor("linear_attn.in_proj_qkvz", "linear_attention", (2 * keys + 2 * values) * width, count, present * fused,
               2 * keys + 2 * values),
        Tensor("linear_attn.in_proj_ba", "linear_attention", 2 * value_heads * width, count, present * fused,
               2 * value_heads),
        Tensor("linear_attn.in_proj_qkv", "linear_attention", (2 * keys + values) * width, count, present * split,
               2 * keys + values),
        Tensor("linear_attn.in_proj_z", "linear_attention", values * width, count, present * split, values),
        Tensor("linear_attn.in_proj_b", "linear_attention", value_heads * width, count, present * split, value_heads),
        Tensor("linear_attn.in_proj_a", "linear_attention", value_heads * width, count, present * split, value_heads),
        Tensor("linear_attn.conv1d", "linear_attention", (2 * keys + values) * kernel, count, present,
               2 * keys + values),
        Tensor("linear_attn.dt_bias", "linear_attention", value_heads, count, present),
        Tensor("linear_attn.A_log", "linear_attention", value_heads, count, present),
        Tensor("linear_attn.norm", "linear_attention", value_width, count, present),
        Tensor("linear_attn.out_proj", "linear_attention", width * values, count, present, width),
    ])


def short_convolution(count, *, width=d_model, kernel, bias, present=1) -> list[Tensor]:
    """LFM2's gated short convolution: ``in_proj`` to three streams, a depthwise convolution, ``out_proj``."""
    return _kept([
        Tensor("conv.in_proj", "convolution_mixers", 3 * width * width, count, present, 3 * width),
        Tensor("conv.in_proj.bias", "convolution_mixers", 3 * width, count, present * bias),
        Tensor("conv.conv", "convolution_mixers", width * kernel, count, present, width),
        Tensor("conv.conv.bias", "convolution_mixers", width, count, present * bias),
        Tensor("conv.out_proj", "convolution_mixers", width * width, count, present, width),
        Tensor("conv.out_proj.bias", "convolution_mixers", width, count, present * bias),
    ])


# --- buffers ---------------------------------------------------------------------------------------

def rotary_buffers(channels, sets=1, present=1) -> list[Buffer]:
    """``inv_freq`` and ``original_inv_freq``: one fp32 frequency per pair of rotary channels, per set.

    ``torch.arange(0, channels, 2)`` has ``ceiling(channels / 2)`` entries;
    models with full and sliding attention (Gemma 3) keep one set per kind.
    """
    return [Buffer("rotary.inv_freq", "rotary frequencies, fp32", sp.ceiling(channels / 2), 2 * sets, present)]


def scalar_buffer(name, label, count=1, present=1) -> list[Buffer]:
    """A constant fp32 scalar kept as a buffer (Gemma's embedding scale)."""
    return [Buffer(name, label, sp.Integer(1), count, present)]
