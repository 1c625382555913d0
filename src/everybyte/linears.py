"""The linear layers of the general decoder: what LoRA adapts and what a quantizer packs (chapters 16, 17).

The tensor table of :mod:`everybyte.parameters` gives each weight's number of
elements; LoRA and the quantized formats also need its two sides, the input
and output features (a LoRA adapter of rank r on a ``d_in -> d_out`` layer has
``r (d_in + d_out)`` parameters; GPTQ groups along the input).  Each
:class:`Linear` names the tensor of :data:`everybyte.parameters.DECODER` it is
(the tests check ``d_in d_out`` against that tensor's ``numel``, so the two
tables cannot drift), its role symbol for LoRA, and where it stays in 16 bits.

Sources: the transformers modelling code of each family (q/k/v/o, gate/up/down,
GPT-2's Conv1D ``c_attn``/``c_proj``/``c_fc``, GPT-NeoX's ``query_key_value``,
``dense``, ``dense_h_to_4h``, ``dense_4h_to_h``, Mixtral's router ``gate`` and
its 3-d expert tensors ``gate_up_proj`` and ``down_proj``).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .symbols import (
    L, V, d_ff, d_head, d_model, fused_experts, fused_qkv, gated, h, h_kv, lora_down, lora_gate, lora_k, lora_o,
    lora_q, lora_qkv, lora_router, lora_up, lora_v, n_experts, router, untied,
)


@dataclass(frozen=True)
class Linear:
    """One kind of linear layer: ``count`` layers of ``d_in -> d_out`` where ``present`` is 1.

    ``tensor``: the name of its weight in :data:`everybyte.parameters.DECODER`;
    ``role``: its LoRA role symbol (``None``: LoRA does not adapt it);
    ``bias``: 1/0 expression, whether it has a bias of ``d_out``.
    """

    name: str
    tensor: str
    d_in: sp.Expr
    d_out: sp.Expr
    count: sp.Expr
    present: sp.Expr
    role: sp.Symbol | None


_unfused_qkv = 1 - fused_qkv
_unfused_experts = 1 - fused_experts

#: The linear layers of every layer, and the output layer (never adapted by all-linear).
LINEARS: tuple[Linear, ...] = (
    Linear("q", "attention.q", d_model, h * d_head, L, _unfused_qkv, lora_q),
    Linear("k", "attention.k", d_model, h_kv * d_head, L, _unfused_qkv, lora_k),
    Linear("v", "attention.v", d_model, h_kv * d_head, L, _unfused_qkv, lora_v),
    Linear("qkv", "attention.qkv", d_model, (h + 2 * h_kv) * d_head, L, fused_qkv, lora_qkv),
    Linear("o", "attention.o", h * d_head, d_model, L, sp.Integer(1), lora_o),
    Linear("gate", "mlp.gate", d_model, d_ff, L * n_experts, gated * _unfused_experts, lora_gate),
    Linear("up", "mlp.up", d_model, d_ff, L * n_experts, _unfused_experts, lora_up),
    Linear("down", "mlp.down", d_ff, d_model, L * n_experts, _unfused_experts, lora_down),
    Linear("router", "router", d_model, n_experts, L, router, lora_router),
    Linear("lm_head", "lm_head", d_model, V, sp.Integer(1), untied, None),
)
#: Mixtral's experts as transformers 5 stores them: per layer, n_experts x (1 + gamma) d_ff x d_model
#: (gate and up fused) and n_experts x d_model x d_ff.  Not nn.Linear modules, so bitsandbytes and
#: torchao leave them as they are; GPTQ, AWQ and GGUF files quantize each expert's matrices.
EXPERT_TENSORS: tuple[Linear, ...] = (
    Linear("experts.gate_up", "experts.gate_up", d_model, (1 + gated) * d_ff, L * n_experts, fused_experts, None),
    Linear("experts.down", "experts.down", d_ff, d_model, L * n_experts, fused_experts, None),
)
#: The layers inside the decoder blocks that quantizers pack (the router and the output layer stay in 16 bits).
BLOCK_LINEARS: tuple[Linear, ...] = tuple(x for x in LINEARS if x.name not in ("router", "lm_head"))


def weight_elements(linears) -> sp.Expr:
    """Elements of the weights of ``linears`` (present ones, every occurrence)."""
    return sp.Add(*(x.present * x.count * x.d_in * x.d_out for x in linears))
