"""Compute and time: FLOPs of a forward pass and of a training step, MFU, time to train, tokens per second.

The chapter "Compute and time" derives each expression; :func:`everybyte.estimate`
evaluates them as the terms ``compute/...`` and ``everybyte time`` prints them.
Sources:

* Kaplan et al. 2020, section 2.1 and Table 1: a forward pass costs about
  ``2 N`` FLOPs per token for the weights (one multiply and one add per
  parameter a token meets) plus an attention term that grows with the
  context; the backward pass about twice the forward, so training costs about
  ``6 N`` FLOPs per token (their ``C = 6 N D``).
* Chowdhery et al. 2022 (PaLM), Appendix B: model FLOPs per token
  ``6 N + 12 L H Q T`` (both attention products over the full ``T x T``
  matrix, forward and backward), and model FLOPs utilisation (MFU): the model
  FLOPs a run achieves per second over the peak of its hardware.

Here the weight term counts only the parameters that multiply: a lookup table
(the token and position embeddings) costs no FLOPs, the output layer does,
tied or not; under a mixture of experts a token meets only its experts
(``parameters_active``).  The attention term is PaLM's: queries times keys and
probabilities times values, ``2 S h d_head`` FLOPs each per token and layer,
the whole ``S x S`` matrix counted (a causal kernel skips about half of it;
MFU conventionally counts it all).

Times are exact integers of nanoseconds, rounded up: the utilisation is given
in basis points (``mfu_bp``, 4000 for 40 %), peak FLOP/s and bandwidth in
whole units, so every quotient is of integers.  Decoding is taken as
memory-bound: each step reads the weights and the KV cache once.
"""

from __future__ import annotations

import sympy as sp

from .symbols import (
    B, D_train, F_peak, L, P, S, V, W_bandwidth, d_head, d_model, h, learned_positions, mfu_bp, n_devices, untied,
)
from .terms import Term, ref

SECTION = "sec-compute"
NANOSECONDS = 10**9
BASIS_POINTS = 10**4


def _t(key, label, expr, unit, tags=()):
    return Term(f"compute/{key}", label, expr, tags={"compute", *tags}, section=SECTION, unit=unit)


#: Parameters that multiply: all a token passes through, less the lookup tables
#: (token and position embeddings), plus the output layer when it reuses the
#: token embedding (a tied table is counted once in N, but it is used twice).
matmul_parameters = ref("parameters_active") - learned_positions * P * d_model - untied * V * d_model

TERMS: list[Term] = [
    _t("forward_weight_flops_per_token", "forward FLOPs per token, weights (2 per multiplying parameter)",
       2 * matmul_parameters, "FLOPs"),
    _t("forward_attention_flops_per_token", "forward FLOPs per token, attention (q k^T and P v over S positions)",
       2 * 2 * L * S * h * d_head, "FLOPs"),
]
TERMS.append(_t("forward_flops_per_token", "forward FLOPs per token",
                ref("compute/forward_weight_flops_per_token") + ref("compute/forward_attention_flops_per_token"),
                "FLOPs", ("total",)))
TERMS += [
    _t("training_flops_per_token", "training FLOPs per token (forward and a backward of twice its cost)",
       3 * ref("compute/forward_flops_per_token"), "FLOPs", ("total",)),
    _t("training_flops", "training FLOPs of the run (its D_train tokens)",
       ref("compute/training_flops_per_token") * D_train, "FLOPs", ("total",)),
    _t("training_time_ns", "time to train on n_devices at the given MFU",
       sp.ceiling(NANOSECONDS * BASIS_POINTS * ref("compute/training_flops") / (n_devices * F_peak * mfu_bp)),
       "nanoseconds", ("time",)),
    _t("prefill_time_ns", "prefill of B prompts of S tokens on one device at the given MFU",
       sp.ceiling(NANOSECONDS * BASIS_POINTS * B * S * ref("compute/forward_flops_per_token") / (F_peak * mfu_bp)),
       "nanoseconds", ("time",)),
    _t("decode_bytes_per_step", "bytes one decode step reads (the weights and the KV cache)",
       ref("weights") + ref("kv_cache"), "bytes"),
    _t("decode_step_time_ns", "one decode step, memory-bound",
       sp.ceiling(NANOSECONDS * ref("compute/decode_bytes_per_step") / W_bandwidth), "nanoseconds", ("time",)),
    _t("decode_tokens_per_second", "tokens per second the bandwidth allows (B sequences, one token each per step)",
       sp.floor(B * W_bandwidth / ref("compute/decode_bytes_per_step")), "tokens/s", ("time",)),
]

#: Kaplan et al.'s rule, C = 6 N D (for comparison; N all parameters a token meets).
N_active = sp.Symbol("N_active", positive=True, integer=True)
KAPLAN_TRAINING_FLOPS = 6 * N_active * D_train
#: PaLM's model FLOPs per token, 6 N + 12 L H Q T (H heads of width Q, context T).
PALM_FLOPS_PER_TOKEN = 6 * N_active + 12 * L * h * d_head * S
#: MFU of a run that trains ``tokens_per_second`` tokens per second on n_devices.
tokens_per_second = sp.Symbol("tokens_per_second", positive=True)
training_flops_per_token = sp.Symbol("C_token", positive=True)
model_flops_utilisation = training_flops_per_token * tokens_per_second / (n_devices * F_peak)

SECONDS_PER_DAY = 86_400
