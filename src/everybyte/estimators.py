"""Other tools' formulas for the memory of one device, reimplemented for comparison (not the package's).

Each is a SymPy expression written as its source code computes it, so the
chapter "Training across many devices" can set it beside the package's
per-device terms (:mod:`everybyte.parallel`) and a measurement.

* DeepSpeed, ``deepspeed/runtime/zero/stage_1_and_2.py``,
  ``estimate_zero2_model_states_mem_needs`` (no offload):
  ``4 N + int(16 N / gpus)``; ``deepspeed/runtime/zero/stage3.py``,
  ``estimate_zero3_model_states_mem_needs`` (no offload):
  ``4 largest_layer + int(18 N / gpus)``, where ``largest_layer`` is the most
  parameters one module holds itself (``model_to_params``).  Model states only.
* Megatron-LM, ``megatron/training/theoretical_memory_usage.py``: weights and
  optimizer ``N_shard (6 + 12 / N_d)`` bytes with the distributed optimizer (18
  without), and the activations of Korthikanti et al.'s table 2 as
  ``compute_activation_memory`` (sequence parallelism and selective
  recomputation) or ``compute_activation_memory_without_sp`` counts them,
  here for one pipeline stage without interleaving.
"""

from __future__ import annotations

import sympy as sp

from .symbols import B, L, N, N_d, S, V, d_ff, d_model, t

#: The most parameters a single module holds itself (DeepSpeed's ``largest_layer_params``).
largest_layer = sp.Symbol("largest_layer", positive=True, integer=True)

DEEPSPEED_ZERO2 = 4 * N + sp.floor(16 * N / N_d)
DEEPSPEED_ZERO3 = 4 * largest_layer + sp.floor(18 * N / N_d)

#: Megatron-LM: bytes per parameter of the weights and the optimizer.
MEGATRON_WEIGHTS_AND_OPTIMIZER = {"plain": 18 * N / t, "distributed": N / t * (6 + sp.Rational(12) / N_d)}
#: Megatron-LM: activations (pipeline of one stage).
MEGATRON_ACTIVATIONS = {
    "sequence parallel, selective": (S * B * d_model * (18 + 4 * d_ff / d_model) * L + 8 * S * B + S * B * d_model
                                     + S * B * d_model * 4 * (1 + V / d_model)) / t,
    "without sequence parallelism": sp.Rational(105, 100) * (
        S * B * d_model * (10 + 24 / t) * L + 8 * S * B + S * B * d_model + (S * B * V / t + S * B * d_model) * 2),
}
