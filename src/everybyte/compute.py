"""Compute and time: FLOPs of a forward pass and of a training step, MFU, days to train, tokens per second.

The chapter "Compute and time" derives each expression; ``everybyte time``
evaluates them.  Sources:

* Kaplan et al. 2020, section 2.1 and Table 1: a forward pass costs about
  ``2 N`` FLOPs per token for the weights (one multiply and one add per
  parameter a token meets) plus ``2 n_layer n_ctx d_attn`` for the attention
  scores; the backward pass about twice the forward, so training is about
  ``6 N`` per token.
* Chowdhery et al. 2022 (PaLM), Appendix B: model FLOPs per token
  ``6 N + 12 L H Q T`` (both attention products, full ``T x T``, forward and
  backward), and model FLOPs utilisation (MFU): the model FLOPs a run achieves
  per second over the hardware's peak.

Here the weight term counts only the parameters that multiply: a lookup table
(the token and position embeddings) costs no FLOPs, the output layer does,
tied or not; under a mixture of experts a token meets only its experts
(``parameters_active``).  The attention term is PaLM's: queries times keys and
probabilities times values, each ``2 S h d_head`` FLOPs per token and layer,
with the whole ``S x S`` matrix counted (causal kernels skip about half of it;
MFU conventionally does not).
"""

from __future__ import annotations

import sympy as sp

from .symbols import L, P, S, V, d_head, d_model, h, learned_positions, untied

#: Parameters one token passes through (``parameters_active`` of the estimate).
N_active = sp.Symbol("N_active", positive=True, integer=True)
#: Training tokens.
D_train = sp.Symbol("D_train", positive=True, integer=True)
#: Peak FLOP/s of one device, the fraction of it a run achieves (MFU), devices.
F_peak = sp.Symbol("F_peak", positive=True)
mfu = sp.Symbol("mfu", positive=True)
n_devices = sp.Symbol("n_devices", positive=True, integer=True)
#: Memory bandwidth of one device (bytes per second), and bytes a decode step reads.
W_bandwidth = sp.Symbol("W_bandwidth", positive=True)
bytes_read = sp.Symbol("bytes_read", positive=True, integer=True)
#: Sequences decoded at once.
B_decode = sp.Symbol("B_decode", positive=True, integer=True)

#: Parameters that multiply: all a token passes through, less the lookup tables
#: (token and position embeddings), plus the output layer when it reuses the
#: token embedding (tied: the table is counted once in N, but it is used twice).
matmul_parameters = N_active - learned_positions * P * d_model - untied * V * d_model

#: Forward FLOPs per token for the weights: a multiply and an add per parameter.
forward_weight_flops = 2 * matmul_parameters
#: Forward FLOPs per token for attention: q k^T and P v, 2 S h d_head each, per layer.
forward_attention_flops = 2 * 2 * L * S * h * d_head
#: Forward FLOPs per token.
forward_flops_per_token = forward_weight_flops + forward_attention_flops
#: Training FLOPs per token: the backward pass costs twice the forward (Kaplan et al., PaLM).
training_flops_per_token = 3 * forward_flops_per_token
#: Kaplan et al.'s rule, C = 6 N D, for comparison (N without the attention term).
KAPLAN_TRAINING_FLOPS = 6 * N_active * D_train
#: PaLM's model FLOPs per token, 6N + 12 L H Q T (N all parameters, Q the head width).
PALM_FLOPS_PER_TOKEN = 6 * N_active + 12 * L * h * d_head * S

#: Training FLOPs of a run of D_train tokens.
training_flops = training_flops_per_token * D_train
#: Seconds to train on n_devices at a utilisation mfu of peak F_peak.
training_seconds = training_flops / (n_devices * F_peak * mfu)
#: MFU of a run that processes `tokens_per_second` tokens per second.
tokens_per_second = sp.Symbol("tokens_per_second", positive=True)
model_flops_utilisation = training_flops_per_token * tokens_per_second / (n_devices * F_peak)

#: Seconds of a prefill of B prompts of S tokens on one device (compute-bound).
B = sp.Symbol("B", positive=True, integer=True)
prefill_seconds = B * S * forward_flops_per_token / (F_peak * mfu)
#: Decode: each step reads the weights and the KV cache once (memory-bound), and
#: produces one token for each of the B_decode sequences.
decode_step_seconds = bytes_read / W_bandwidth
decode_tokens_per_second = B_decode / decode_step_seconds

SECONDS_PER_DAY = 86_400
