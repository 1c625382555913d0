"""Fine-tuning on one card (chapter 17): LoRA, DoRA and QLoRA, as peft builds them.

LoRA (Hu et al. 2022) freezes the base and adds, beside each adapted linear
layer ``d_in -> d_out``, a down projection ``A`` (``r x d_in``) and an up
projection ``B`` (``d_out x r``): ``r (d_in + d_out)`` trainable parameters.
DoRA (Liu et al. 2024) adds a magnitude vector of ``d_out``.  Which layers are
adapted is a role switch per kind of layer (``l_q``, ``l_v``, ...;
:data:`everybyte.knobs.LORA_MODULES` maps peft's target names to them, and
``all-linear`` to every linear layer but the output layer).  For transformers
5's Mixtral, peft 0.21.2's ``all-linear`` also adapts the router (a linear
layer to ``n_experts`` outputs) and the 3-d expert tensors through
``target_parameters``: for the fused gate/up tensor ``A`` is
``2 r n_experts x d_model`` and ``B`` ``2 d_ff x 2 r n_experts``, for the down
tensor ``A`` is ``r n_experts x d_ff`` and ``B`` ``d_model x r n_experts``
(read from the adapters peft creates; tests/test_finetuning.py checks them).

Memory of one step: the frozen base in the setup's dtype, or in NF4 with
double quantization for QLoRA (Dettmers et al. 2023, section 3: NF4, double
quantization and paged optimizers); the adapters, their gradients and the
optimizer states in fp32 (peft keeps adapters in fp32); paged optimizer
states are bitsandbytes' unified memory, which the driver may move to CPU RAM,
so they are counted apart from the card.  The saved activations are the full
training step's (:mod:`everybyte.activations`): an upper bound, since a frozen
layer saves no input for a weight gradient.
"""

from __future__ import annotations

import sympy as sp

from .linears import LINEARS
from .symbols import (
    L, b_dtype, b_opt, b_opt_tensor, d_ff, d_model, dora, fused_experts, gated, lora_experts, n_experts,
    paged_optimizer, qlora, r_lora,
)
from .terms import Term, ref

SECTION = "sec-lora"
SECTION_STEP = "sec-lora-step"


def _adapted():
    return [x for x in LINEARS if x.role is not None]


#: Trainable parameters of the 3-d Mixtral experts under all-linear, per layer (peft 0.21.2's ParamWrapper).
expert_adapter_parameters = ((1 + gated) * r_lora * n_experts * (d_model + (1 + gated) * d_ff)
                             + r_lora * n_experts * (d_ff + d_model))

trainable_parameters = (sp.Add(*(x.role * x.present * x.count * (r_lora * (x.d_in + x.d_out) + dora * x.d_out)
                                 for x in _adapted()))
                        + lora_experts * fused_experts * L * expert_adapter_parameters)
adapter_tensors = (sp.Add(*(x.role * x.present * x.count * (2 + dora) for x in _adapted()))
                   + lora_experts * fused_experts * L * 4)


def terms() -> list[Term]:
    """The fine-tuning terms: the adapter's size and the memory of one LoRA step."""
    tags = {"finetuning"}
    states = b_opt * ref("lora/trainable_parameters") + b_opt_tensor * ref("lora/adapter_tensors")
    base = sp.Piecewise((ref("quantized_weights/nf4-dq"), sp.Eq(qlora, 1)), (b_dtype * ref("parameters"), True))
    out = [
        Term("lora/trainable_parameters", "trainable parameters (as peft's get_nb_trainable_parameters counts them)",
             trainable_parameters, tags=tags, section=SECTION, unit="parameters"),
        Term("lora/adapter_tensors", "adapter tensors (A, B and DoRA's magnitude per adapted layer)",
             adapter_tensors, tags=tags, section=SECTION, unit="tensors"),
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
        Term("finetuning/step_peak", "peak of one LoRA step (start of backward, with the full step's activations)",
             ref("finetuning/state") + ref("finetuning/adapter_gradients") + ref("activations")
             - ref("training/input_ids") + ref("training/loss_backward") + ref("training/loss_gradient"),
             tags={*tags, "step", "total"}, section=SECTION_STEP),
    ]
    return out
