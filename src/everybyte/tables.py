"""The tensor table of every family, composed from :mod:`everybyte.components` (chapters 12 and 14).

* :data:`DECODER`: chapter 12's general layout (GPT-2, GPT-NeoX, Llama, Mixtral);
* :data:`DENSE`: chapter 14's general dense decoder, which adds q/k norms (per
  head, full width, one per head), one to four norms per layer of any kind
  (LayerNorm, RMSNorm, LayerNorm without shift, none), fused gate and up,
  an output-layer bias, an embedding norm and learnable activation
  parameters to chapter 12's switches;
* the tables of the families whose layers are not all alike (dense and MoE
  layers, attention and state-space mixers), where a component's count is
  the number of layers of its kind (``L_moe``, ``L_ssm``, ...).

:data:`BUFFERS` lists the buffers every family may hold, each behind a switch
the model type sets.
"""

from __future__ import annotations

import sympy as sp

from .components import (
    Buffer, Tensor, attention, attention_sinks, dense_mlp, gated_deltanet, latent_attention, mamba2_mixer, mamba_mixer,
    norm, output_layer, position_embedding, qk_norms, rotary_buffers, routed_experts, router, scalar_buffer,
    shared_expert, short_convolution, token_embedding,
)
from .symbols import (
    L, L_attn, L_conv, L_ff, L_lin, L_moe, L_ssm, P, P_max, bias_conv, bias_experts, bias_ff, bias_lm, bias_qkv,
    bias_router, bias_ssm, bias_ssm_out, causal_mask, d_conv, d_emb, d_expert, d_head, d_inner, d_lat, d_lk, d_lv,
    d_model, d_nope, d_rope, d_rot, d_shared, d_state, d_v, embedding_norm, embedding_projection, embedding_scale,
    final_norm, fused_deltanet, fused_experts, fused_gate_up, g_ssm, gated, h, h_kv, h_lk, h_lv, h_ssm,
    latent_experts, learned_positions, mamba2, mup_vector, n_act_params, n_experts, n_layer_scalars, n_norm, n_rot,
    norm_scale, norm_shift, norm_width, q_compressed, qk_norm_each, qk_norm_full, qk_norm_head, qk_norm_rows, qk_norm_shift,
    query_gate, r_dt, r_kv, r_q, router as router_switch, router_score_bias, score_correction,
    shared_expert as shared_switch, shared_gate, sincos_table, sinks, ssm_norm, ssm_time_step_norms, untied,
)

# --- chapter 12: the general layout --------------------------------------------------------

_unfused_experts = 1 - fused_experts
_norm_bias = norm_width - 1  # LayerNorm has a bias tensor, RMSNorm none

#: The general decoder layout (chapter 12): GPT-2, GPT-NeoX, Llama, Mistral,
#: Qwen2 and Mixtral are all this table with their switch values.  The q, k, v
#: projections are one fused tensor where ``f_qkv = 1``; the experts of a layer
#: are two 3-d tensors (gate and up fused) where ``f_exp = 1``.  Two norms per
#: layer (before attention, before the feed-forward block); parallel-residual
#: layers (GPT-NeoX) still have two.
DECODER: tuple[Tensor, ...] = tuple(
    token_embedding()
    + position_embedding(present=learned_positions)
    + attention(L)
    + dense_mlp(L * n_experts, present=_unfused_experts)
    + routed_experts(L, present=fused_experts)
    + router(L, present=router_switch)
    + norm("norm_1", "layer_norms", count=L, shift=_norm_bias)
    + norm("norm_2", "layer_norms", count=L, shift=_norm_bias)
    + norm("final_norm", "final_norm", present=final_norm, shift=_norm_bias)
    + output_layer(untied)
)


# --- chapter 14: the general dense decoder -------------------------------------------------

def layer_norms(count=L, per_layer=n_norm) -> list[Tensor]:
    """``per_layer`` norms of width d_model in each of ``count`` layers, of the model's norm kind."""
    return norm("layer_norm", "layer_norms", count=per_layer * count, scale=norm_scale, shift=norm_shift)


def final_layer_norm() -> list[Tensor]:
    return norm("final_norm", "final_norm", present=final_norm, scale=norm_scale, shift=norm_shift)


def all_qk_norms(count=L) -> list[Tensor]:
    """The three kinds of q/k norms (chapter 14), each behind its switch."""
    return (qk_norms(count, q_width=d_head, k_width=d_head, present=qk_norm_head, shift=qk_norm_shift)
            + qk_norms(count, q_width=h * d_head, k_width=h_kv * d_head, present=qk_norm_full * (1 - qk_norm_rows),
                       shift=qk_norm_shift)
            + qk_norms(count, q_width=h * d_head, k_width=h_kv * d_head, present=qk_norm_full * qk_norm_rows,
                       shift=qk_norm_shift, rows=(h, h_kv))  # Cohere: the same norms as (heads, d_head) matrices
            + qk_norms(count, q_width=d_head, k_width=d_head, present=qk_norm_each, shift=qk_norm_shift,
                       norms_per_projection=(h, h_kv)))


def activation_parameters(count=L) -> list[Tensor]:
    """Learnable scalars of the activation function (Apertus's xIELU: alpha_p and alpha_n)."""
    return [Tensor("mlp.activation_parameter", "activation_parameters", sp.Integer(1), n_act_params * count)]


#: Chapter 14's general dense decoder.
DENSE: tuple[Tensor, ...] = tuple(
    token_embedding()
    + position_embedding(present=learned_positions)
    + norm("embedding_norm", "embedding_norm", present=embedding_norm, scale=norm_scale, shift=norm_shift)
    + attention(L)
    + all_qk_norms()
    + dense_mlp(L, fused_gate_up=fused_gate_up)
    + activation_parameters()
    + layer_norms()
    + final_layer_norm()
    + output_layer(untied, bias=bias_lm)
)


# --- chapter 14: mixtures of experts --------------------------------------------------------

def moe_feed_forward(dense=L_ff, moe=L_moe) -> list[Tensor]:
    """Dense MLPs in ``dense`` layers; routed experts, a router and the shared expert in ``moe`` layers."""
    return (dense_mlp(dense)
            + routed_experts(moe, hidden=d_expert, bias=bias_experts)
            + router(moe, bias=bias_router, score_bias=router_score_bias)
            + shared_expert(moe, hidden=d_shared, present=shared_switch, gate=shared_gate, bias=bias_ff))


#: Chapter 14's mixture-of-experts decoder: dense and MoE layers, shared experts, sinks, router biases.
MOE: tuple[Tensor, ...] = tuple(
    token_embedding()
    + attention(L)
    + all_qk_norms()
    + attention_sinks(L, present=sinks)
    + moe_feed_forward()
    + layer_norms()
    + final_layer_norm()
    + output_layer(untied, bias=bias_lm)
)

#: DeepSeek-V2/V3: MoE layers behind latent attention (MLA).
LATENT: tuple[Tensor, ...] = tuple(
    token_embedding()
    + latent_attention(L, q_rank=r_q, kv_rank=r_kv, nope=d_nope, rope=d_rope, value=d_v, compressed=q_compressed,
                       bias=bias_qkv)
    + moe_feed_forward()
    + layer_norms()
    + final_layer_norm()
    + output_layer(untied)
)


# --- chapter 14: state-space mixers and hybrid stacks ------------------------------------------

_mamba = dict(inner=d_inner, state=d_state, kernel=d_conv, conv_bias=bias_conv, in_bias=bias_ssm, out_bias=bias_ssm_out)


def mamba_mixers(count) -> list[Tensor]:
    """Mamba-1 mixers where ``x_m2`` is 0, Mamba-2 mixers where it is 1."""
    return (mamba_mixer(count, rank=r_dt, time_step_norms=ssm_time_step_norms, present=1 - mamba2, **_mamba)
            + mamba2_mixer(count, heads=h_ssm, groups=g_ssm, norm=ssm_norm, present=mamba2, **_mamba))


#: Mamba-1 and Mamba-2: every layer one mixer behind one RMSNorm, no feed-forward block.
MAMBA: tuple[Tensor, ...] = tuple(
    token_embedding() + mamba_mixers(L) + layer_norms() + final_layer_norm() + output_layer(untied)
)


def latent_projections(count) -> list[Tensor]:
    """Nemotron-H: projections from d_model to the experts' latent width and back."""
    return norm_free_linear("experts.latent_in", d_lat * d_model, d_lat, count) + norm_free_linear(
        "experts.latent_out", d_model * d_lat, d_model, count)


def norm_free_linear(name, weight, bias_width, count) -> list[Tensor]:
    # an nn.Linear to bias_width channels: its weight is (bias_width, in)
    return [Tensor(name, "feed_forward_weights", weight, count, latent_experts, bias_width),
            Tensor(f"{name}.bias", "feed_forward_biases", bias_width, count, latent_experts * bias_ff)]


#: Hybrid stacks (chapter 14): attention, Mamba, gated-DeltaNet and short-convolution
#: layers, each kind counted by its own L_*, with dense or MoE feed-forward blocks.
HYBRID: tuple[Tensor, ...] = tuple(
    token_embedding()
    + attention(L_attn, query_gate=query_gate)
    + all_qk_norms(L_attn)
    + mamba_mixers(L_ssm)
    + gated_deltanet(L_lin, key_heads=h_lk, value_heads=h_lv, key_width=d_lk, value_width=d_lv, kernel=d_conv,
                     fused=fused_deltanet)
    + short_convolution(L_conv, kernel=d_conv, bias=bias_conv)
    + dense_mlp(L_ff, fused_gate_up=fused_gate_up)
    + routed_experts(L_moe, width=d_lat, hidden=d_expert, bias=bias_experts)
    + latent_projections(L_moe)
    + router(L_moe, bias=bias_router)
    + shared_expert(L_moe, hidden=d_shared, present=shared_switch, gate=shared_gate, bias=bias_ff, gated_=gated,
                    fused_gate_up=fused_gate_up)
    + layer_norms()
    + final_layer_norm()
    + output_layer(untied)
)

#: OPT: word embeddings of width d_emb (projected in and out where it is not d_model),
#: P + 2 learned positions, LayerNorms that may have no parameters.
OPT: tuple[Tensor, ...] = tuple(
    token_embedding(width=d_emb)
    + position_embedding(rows=P + 2, present=learned_positions)
    + [Tensor("project_in", "embedding_projections", d_model * d_emb, present=embedding_projection, rows=d_model),
       Tensor("project_out", "embedding_projections", d_emb * d_model, present=embedding_projection, rows=d_emb)]
    + attention(L)
    + dense_mlp(L)
    + layer_norms()
    + final_layer_norm()
    + output_layer(untied, width=d_emb)
)


# --- buffers ----------------------------------------------------------------------------------

#: Every buffer a supported model may hold, each behind the switch its model type sets.
BUFFERS: tuple[Buffer, ...] = tuple(
    rotary_buffers(d_rot, sets=n_rot)
    + [Buffer("sincos", "sin/cos table, fp32", P_max * 2 * sp.ceiling(d_rot / 2), present=sincos_table),
       Buffer("causal_mask", "causal mask, bool", P_max**2, present=causal_mask, element_bytes=1),
       Buffer("router.score_correction", "expert-score correction, fp32", n_experts, L_moe,
              present=score_correction)]
    + scalar_buffer("embed_scale", "embedding scale, fp32", present=embedding_scale)
    + scalar_buffer("layer_scalar", "per-layer constants, fp32", count=n_layer_scalars * L)
    + [Buffer("mamba.mup_vector", "muP multipliers, fp32", 2 * d_inner + 2 * g_ssm * d_state + h_ssm, L_ssm,
              present=mup_vector)]
)


#: Every table by the name a family gives (:attr:`everybyte.families.Family.table`).
TABLE_BY_NAME: dict[str, tuple[Tensor, ...]] = {"decoder": DECODER, "dense": DENSE, "moe": MOE, "latent": LATENT,
                                                 "mamba": MAMBA, "hybrid": HYBRID, "opt": OPT}
