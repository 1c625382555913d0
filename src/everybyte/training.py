"""One training step: what it holds, and the moments where its peak can fall (chapter 13).

Every term is a SymPy expression over the book's symbols and references to the
parameter count (``parameters``), the parameter table's shape
(``parameter_tensors``, ``largest_parameter_tensor``) and the saved activations
(``activations``).  The weights stay fp32 under autocast (they are the master
weights); the 16-bit weight copies autocast makes are among the saved tensors.

The peak is the largest of three candidate moments, as PyTorch's ``MemTracker``
counts them on the CPU (the input ids are made before the step, so it does not
see them):

* start of the backward pass: weights, buffers and optimizer states, every
  saved tensor, the fp32 gradient of the log-probabilities and the output of
  the log-softmax backward (``2 x 4 B S V``) and the 4-byte loss gradient; no
  gradients yet (``zero_grad(set_to_none=True)``);
* end of the backward pass: every gradient but the embedding's, plus the
  tensors of the embedding backward;
* the optimizer update: weights, gradients, states and the update's temporaries.

Scope: the candidates leave out the moment inside a layer's backward pass when
its feed-forward gradients are alive.  That moment wins when the vocabulary is
small next to the feed-forward width (toy models with ``V = 101`` and
``d_ff = 240`` show it); the tests check the prediction within 1 % of
``MemTracker`` for ``V`` from about ``d_ff`` to ``10 d_ff``.  For the llama
family the prediction is ``8 B S`` bytes above the measurement (one int64
``(B, S)`` tensor the tracker does not count at that moment; not traced).
"""

from __future__ import annotations

import sympy as sp

from .symbols import B, S, V, adamw_8bit, b_opt, b_opt_tensor, d_model, d_rot, n_opt_temporaries, untied
from .terms import Term, ref

SECTION = "sec-training-step"

N_ref = ref("parameters")


def _t(key, label, expr, tags=()):
    return Term(key, label, expr, tags={"training", *tags}, section=SECTION)


#: Tag of the terms that only mean something with an activation accounting:
#: the transients of the step and its peak.
STEP = "step"


#: The state a training step holds from start to end (chapter 7's steady state,
#: with AdamW's per-tensor step counters and the rotary buffers).
STATE_TERMS: list[Term] = [
    _t("training/weights", "weights (fp32 master weights)", 4 * N_ref, ("state",)),
    # torch.arange(0, d_rot, 2) has ceiling(d_rot / 2) entries; inv_freq and original_inv_freq.
    _t("training/buffers", "buffers (rotary frequencies, fp32)", 2 * 4 * sp.ceiling(d_rot / 2), ("state",)),
    _t("training/gradients", "gradients (fp32)", 4 * N_ref, ("state",)),
    _t("training/optimizer_states", "optimizer states",
       b_opt * N_ref + b_opt_tensor * ref("parameter_tensors") + adamw_8bit * ref("optimizer_8bit_states"), ("state",)),
    _t("training/input_ids", "input token ids (int64, made before the step)", 8 * B * S, ("state",)),
]

def state_terms(buffer_bytes: sp.Expr, buffers_label: str = "buffers (rotary frequencies, fp32)") -> list[Term]:
    """:data:`STATE_TERMS` with the buffers of a family's table (chapter 14: masks, scales, score corrections)."""
    buffers = _t("training/buffers", buffers_label, buffer_bytes, ("state",))
    return [buffers if t.key == "training/buffers" else t for t in STATE_TERMS]


#: What lives only for a moment during the step.
TRANSIENT_TERMS: list[Term] = [
    _t("training/loss_backward", "loss gradient and log-softmax backward (two fp32 B S x V)", 2 * 4 * B * S * V,
       (STEP,)),
    _t("training/loss_gradient", "gradient of the loss (fp32 scalar)", sp.Integer(4), (STEP,)),
    # Tied: the lm_head and embedding gradients, and their sum; untied: the
    # embedding's dense gradient and the incoming (B S, d_model) gradient.
    _t("training/embedding_backward", "embedding backward (last step of backward)",
       (1 - untied) * 3 * 4 * V * d_model + untied * (4 * V * d_model + 4 * B * S * d_model), (STEP,)),
    _t("training/embedding_gradient", "embedding gradient (fp32)", 4 * V * d_model, (STEP,)),
    _t("training/update_temporaries", "optimizer temporaries (largest tensor)",
       n_opt_temporaries * 4 * ref("largest_parameter_tensor"), (STEP,)),
]

_static = ref("training/weights") + ref("training/buffers") + ref("training/optimizer_states")

#: The candidate moments and the peak, the largest of them.
PEAK_TERMS: list[Term] = [
    _t("training_peak/start_of_backward", "start of backward",
       _static + ref("activations") - ref("training/input_ids") + ref("training/loss_backward")
       + ref("training/loss_gradient"), ("peak", STEP)),
    _t("training_peak/end_of_backward", "end of backward",
       _static + ref("training/gradients") - ref("training/embedding_gradient")
       + ref("training/embedding_backward"), ("peak", STEP)),
    _t("training_peak/optimizer_update", "optimizer update",
       _static + ref("training/gradients") + ref("training/update_temporaries"), ("peak", STEP)),
]
PEAK_TERMS.append(_t("training_peak", "peak of one training step",
                     sp.Max(*(ref(t.key) for t in PEAK_TERMS), evaluate=False), ("peak", "total", STEP)))
