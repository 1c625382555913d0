"""Memory effect of the article's efficiency techniques (chapter 10).

Each technique is a formula in bytes, next to the baseline it improves on.

Sources: Micikevicius et al. 2018 and Rajbhandari et al. 2020, section 3.1
(mixed-precision Adam: 2 + 2 + 12 = 16 bytes per parameter); Rajbhandari
et al. 2020, figure 1 (ZeRO stages 1-3); Korthikanti et al. 2022, section 4
(tensor parallelism, sequence parallelism and full recomputation); Chen et al.
2016 (gradient checkpointing); Dettmers et al. 2022 and Frantar et al. 2023
(8- and 4-bit weights with per-group scales); Hinton et al. 2015
(distillation).
"""

from __future__ import annotations

import sympy as sp

from .memory import KORTHIKANTI_LAYER_ACTIVATIONS, layer_activation_memory
from .symbols import B, L, N, N_d, N_student, N_teacher, S, b_param, d_model, density, g, h, t

# a) mixed precision --------------------------------------------------------------------

#: Mixed-precision Adam (ZeRO paper, 3.1): fp16 weights and gradients plus
#: fp32 master weights, momentum and variance.
MIXED_PRECISION_STATE_TERMS = {
    "fp16 weights": 2 * N,
    "fp16 gradients": 2 * N,
    "fp32 master weights": 4 * N,
    "fp32 Adam momentum": 4 * N,
    "fp32 Adam variance": 4 * N,
}
mixed_precision_states = sp.Add(*MIXED_PRECISION_STATE_TERMS.values())

# b) model and data parallelism ----------------------------------------------------------

#: ZeRO stage 1 (optimizer states partitioned over N_d data-parallel GPUs).
zero_stage_1_states = 2 * N + 2 * N + 12 * N / N_d
#: ZeRO stage 2 (and gradients).
zero_stage_2_states = 2 * N + 14 * N / N_d
#: ZeRO stage 3 (and weights).
zero_stage_3_states = 16 * N / N_d
#: Tensor parallelism over t GPUs splits every weight matrix, and so its states.
#: An approximation: each GPU also keeps whole copies of the norms and of
#: some biases, which this leaves out (they are well under 0.1 % of N).
tensor_parallel_states = 16 * N / t
#: Korthikanti et al., eq. (4): per-layer activations with tensor and sequence
#: parallelism, all 16-bit.  As in the paper it assumes d_ff = 4 d_model (the 34
#: comes from that) and leaves out the layer norms' fp32 mean and 1/std
#: (16 B S bytes per layer), so it equals the ``korthikanti`` setting of
#: :func:`everybyte.memory.layer_activation_memory` divided by t only up to those.
tensor_sequence_parallel_layer_activations = KORTHIKANTI_LAYER_ACTIVATIONS / t

# c) gradient checkpointing ------------------------------------------------------------------

#: Full recomputation: keep only each layer's 16-bit input, and rebuild one
#: layer's activations at a time during the backward pass.
checkpointed_activations = L * 2 * B * S * d_model + layer_activation_memory("korthikanti")

# d) pruning and quantization ------------------------------------------------------------------

#: Quantized weights with one fp16 scale per group of ``g`` weights.
quantized_weights = N * b_param + 2 * N / g
#: Unstructured pruning keeping a fraction ``density`` of weights in a dense dtype
#: saves nothing until stored sparsely; stored as values + int32 indices:
pruned_sparse_weights = density * N * (b_param + 4)

# e) distillation -------------------------------------------------------------------------------

#: Distillation step: frozen fp16 teacher + student trained with mixed-precision Adam.
distillation_memory = 2 * N_teacher + 16 * N_student
