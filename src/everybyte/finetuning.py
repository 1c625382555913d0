"""Fine-tuning on one card (chapter 17): LoRA, DoRA and QLoRA, as peft builds them.

LoRA (Hu et al. 2022) freezes the base and adds, beside each adapted linear
layer ``d_in -> d_out``, a down projection ``A`` (``r x d_in``) and an up
projection ``B`` (``d_out x r``): ``r (d_in + d_out)`` trainable parameters.
DoRA (Liu et al. 2024) adds a magnitude vector of ``d_out``.  Which layers are
adapted is a role switch per kind of layer (``l_q``, ``l_v``, ``l_gate_up``,
``l_kv_a``, ``l_ssm_in``...; one per adaptable tensor of the family's table,
:func:`everybyte.linears.family_linears`), and
:data:`everybyte.knobs.LORA_MODULES` maps each model type's peft target names
to them, and ``all-linear`` to every linear layer but the output layer.  For
the MoE model types whose transformers 5 experts peft 0.21.2 converts
(Mixtral, Qwen3-MoE, DeepSeek...; :data:`everybyte.linear_names.PEFT_MOE_CONVERSION`),
``all-linear`` adapts the router (a linear layer to ``n_experts`` outputs) and
the 3-d expert tensors through ``target_parameters`` instead of the dense and
shared MLPs: for the fused gate/up tensor ``A`` is ``2 r n_experts x d_model``
and ``B`` ``2 d_ff x 2 r n_experts``, for the down tensor ``A`` is
``r n_experts x d_ff`` and ``B`` ``d_model x r n_experts`` (read from the
adapters peft creates; tests/test_finetuning.py checks every model type).

Memory of one step: the frozen base in the setup's dtype, or in NF4 with
double quantization for QLoRA (Dettmers et al. 2023, section 3: NF4, double
quantization and paged optimizers); the adapters, their gradients and the
optimizer states in fp32 (peft keeps adapters in fp32); paged optimizer
states are bitsandbytes' unified memory, which the driver may move to CPU RAM,
so they are counted apart from the card.  A frozen layer saves no input for a
weight gradient: the saved activations are the full step's accounting
(:mod:`everybyte.activations`) with those tensors taken out (the llama, Qwen3
and OLMo 2 families, ``families.LORA_STEP_FAMILIES``: :func:`activation_terms`),
or the full step's less what no LoRA step saves, an upper bound (the other
families with an accounting).
"""

from __future__ import annotations

import sympy as sp

from . import families
from .linears import family_linears
from .symbols import (
    B, L, S, b_dtype, b_opt, b_opt_tensor, dora, lora_down, lora_gate, lora_k, lora_o, lora_q, lora_up, lora_v,
    n_opt_temporaries, paged_optimizer, qlora, r_lora,
)
from .terms import Term, ref

SECTION = "sec-lora"
SECTION_STEP = "sec-lora-step"


def _adapted(family: str, banks: bool = True):
    """The linear layers of ``family``'s map that LoRA can adapt (with or without the 3-d expert banks)."""
    return [x for x in family_linears(family) if x.role is not None and (banks or not x.bank)]


def trainable_parameters_of(family: str) -> sp.Expr:
    """LoRA's trainable parameters in ``family``: ``r (d_in + d_out)`` per adapted layer, DoRA's ``d_out``.

    A 3-d expert bank that peft adapts as a parameter (ParamWrapper) gets, per
    layer, ``A`` of ``k r n_experts x d_in`` and ``B`` of ``d_out x k r
    n_experts``, with ``k`` the number of projections fused into it (2 for
    the gate/up tensor); DoRA is refused there.
    """
    return sp.Add(*(x.role * x.present * x.count * (x.fused * r_lora * (x.d_in + x.d_out)
                                                    + (0 if x.bank else dora * x.d_out))
                    for x in _adapted(family)))


def adapter_tensors_of(family: str) -> sp.Expr:
    """LoRA's adapter tensors in ``family``: A, B (and DoRA's magnitude) per adapted layer or expert bank."""
    return sp.Add(*(x.role * x.present * (x.tensors * 2 if x.bank else x.count * (2 + dora))
                    for x in _adapted(family)))


#: Chapter 12's decoder (the llama family's map, which is every chapter 12 family's): what chapter 17 prints.
trainable_parameters = trainable_parameters_of("llama")
adapter_tensors = adapter_tensors_of("llama")


def _any(*switches) -> sp.Expr:
    """1 if any of the 0/1 switches is 1."""
    return 1 - sp.Mul(*(1 - x for x in switches))


#: Which saved tensors of the llama accounting a LoRA step still saves, and in how many layers
#: (fp32, eager attention; chapter 17 derives each): a frozen layer saves no input for a weight
#: gradient, the norms' normalized copies served only their frozen weights, and layer 0's attention
#: sees an input that needs no gradient (the embedding is frozen), so it saves only what its adapted
#: projections need.  Key (under activations/) -> (factor of one layer's tensor, number of layers).
def _llama_lora_rules() -> dict[str, tuple[sp.Expr, sp.Expr]]:
    attention_adapted = _any(lora_q, lora_k, lora_v, lora_o)
    return {
        "rotary": (1, 1),
        "layer/norm_1/input": (1, L - 1), "layer/norm_1/statistics": (1, L - 1), "layer/norm_1/normalized": (0, L),
        "layer/attention/input": (_any(lora_q, lora_k, lora_v), L),
        "layer/attention/query": (1, L - 1 + lora_k),
        "layer/attention/key": (1, L - 1 + lora_q),
        "layer/attention/value": (1, L - 1 + _any(lora_q, lora_k)),
        # In fp32 without dropout the softmax output is also the tensor P V saves for v's gradient.
        "layer/attention/softmax": (1, L - 1 + _any(lora_q, lora_k, lora_v)),
        "layer/attention/dropout_mask": (1, L - 1 + _any(lora_q, lora_k)),
        "layer/attention/probabilities": (1, L - 1 + lora_v),
        "layer/attention/log_sum_exp": (1, L - 1 + _any(lora_q, lora_k, lora_v)),
        "layer/attention/merged_heads": (lora_o, L),
        "layer/norm_2/input": (1, L - 1 + attention_adapted), "layer/norm_2/statistics": (1, L - 1 + attention_adapted),
        "layer/norm_2/normalized": (0, L),
        "layer/mlp/input": (_any(lora_gate, lora_up), L),
        # SiLU input, SiLU output and the up projection stay; the down projection's input only if it is adapted.
        # In layer 0 the first three only if a gradient must pass the MLP's input side (attention, gate or up
        # adapted there).
        "layer/mlp/activation": (sp.Rational(1, 4), (L - 1) * (3 + lora_down)
                                 + 3 * _any(attention_adapted, lora_gate, lora_up) + lora_down),
        "final_norm/input": (1, 1), "final_norm/statistics": (1, 1), "final_norm/normalized": (0, 1),
        # q/k norms (Qwen3, OLMo 2): their input carries the gradient to an adapted q or k projection, or on
        # to the layers below; their normalized copies served only their frozen weights.
        "layer/q_norm/input": (1, L - 1 + lora_q), "layer/q_norm/statistics": (1, L - 1 + lora_q),
        "layer/q_norm/normalized": (0, L),
        "layer/k_norm/input": (1, L - 1 + lora_k), "layer/k_norm/statistics": (1, L - 1 + lora_k),
        "layer/k_norm/normalized": (0, L),
        # OLMo 2's norms of the attention and MLP outputs: their input carries the gradient into the branch.
        "layer/norm_attention_out/input": (1, L - 1 + attention_adapted),
        "layer/norm_attention_out/statistics": (1, L - 1 + attention_adapted),
        "layer/norm_attention_out/normalized": (0, L),
        "layer/norm_mlp_out/input": (1, L - 1 + _any(attention_adapted, lora_gate, lora_up, lora_down)),
        "layer/norm_mlp_out/statistics": (1, L - 1 + _any(attention_adapted, lora_gate, lora_up, lora_down)),
        "layer/norm_mlp_out/normalized": (0, L),
    }


#: What no LoRA step saves in any family: the ids (the embedding is frozen), the output layer's input
#: (its weight is frozen), and autocast's 16-bit weight copies (a LoRA base is stored in its compute
#: dtype, or dequantized layer by layer from NF4, and neither copy is saved).
_ANY_FAMILY = {"input_ids": (0, 1), "lm_head/input": (0, 1), "layer/weight_copies": (0, L),
               "lm_head/weight_copy": (0, 1)}


def activation_terms(family: str) -> list[Term]:
    """What one LoRA step saves for backward: ``finetuning/activations/...`` and their total.

    For ``families.LORA_STEP_FAMILIES`` the full step's accounting with :func:`_llama_lora_rules` applied and the
    adapters' own ``(B, S, r)`` inputs of ``B`` (exact in fp32 with eager attention for targets that
    include an attention projection); for the other families the full step's accounting less
    :data:`_ANY_FAMILY` (an upper bound).  In 16 bits the accounting is autocast's (an fp32 residual
    stream), an upper bound for a base stored in 16 bits.
    """
    from . import activations

    full = activations.saved_tensor_terms(families.FAMILIES[family].activations)
    rules = {**_ANY_FAMILY, **(_llama_lora_rules() if family in families.LORA_STEP_FAMILIES else {})}
    out = []
    for term in full:
        key = term.key.removeprefix("activations/")
        factor, count = rules.get(key, (1, term.count))
        each = sp.expand(term.each * factor)
        if each != 0:
            out.append(Term(f"finetuning/activations/{key}", term.label, each, count, tags={"finetuning", "step"},
                            section=SECTION_STEP))
    adapters = sp.Add(*(x.role * x.present * x.count for x in _adapted(family, banks=False)))
    out.append(Term("finetuning/activations/adapters", "adapter inputs of B (fp32, B S r per adapted layer)",
                    4 * B * S * r_lora * adapters, tags={"finetuning", "step"}, section=SECTION_STEP))
    out.append(Term("finetuning/activations", "saved for backward by one LoRA step (total)",
                    sp.Add(*(ref(t.key) for t in out)), tags={"finetuning", "step"}, section=SECTION_STEP))
    return out


def terms(family: str) -> list[Term]:
    """The fine-tuning terms: the adapter's size and the memory of one LoRA step."""
    tags = {"finetuning"}
    states = b_opt * ref("lora/trainable_parameters") + b_opt_tensor * ref("lora/adapter_tensors")
    base = sp.Piecewise((ref("quantized_weights/nf4-dq"), sp.Eq(qlora, 1)), (b_dtype * ref("parameters"), True))
    out = [
        Term("lora/trainable_parameters", "trainable parameters (as peft's get_nb_trainable_parameters counts them)",
             trainable_parameters_of(family), tags=tags, section=SECTION, unit="parameters"),
        Term("lora/adapter_tensors", "adapter tensors (A, B and DoRA's magnitude per adapted layer)",
             adapter_tensors_of(family), tags=tags, section=SECTION, unit="tensors"),
        Term("finetuning/base_weights", "frozen base (setup's dtype, or NF4 with double quantization for QLoRA)",
             base, tags=tags, section=SECTION_STEP),
        Term("finetuning/adapter_weights", "adapter weights (fp32)", 4 * ref("lora/trainable_parameters"), tags=tags,
             section=SECTION_STEP),
        Term("finetuning/adapter_gradients", "adapter gradients (fp32)", 4 * ref("lora/trainable_parameters"),
             tags=tags, section=SECTION_STEP),
        Term("finetuning/optimizer_states", "optimizer states on the card", (1 - paged_optimizer) * states, tags=tags,
             section=SECTION_STEP),
        Term("finetuning/paged_optimizer_states", "paged optimizer states (unified memory, may sit in CPU RAM)",
             paged_optimizer * states, tags=tags, section=SECTION_STEP),
        Term("finetuning/state", "what a LoRA step holds from start to end (on the card)",
             ref("finetuning/base_weights") + ref("training/buffers") + ref("finetuning/adapter_weights")
             + ref("finetuning/optimizer_states"), tags=tags, section=SECTION_STEP),
    ]
    if families.FAMILIES[family].activations is None:  # the step's peak needs the saved activations
        return out
    out += activation_terms(family)
    largest = sp.Max(*(x.role * x.present * r_lora * sp.Max(x.d_in, x.d_out, evaluate=False)
                       for x in _adapted(family, banks=False)),
                     evaluate=False)
    out += [
        Term("finetuning/step_peak/start_of_backward", "LoRA step: start of backward",
             ref("finetuning/state") + ref("finetuning/activations") + ref("training/loss_backward")
             + ref("training/loss_gradient"), tags={*tags, "step"}, section=SECTION_STEP),
        Term("finetuning/step_peak/optimizer_update", "LoRA step: optimizer update",
             ref("finetuning/state") + ref("finetuning/adapter_gradients") + n_opt_temporaries * 4 * largest,
             tags={*tags, "step"}, section=SECTION_STEP),
        Term("finetuning/step_peak", "peak of one LoRA step",
             sp.Max(ref("finetuning/step_peak/start_of_backward"), ref("finetuning/step_peak/optimizer_update"),
                    evaluate=False), tags={*tags, "step", "total"}, section=SECTION_STEP),
    ]
    return out
