"""Training across devices: what one device holds, term by term (chapter "Training across many devices").

Every term here is the memory of *one* device (a rank) of a training run spread
over ``N_d`` data-parallel, ``t`` tensor-parallel, ``N_cp`` context-parallel and
``N_pp`` pipeline devices, evaluated for the rank whose data-parallel index is
``i_dp`` and whose pipeline stage is ``i_pp`` (:class:`everybyte.options.Parallelism`
gives their values).  The terms are built from the family's tensor table
(:mod:`everybyte.parameters`) and its saved-tensor accounting
(:mod:`everybyte.activations`): what a strategy shards is divided, tensor by
tensor, and what it replicates is kept.

* Parameters, gradients and optimizer states: ZeRO stages 1-3 (Rajbhandari et
  al. 2020, section 5).  Stage 3 is FSDP2's ``fully_shard``: each parameter's
  first dimension is cut into ``N_d`` chunks of ``ceil(rows / N_d)`` rows, the
  last ones short or empty, and every rank stores a padded chunk (PyTorch,
  ``torch/distributed/fsdp/_fully_shard/_fsdp_param.py``); optimizer states are
  made from the unpadded local shard.  Stages 1 and 2 are counted as one flat
  buffer split evenly (DeepSpeed's and Megatron-LM's distributed optimizer);
  torch's ``ZeroRedundancyOptimizer`` assigns whole tensors instead, greedily.
* Tensor parallelism (Shoeybi et al. 2019; Megatron-LM and DTensor's
  ``ColwiseParallel``/``RowwiseParallel``): q, k, v, gate and up split by output
  rows, o and down by input columns, the embedding and the output layer by
  vocabulary rows; norms, the router and row-parallel biases are replicated.
* Activations: Korthikanti et al. 2022, section 4 and table 2: with tensor
  parallelism the norms' inputs, the q/k/v and feed-forward inputs and the
  residual dropout masks stay whole (their ``10 s b h``), the rest divides by
  ``t``; sequence parallelism divides those too; selective recomputation drops
  the attention core (softmax, its dropout mask, the probabilities); full
  recomputation keeps each layer's input only and rebuilds one layer at a time.
  Context parallelism is counted as each rank running ``S / N_cp`` tokens.
* Pipelines: GPipe keeps every micro-batch in flight, 1F1B at most ``N_pp - i``
  on stage ``i`` (Narayanan et al. 2021, section 2.2), the interleaved schedule
  ``2 (N_pp - i - 1) + (v - 1) N_pp + 1`` model chunks of ``L / (N_pp v)``
  layers (Megatron-LM's schedule); the first stage holds the embedding, the
  last the final norm, the output layer (a copy of the embedding if tied) and
  the loss.
* Experts: expert parallelism divides a layer's experts over ``N_ep`` devices
  (Lepikhin et al. 2021).
* 8-bit optimizer states: bitsandbytes' ``AdamW8bit`` (Dettmers et al. 2022):
  two uint8 states and one fp32 absolute maximum per block of 256 for each
  state, fp32 states for tensors under 4,096 elements, and two 256-entry fp32
  quantization maps shared by all tensors (``bitsandbytes/optim/optimizer.py``,
  ``Optimizer2State.init_state``).

The candidate moments of the peak follow :mod:`everybyte.training` and add what
a sharded step holds: the gathered parameters of the root group and of the
layer FSDP is working on, and the gradients earlier micro-batches accumulated.
"""

from __future__ import annotations

import sympy as sp

from . import activations, families, parameters
from .parameters import EXPERT_GROUPS, Tensor, first_dimension
from .symbols import (
    B, L, L_slide, N_cp, N_d, N_ep, N_pp, S, V, adamw_8bit, b_gather, b_opt, b_opt_tensor, d_model, gpipe, i_dp, i_pp,
    interleaved, n_experts, n_micro, n_opt_temporaries, n_virtual, offload, recompute_full, recompute_selective,
    reshard, sequence_parallel, t, b_res, untied, zero_1, zero_2, zero_3,
)
from .terms import Term, ref

SECTION_STATES = "sec-parallel-states"
SECTION_FSDP = "sec-parallel-fsdp"
SECTION_ACTIVATIONS = "sec-parallel-activations"
SECTION_PIPELINE = "sec-parallel-pipeline"
SECTION_PEAK = "sec-parallel-peak"
SECTION_8BIT = "sec-parallel-8bit"

#: Tag of every per-device term.
PER_DEVICE = "per-device"

# --- where a tensor lives -------------------------------------------------------------------

#: Tensors outside the layers: on the first pipeline stage (the rest are on the last).
FIRST_STAGE = frozenset({"embed_tokens", "embed_positions"})
#: How tensor parallelism splits a tensor: ``"out"`` its output features (column-parallel,
#: and the vocabulary rows of the embedding and the output layer), ``"in"`` its input
#: features (row-parallel).  Tensors not named are replicated.
TP_SPLIT: dict[str, str] = {
    "embed_tokens": "out", "lm_head": "out",
    "attention.q": "out", "attention.k": "out", "attention.v": "out", "attention.qkv": "out",
    "attention.q.bias": "out", "attention.k.bias": "out", "attention.v.bias": "out", "attention.qkv.bias": "out",
    "attention.o": "in",
    "mlp.gate": "out", "mlp.up": "out", "mlp.gate.bias": "out", "mlp.up.bias": "out", "mlp.down": "in",
    "experts.gate_up": "in", "experts.down": "in", "experts.gate_up.bias": "in",  # 3-d: the d_ff dimension
}

#: 1 on the first pipeline stage, 1 on the last (both 1 without a pipeline).
first_stage = sp.Piecewise((1, sp.Eq(i_pp, 0)), (0, True))
last_stage = sp.Piecewise((1, sp.Eq(i_pp, N_pp - 1)), (0, True))
#: Layers on one stage (the pipeline degree divides L).
layers_per_stage = sp.floor(L / N_pp)


class Shard:
    """One tensor of the table as one rank holds it: elements, rows, and its FSDP chunks."""

    def __init__(self, tensor: Tensor, family: str, stage_count: sp.Expr):
        numel, rows = tensor.numel, first_dimension(tensor, family)
        count = tensor.count
        if tensor.group in EXPERT_GROUPS:  # expert parallelism: a rank keeps n_experts / N_ep experts
            local_experts = sp.floor(n_experts / N_ep)
            numel, rows, count = (e.xreplace({n_experts: local_experts}) for e in (numel, rows, count))
            stage_count = stage_count.xreplace({n_experts: local_experts})
        columns = sp.cancel(numel / rows)
        split = TP_SPLIT.get(tensor.name)
        input_major = tensor.name in parameters.INPUT_MAJOR_ROWS.get(family, {})
        if split is not None and input_major:  # GPT-2's Conv1D stores (in, out)
            split = {"out": "in", "in": "out"}[split]
        if split == "out":
            rows = sp.ceiling(rows / t)
        elif split == "in":
            columns = sp.ceiling(columns / t)
        self.name = tensor.name
        self.present = tensor.present
        self.count = stage_count
        self.per_layer = tensor.count.has(L)
        self.per_layer_count = sp.cancel(count / L) if self.per_layer else sp.Integer(1)
        self.elements = rows * columns  # on this rank before FSDP
        chunk = sp.ceiling(rows / N_d)
        self.padded_shard = chunk * columns
        self.shard = sp.Max(0, sp.Min(chunk, rows - i_dp * chunk, evaluate=False), evaluate=False) * columns
        self.gathered = N_d * chunk * columns


def shards(family: str) -> list[Shard]:
    """The rank's tensors: its stage's layers, its stage's other tensors, and a tied output copy."""
    out = []
    for tensor in parameters.TABLES[family]:
        if tensor.count.has(L):
            stage_count = tensor.count.xreplace({L: layers_per_stage})
        else:
            stage_count = tensor.count * (first_stage if tensor.name in FIRST_STAGE else last_stage)
        out.append(Shard(tensor, family, stage_count))
        if tensor.name == "embed_tokens":  # tied: the last stage of a pipeline keeps a copy for the output layer
            copy = Shard(tensor, family, (1 - untied) * last_stage * (1 - first_stage))
            copy.name = "embed_tokens (output copy)"
            out.append(copy)
    return out


def _sum(items, value) -> sp.Expr:
    return sp.Add(*(s.present * s.count * value(s) for s in items))


def blockwise_8bit_bytes(elements: sp.Expr) -> sp.Expr:
    """bitsandbytes' AdamW8bit states of one tensor of ``elements``: fp32 below 4,096 elements."""
    return sp.Piecewise((8 * elements, sp.StrictLessThan(elements, 4096)),
                        (2 * elements + 2 * 4 * sp.ceiling(elements / 256), True))


#: bitsandbytes' two quantization maps (signed and unsigned dynamic, 256 fp32 each), shared by all tensors.
QUANTIZATION_MAPS = 2 * 256 * 4


def _t(key, label, expr, section, tags=()):
    return Term(f"parallel/{key}", label, expr, tags={PER_DEVICE, *tags}, section=section)


def state_terms(family: str) -> list[Term]:
    """Parameters, gradients and optimizer states of one rank (ZeRO stages, TP, PP, EP, offload, 8-bit)."""
    items = shards(family)
    local = _sum(items, lambda s: s.elements)
    padded = _sum(items, lambda s: s.padded_shard)
    owned = _sum(items, lambda s: s.shard)
    tensors = _sum(items, lambda s: 1)
    # ZeRO-1/2: one flat buffer split evenly over the data-parallel ranks.
    flat = lambda x: sp.ceiling(x / N_d)  # noqa: E731
    own_elements = zero_3 * owned + (1 - zero_3) * (zero_1 * flat(local) + (1 - zero_1) * local)
    own_tensors = zero_3 * tensors + (1 - zero_3) * (zero_1 * flat(tensors) + (1 - zero_1) * tensors)
    # Blockwise per tensor of this device's stage and tensor-parallel slice; the ZeRO stages
    # then split these bytes evenly (bitsandbytes itself shards nothing).
    eight_bit = _sum(items, lambda s: blockwise_8bit_bytes(s.elements))
    eight_bit = zero_1 * flat(eight_bit) + (1 - zero_1) * eight_bit
    dense = b_opt * own_elements + b_opt_tensor * own_tensors
    largest = sp.Max(*(s.present * sp.Min(1, s.count, evaluate=False)
                       * (zero_3 * s.padded_shard + (1 - zero_3) * s.elements) for s in items), evaluate=False)
    return [
        _t("parameters", "parameters on this device (fp32; FSDP: its padded shards)",
           4 * (zero_3 * padded + (1 - zero_3) * local), SECTION_FSDP, ("state",)),
        _t("gradients", "gradients on this device (fp32; sharded from ZeRO-2 on)",
           4 * (zero_3 * padded + (1 - zero_3) * (zero_2 * flat(local) + (1 - zero_2) * local)), SECTION_FSDP,
           ("state",)),
        _t("gradient_buckets", "DDP's gradient buckets (a flat fp32 copy of the gradients, N_d > 1, ZeRO-0/1)",
           (1 - zero_2) * sp.Piecewise((0, sp.Eq(N_d, 1)), (4 * local, True)), SECTION_STATES, ("state",)),
        _t("optimizer_states/per_element", "optimizer states this device owns (bytes per element and per tensor)",
           (1 - adamw_8bit) * dense, SECTION_STATES),
        _t("optimizer_states/blockwise_8bit", "AdamW8bit states this device owns (uint8 states, block maxima, maps)",
           adamw_8bit * (eight_bit + QUANTIZATION_MAPS), SECTION_8BIT),
        _t("optimizer_states", "optimizer states on this device (0 when offloaded)",
           (1 - offload) * (ref("parallel/optimizer_states/per_element") + ref("parallel/optimizer_states/blockwise_8bit")),
           SECTION_STATES, ("state",)),
        _t("offloaded_optimizer_states", "optimizer states in host memory (offload)",
           offload * (ref("parallel/optimizer_states/per_element") + ref("parallel/optimizer_states/blockwise_8bit")),
           SECTION_STATES, ("host",)),
        _t("largest_local_tensor", "elements of the largest tensor this device updates", largest, SECTION_STATES),
        _t("gathered/root", "gathered parameters of the root group (FSDP: embedding, final norm, output layer)",
           zero_3 * b_gather * _sum([s for s in items if not s.per_layer], lambda s: s.gathered), SECTION_FSDP),
        _t("gathered/root_gradients", "unsharded fp32 gradients of the root group before its reduce-scatter (FSDP)",
           zero_3 * 4 * _sum([s for s in items if not s.per_layer], lambda s: s.gathered), SECTION_FSDP),
        _t("gathered/layer", "gathered parameters of one layer (FSDP's all-gather)",
           zero_3 * b_gather * sp.Add(*(s.present * s.per_layer_count * s.gathered for s in items if s.per_layer)),
           SECTION_FSDP),
    ]


def optimizer_8bit_terms(family: str) -> list[Term]:
    """AdamW8bit's states of the whole model on one device (the single-device training term adds it)."""
    values = [(tensor.present * tensor.count, blockwise_8bit_bytes(tensor.numel)) for tensor in parameters.TABLES[family]]
    return [Term("optimizer_8bit_states", "AdamW8bit states (bitsandbytes, blockwise, whole model)",
                 sp.Add(*(n * b for n, b in values)) + QUANTIZATION_MAPS, tags={"training"}, section=SECTION_8BIT)]


# --- activations ------------------------------------------------------------------------------

#: Layer tensors tensor parallelism leaves whole (Korthikanti et al.'s 10 s b h): the norms'
#: inputs and outputs, the inputs of the first projections, the residual dropout masks.
REPLICATED_IN_LAYER = ("layer/norm_1/", "layer/norm_2/", "layer/attention/input", "layer/mlp/input",
                       "layer/attention/residual_dropout_mask", "layer/mlp/residual_dropout_mask")
#: The attention core selective recomputation rebuilds.
ATTENTION_CORE = ("layer/attention/softmax", "layer/attention/dropout_mask", "layer/attention/probabilities")
#: The saved tensors of the first stage (besides the layers) and those of every stage.
HEAD = ("input_ids", "position_ids", "embedding_dropout_mask")
EVERY_STAGE = ("rotary",)
#: Tensors of the last stage that tensor parallelism divides (vocabulary-parallel output and loss).
VOCABULARY_PARALLEL = ("lm_head/weight_copy", "loss/log_probabilities")
#: The input of each layer, which a full checkpoint keeps.
LAYER_INPUT = "layer/norm_1/input"
#: 16-bit copies of the weights that autocast makes once and caches for the whole step: the micro-batches
#: in flight on a stage share them (autocast around the schedule's step, as measured).
WEIGHT_COPIES = ("layer/weight_copies", "lm_head/weight_copy")


def _divided(expr):
    return sp.ceiling(expr / t)


def _activation_parts(accounting: str) -> dict[str, sp.Expr]:
    """Bytes of one micro-batch on one rank: per layer (kept, whole), first stage, every stage, last stage."""
    tokens = {S: sp.ceiling(S / N_cp)}  # context parallelism: a rank's share of the sequence
    parts = {"layer": sp.Integer(0), "layer_whole": sp.Integer(0), "layer_input": sp.Integer(0),
             "head": sp.Integer(0), "every": sp.Integer(0), "tail": sp.Integer(0), "window": sp.Integer(0),
             "layer_copies": sp.Integer(0), "tail_copies": sp.Integer(0)}
    saved = activations.ACCOUNTINGS[accounting]
    for term in saved:
        key = term.key.removeprefix("activations/")
        each = term.each.xreplace(tokens)
        if term.per_layer and term.count != L:  # the layers of one kind (sliding-window layers: L_slide)
            if term.count != L_slide:
                raise ValueError(f"{term.key}: a per-layer tensor of {term.count} layers has no pipeline placement")
            parts["window"] += each  # the explicit window mask: one per batch, whole on every TP rank
            continue
        if term.per_layer:
            if key.startswith(REPLICATED_IN_LAYER):
                each = sequence_parallel * _divided(each) + (1 - sequence_parallel) * each
            else:
                each = _divided(each)
            parts["layer_whole"] += each
            if key == LAYER_INPUT:
                parts["layer_input"] += each
            if key in WEIGHT_COPIES:
                parts["layer_copies"] += each
                continue
            parts["layer"] += (1 - recompute_selective) * each if key.startswith(ATTENTION_CORE) else each
            continue
        if key == "embedding_dropout_mask":
            parts["head"] += sequence_parallel * _divided(each) + (1 - sequence_parallel) * each
        elif key.startswith(HEAD):
            parts["head"] += each
        elif key.startswith(EVERY_STAGE):
            parts["every"] += each
        elif key in WEIGHT_COPIES:
            parts["tail_copies"] += _divided(each)
        elif key.startswith(VOCABULARY_PARALLEL):
            parts["tail"] += _divided(each)
        elif key.startswith(("loss/labels", "loss/normalizer")):
            parts["tail"] += each
        else:  # final norm and output-layer input: whole, or split by sequence parallelism
            parts["tail"] += sequence_parallel * _divided(each) + (1 - sequence_parallel) * each
    if not any(t.key == f"activations/{LAYER_INPUT}" for t in saved):  # a full checkpoint keeps the layer's input
        each = b_res * B * sp.ceiling(S / N_cp) * d_model
        parts["layer_input"] = sequence_parallel * _divided(each) + (1 - sequence_parallel) * each
    return parts


def _in_flight():
    one_f_one_b = sp.Min(N_pp - i_pp, n_micro)
    all_of_them = sp.Piecewise((1, sp.Eq(N_pp, 1)), (n_micro, True))
    chunks = sp.Min(2 * (N_pp - i_pp - 1) + (n_virtual - 1) * N_pp + 1, n_micro * n_virtual)
    plain = 1 - gpipe - interleaved
    layer_micro_batches = (plain * layers_per_stage * one_f_one_b + gpipe * layers_per_stage * all_of_them
                           + interleaved * sp.floor(L / (N_pp * n_virtual)) * chunks)
    stage_micro_batches = plain * one_f_one_b + gpipe * all_of_them + interleaved * sp.ceiling(chunks / n_virtual)
    last_micro_batches = plain + gpipe * all_of_them + interleaved
    return layer_micro_batches, stage_micro_batches, last_micro_batches


def activation_terms(family: str) -> list[Term]:
    """Saved activations of one rank at the start of its last backward pass, and the recomputed layer."""
    accounting = families.FAMILIES[family].activations
    parts = _activation_parts(accounting)
    layer_mb, stage_mb, last_mb = _in_flight()
    kept_per_layer = recompute_full * parts["layer_input"] + (1 - recompute_full) * parts["layer"]
    # Sliding-window layers' masks: exact without a pipeline (L_slide of the L layers); with one, an
    # upper bound (every stage is taken to hold min(L_slide, L / N_pp) of them).
    window_layers = sp.Min(L_slide, layers_per_stage)
    plain = 1 - gpipe - interleaved
    window_in_flight = (plain * sp.Min(N_pp - i_pp, n_micro) + gpipe * sp.Piecewise((1, sp.Eq(N_pp, 1)), (n_micro, True))
                        + interleaved * sp.Min(2 * (N_pp - i_pp - 1) + (n_virtual - 1) * N_pp + 1,
                                               n_micro * n_virtual))
    tags = ("activations", PER_DEVICE)
    window = []
    total = (ref("parallel/activations/layer") * ref("parallel/activations/layer_micro_batches")
             + ref("parallel/activations/weight_copies")
             + ref("parallel/activations/first_stage") + ref("parallel/activations/last_stage"))
    if parts["window"] != 0:
        window = [_t("activations/window_layers", "sliding-window layers' masks (micro-batches in flight)",
                     (1 - recompute_full) * window_layers * window_in_flight * parts["window"], SECTION_PIPELINE,
                     tags)]
        total += ref("parallel/activations/window_layers")
    return [
        *window,
        _t("activations/layer", "saved by one layer for one micro-batch (after TP, SP, recomputation)",
           kept_per_layer, SECTION_ACTIVATIONS, tags),
        _t("activations/layer_micro_batches", "layers times micro-batches in flight on this stage",
           layer_mb, SECTION_PIPELINE, tags),
        _t("activations/weight_copies", "16-bit weight copies of the stage's layers (made once, shared by its "
           "micro-batches in flight)", (1 - recompute_full) * layers_per_stage * parts["layer_copies"],
           SECTION_PIPELINE, tags),
        _t("activations/first_stage", "embedding-side tensors (first stage, per micro-batch in flight)",
           first_stage * stage_mb * parts["head"] + (1 - recompute_full) * stage_mb * parts["every"], SECTION_PIPELINE,
           tags),  # a checkpointed layer rebuilds the rotary cos and sin it reads
        _t("activations/last_stage", "final norm, output layer and loss (last stage, per micro-batch in flight)",
           last_stage * (last_mb * parts["tail"] + parts["tail_copies"]), SECTION_PIPELINE, tags),
        _t("activations", "saved for backward on this device (at the start of its last backward pass)",
           total, SECTION_ACTIVATIONS, (*tags, "total")),
        _t("recomputed_layer", "one layer's activations rebuilt during backward (full recomputation)",
           recompute_full * (parts["layer_whole"] + sp.Min(L_slide, 1) * parts["window"]), SECTION_ACTIVATIONS,
           tags),
        _t("input_ids", "input token ids of one micro-batch (int64, made before the step)",
           first_stage * 8 * B * sp.ceiling(S / N_cp), SECTION_PEAK, tags),
    ]


def peak_terms(family: str) -> list[Term]:
    """Candidate moments of one rank's peak and the peak (the largest)."""
    static = ref("parallel/parameters") + ref("training/buffers") + ref("parallel/optimizer_states") \
        + ref("parallel/gradient_buckets")
    gathered = ref("parallel/gathered/root") + reshard * ref("parallel/gathered/layer") \
        + (1 - reshard) * layers_per_stage * ref("parallel/gathered/layer")
    accumulated = sp.Piecewise((0, sp.Eq(n_micro, 1)), (ref("parallel/gradients"), True))
    loss = last_stage * (_divided(ref("training/loss_backward")) + ref("training/loss_gradient"))
    start = static + gathered + accumulated + ref("parallel/activations") - ref("parallel/input_ids") + loss
    # Full recomputation: the last layer rebuilt, the output layer's gradient made, the loss freed.
    recompute = (static + gathered + accumulated + ref("parallel/activations") - ref("parallel/input_ids")
                 - ref("parallel/activations/last_stage") + ref("parallel/recomputed_layer")
                 + last_stage * 4 * (_divided(V * d_model) + 2 * B * sp.ceiling(S / N_cp) * d_model))
    end = (static + ref("parallel/gradients") + ref("parallel/gathered/root") + ref("parallel/gathered/root_gradients")
           + first_stage * _divided(ref("training/embedding_backward") - ref("training/embedding_gradient")))
    update = static + ref("parallel/gradients") + n_opt_temporaries * 4 * ref("parallel/largest_local_tensor")
    tags = ("peak", "step", PER_DEVICE)
    candidates = [
        _t("peak/start_of_backward", "start of the last backward pass", start, SECTION_PEAK, tags),
        _t("peak/recompute", "the last layer recomputed (full recomputation)", recompute_full * recompute,
           SECTION_PEAK, tags),
        _t("peak/end_of_backward", "end of backward (gradients made, root group gathered)", end, SECTION_PEAK, tags),
        _t("peak/optimizer_update", "optimizer update", update, SECTION_PEAK, tags),
    ]
    peak = _t("peak", "peak of one training step on this device",
              sp.Max(*(ref(c.key) for c in candidates), evaluate=False), SECTION_PEAK, (*tags, "total"))
    return [*candidates, peak]


__all__ = ["state_terms", "activation_terms", "peak_terms", "optimizer_8bit_terms", "shards", "Shard",
           "blockwise_8bit_bytes", "QUANTIZATION_MAPS", "TP_SPLIT", "FIRST_STAGE"]
