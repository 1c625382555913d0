"""Measuring one training step on several processes with torch.distributed (gloo, on the CPU).

:func:`measure_ranks` starts ``world`` processes (``torch.multiprocessing``,
the ``gloo`` backend, a free port on 127.0.0.1) and runs every *run* it is
given in each of them, one after the other, so the imports are paid once.  A
run is a dict:

* ``strategy``: ``"fsdp2"`` (each decoder layer, then the root, wrapped with
  ``fully_shard`` on a 1-d CPU mesh; ``torch.optim.AdamW``), ``"ddp"``
  (``DistributedDataParallel`` and AdamW) or ``"zero1"`` (DDP and
  ``ZeroRedundancyOptimizer`` over AdamW) or ``"tp"`` (tensor parallelism with
  DTensor's ``parallelize_module`` over the ``world`` ranks: q, k, v, gate and
  up ``ColwiseParallel``, o and down ``RowwiseParallel``, the embedding
  ``RowwiseParallel`` (vocabulary rows), the output layer ``ColwiseParallel``
  gathering its logits; norms replicated; AdamW; every rank gets the same ids;
  the Llama family's module names) or ``"pp"`` (``torch.distributed.pipelining``
  with ``world`` stages: the decoder layers cut into ``world`` equal runs, the
  embedding on the first stage, the final norm and the output layer on the last,
  ``schedule`` ``"gpipe"`` or ``"1f1b"`` over ``microbatches`` micro-batches of
  ``batch`` sequences each, cross-entropy on the last stage, AdamW);
* ``batch``, ``seq``, ``dtype`` (``fp32`` or ``bf16``: autocast with fp32
  weights), ``attention``; for FSDP2 ``reshard`` (``reshard_after_forward``)
  and ``param_dtype`` (``bf16``: a ``MixedPrecisionPolicy`` gathering bf16
  parameters, reducing in fp32).

Each rank gets random ``input_ids`` of shape (batch, seq) with ``labels``
equal to them; one step runs first, untracked; the second step runs under
``FSDPMemTracker`` (FSDP2) or ``MemTracker``.  Per rank it reports
``parameters`` (bytes of the distinct storages behind its local parameters,
padding included), ``gradients`` (the same for its gradients after the
backward pass), ``optimizer_states`` (distinct storages of ``exp_avg``,
``exp_avg_sq`` and ``step``), ``peak`` (the tracker's peak ``Total``) and the
tracker's categories at the peak (``activations`` is its activation category).
Tensor-parallel and pipeline runs also report ``saved_activations``: the most
bytes the tensors saved for backward held at once during the measured step
(distinct storages, parameters left out).  ``MemTracker`` refuses a module that
runs more than once in a step, as a pipeline schedule runs each stage once per
micro-batch, so pipeline runs report no ``peak`` (``None``) and no categories.

Imports torch only inside the worker processes and :func:`measure_ranks`.
"""

from __future__ import annotations

import os
import socket

from . import validation as check
from .options import ATTENTIONS, PARAM_DTYPES

STRATEGIES = ("fsdp2", "ddp", "zero1", "tp", "pp")
PIPELINE_SCHEDULES = ("gpipe", "1f1b")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _check_run(run: dict) -> dict:
    run = {"strategy": "fsdp2", "dtype": "fp32", "attention": "eager", "reshard": True, "param_dtype": "fp32",
           "microbatches": 1, "schedule": "1f1b", **run}
    check.choice("strategy", run["strategy"], STRATEGIES)
    check.positive_int("batch", run.get("batch"))
    check.positive_int("seq", run.get("seq"))
    check.choice("dtype", run["dtype"], ("fp32", "bf16"))
    check.choice("attention", run["attention"], ATTENTIONS)
    check.boolean("reshard", run["reshard"])
    check.choice("param_dtype", run["param_dtype"], PARAM_DTYPES)
    check.positive_int("microbatches", run["microbatches"])
    check.choice("schedule", run["schedule"], PIPELINE_SCHEDULES)
    if run["strategy"] != "pp" and run["microbatches"] != 1:
        raise ValueError(f"microbatches must be 1 unless strategy is 'pp'; got {run['microbatches']}")
    unknown = set(run) - {"strategy", "batch", "seq", "dtype", "attention", "reshard", "param_dtype", "microbatches",
                          "schedule"}
    if unknown:
        raise ValueError(f"run has unknown keys {sorted(unknown)}")
    return run


def measure_ranks(source, world: int, runs: list[dict], *, timeout: float = 600.0) -> list[list[dict]]:
    """For each run, one dict per rank (see the module's docstring); ``source`` as :func:`everybyte.measure.build_model`."""
    import torch.multiprocessing as mp

    from .measure import hf_config_dict

    world = check.positive_int("world", world)
    runs = [_check_run(dict(r)) for r in runs]
    data = hf_config_dict(source)
    port = _free_port()
    context = mp.get_context("spawn")
    queue = context.Queue()
    processes = [context.Process(target=_worker, args=(rank, world, port, data, runs, queue)) for rank in range(world)]
    for p in processes:
        p.start()
    try:
        results = {}
        for _ in range(world):
            rank, payload = queue.get(timeout=timeout)
            if isinstance(payload, str):
                raise RuntimeError(f"rank {rank} failed: {payload}")
            results[rank] = payload
    finally:
        for p in processes:
            p.join(timeout=30)
            if p.is_alive():
                p.terminate()
    return [[results[rank][i] for rank in range(world)] for i in range(len(runs))]


def _storage_bytes(tensors) -> int:
    seen = {}
    for tensor in tensors:
        local = tensor.to_local() if hasattr(tensor, "to_local") else tensor
        storage = local.untyped_storage()
        seen[storage.data_ptr()] = storage.nbytes()
    return sum(seen.values())


def _autocast(run):  # pragma: no cover - runs in a child process
    """bf16 autocast on the CPU for a bf16 run (fp32 weights), else nothing."""
    import contextlib

    import torch

    return torch.autocast("cpu", torch.bfloat16) if run["dtype"] == "bf16" else contextlib.nullcontext()


def _stepper(forward_backward, module, optimizer):  # pragma: no cover - runs in a child process
    """A training step (``forward_backward``, then the optimizer) and the dict its recorded gradient bytes go to."""
    gradients = {}

    def step(record=False):
        forward_backward()
        if record:  # the gradients as the backward pass leaves them, before the optimizer frees them
            gradients["bytes"] = _storage_bytes(p.grad for p in module.parameters() if p.grad is not None)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step, gradients


def _optimizer_state_bytes(states) -> int:
    """Distinct storages of AdamW's ``exp_avg``, ``exp_avg_sq`` and ``step`` tensors."""
    return _storage_bytes(v for state in states.values() for k, v in state.items()
                          if k in ("exp_avg", "exp_avg_sq", "step") and hasattr(v, "untyped_storage"))


def _worker(rank, world, port, data, runs, queue):  # pragma: no cover - runs in a child process
    try:
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        import torch.distributed as dist

        dist.init_process_group("gloo", rank=rank, world_size=world)
        try:
            out = [_one_run(rank, world, data, run) for run in runs]
        finally:
            dist.destroy_process_group()
        queue.put((rank, out))
    except Exception as error:  # reported to the parent, which raises
        queue.put((rank, f"{type(error).__name__}: {error}"))


def _one_run(rank, world, data, run) -> dict:  # pragma: no cover - runs in a child process
    import contextlib

    import torch

    from .measure import build_model

    torch.manual_seed(0)
    model = build_model(data, attention=run["attention"])
    strategy = run["strategy"]
    if strategy == "pp":
        return _pipeline_run(rank, world, model, run)
    if strategy == "fsdp2":
        from torch.distributed._tools.fsdp2_mem_tracker import FSDPMemTracker
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

        mesh = init_device_mesh("cpu", (world,))
        policy = MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32) \
            if run["param_dtype"] == "bf16" else MixedPrecisionPolicy()
        for layer in model.base_model.layers:
            fully_shard(layer, mesh=mesh, reshard_after_forward=run["reshard"], mp_policy=policy)
        fully_shard(model, mesh=mesh, reshard_after_forward=run["reshard"], mp_policy=policy)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
        states = optimizer.state
        tracker = FSDPMemTracker(model, optimizer)
        external = ()
        trained = model
    elif strategy == "tp":
        from torch.distributed._tools.mem_tracker import MemTracker

        _tensor_parallel(model, world)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
        states = optimizer.state
        tracker = MemTracker()
        external = (model, optimizer)
        trained = model
    else:
        from torch.distributed._tools.mem_tracker import MemTracker
        from torch.nn.parallel import DistributedDataParallel

        trained = DistributedDataParallel(model)
        if strategy == "zero1":
            from torch.distributed.optim import ZeroRedundancyOptimizer

            optimizer = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=torch.optim.AdamW, lr=1e-4)
            states = optimizer.optim.state
        else:
            optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
            states = optimizer.state
        tracker = MemTracker()
        # ZeroRedundancyOptimizer keeps its states in the optimizer it wraps
        external = (model, optimizer.optim if strategy == "zero1" else optimizer)
    generator = torch.Generator().manual_seed(0 if strategy == "tp" else rank)  # tensor-parallel ranks share a batch
    ids = torch.randint(0, data_vocab(model), (run["batch"], run["seq"]), generator=generator)
    autocast = _autocast(run)

    def forward_backward():
        with autocast:
            loss = trained(input_ids=ids, labels=ids).loss
        loss.backward()

    step, gradients = _stepper(forward_backward, model, optimizer)

    step()
    if external:  # after the first step: MemTracker counts the optimizer states that exist when it is told of them
        tracker.track_external(*external)
    saved = _SavedPeak(set(model.parameters()))
    hooks = torch.autograd.graph.saved_tensors_hooks(saved.pack, saved.unpack) if strategy == "tp" \
        else contextlib.nullcontext()
    with tracker, hooks:
        step(record=True)
    peak = tracker.get_tracker_snapshot("peak")
    categories = {}
    for by_type in peak.values():
        for kind, n in by_type.items():
            name = str(kind).split(".")[-1].lower()
            categories[name] = categories.get(name, 0) + int(n)
    return {"rank": rank, "parameters": _storage_bytes(model.parameters()), "gradients": gradients["bytes"],
            "optimizer_states": _optimizer_state_bytes(states), "activations": categories.get("act", 0),
            "peak": categories.pop("total"), "categories": categories,
            **({"saved_activations": saved.peak} if strategy == "tp" else {})}


def _pipeline_run(rank, world, model, run) -> dict:  # pragma: no cover - runs in a child process
    import torch
    from torch.distributed.pipelining import PipelineStage, Schedule1F1B, ScheduleGPipe

    layers = len(model.model.layers)
    if layers % world:
        raise ValueError(f"the pipeline needs layers divisible by the stages; got {layers} layers, {world} stages")
    per_stage = layers // world
    stage_module = _Stage(model, rank * per_stage, (rank + 1) * per_stage, rank == 0, rank == world - 1)
    stage = PipelineStage(stage_module, rank, world, torch.device("cpu"))
    autocast = _autocast(run)

    def loss_fn(logits, targets):  # the causal-LM loss transformers computes, in fp32
        return torch.nn.functional.cross_entropy(logits[:, :-1].flatten(0, 1).float(), targets[:, 1:].flatten())

    schedule = {"gpipe": ScheduleGPipe, "1f1b": Schedule1F1B}[run["schedule"]](
        stage, n_microbatches=run["microbatches"], loss_fn=loss_fn)
    optimizer = torch.optim.AdamW(stage_module.parameters(), lr=1e-4)
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, data_vocab(model), (run["batch"] * run["microbatches"], run["seq"]), generator=generator)

    def forward_backward():  # the schedule runs every micro-batch's forward and backward
        with autocast:
            if rank == 0:
                schedule.step(ids, target=ids if world == 1 else None)
            elif rank == world - 1:
                schedule.step(target=ids, losses=[])
            else:
                schedule.step()

    step, gradients = _stepper(forward_backward, stage_module, optimizer)

    step()
    saved = _SavedPeak(set(stage_module.parameters()))
    with torch.autograd.graph.saved_tensors_hooks(saved.pack, saved.unpack):
        step(record=True)
    return {"rank": rank, "parameters": _storage_bytes(stage_module.parameters()), "gradients": gradients["bytes"],
            "optimizer_states": _optimizer_state_bytes(optimizer.state), "activations": None, "peak": None,
            "categories": {}, "saved_activations": saved.peak}


class _SavedPeak:  # pragma: no cover - runs in a child process
    """The most bytes that tensors saved for backward hold at once (distinct storages, parameters left out).

    ``MemTracker`` refuses a module called more than once per step, which a pipeline
    schedule does for every micro-batch; this follows the saved tensors instead: a
    storage counts from the first time a graph saves it until the last graph that
    saved it lets it go (its backward has run).
    """

    def __init__(self, parameters):
        self.skip = {(p.to_local() if hasattr(p, "to_local") else p).untyped_storage().data_ptr() for p in parameters}
        self.refs, self.sizes, self.live, self.peak = {}, {}, 0, 0

    def pack(self, tensor):
        local = tensor.to_local() if hasattr(tensor, "to_local") else tensor  # a DTensor: the rank's part
        while type(local).__name__ == "AsyncCollectiveTensor":  # the result of a collective: the tensor it wraps
            local = local.elem
        key = local.untyped_storage().data_ptr()
        if key in self.skip:
            return tensor
        if self.refs.get(key, 0) == 0:
            self.sizes[key] = local.untyped_storage().nbytes()
            self.live += self.sizes[key]
            self.peak = max(self.peak, self.live)
        self.refs[key] = self.refs.get(key, 0) + 1
        return _Held(self, key, tensor)

    def unpack(self, held):
        return held.tensor if isinstance(held, _Held) else held

    def release(self, key):
        self.refs[key] -= 1
        if self.refs[key] == 0:
            self.live -= self.sizes.pop(key)


class _Held:  # pragma: no cover - runs in a child process
    def __init__(self, owner, key, tensor):
        self.owner, self.key, self.tensor = owner, key, tensor

    def __del__(self):
        self.owner.release(self.key)


def _stage_class():  # pragma: no cover - runs in a child process
    import torch

    class Stage(torch.nn.Module):
        """Layers ``lo:hi`` of a transformers Llama, with the embedding first and the norm and head last."""

        def __init__(self, model, lo, hi, first, last):
            super().__init__()
            self.embed = model.model.embed_tokens if first else None
            self.layers = torch.nn.ModuleList(model.model.layers[lo:hi])
            self.rotary = model.model.rotary_emb
            self.norm = model.model.norm if last else None
            self.head = model.lm_head if last else None

        def forward(self, x):
            hidden = self.embed(x) if self.embed is not None else x
            positions = torch.arange(hidden.shape[1]).unsqueeze(0).expand(hidden.shape[0], -1)
            rotary = self.rotary(hidden, positions)
            for layer in self.layers:
                hidden = layer(hidden, attention_mask=None, position_ids=positions, position_embeddings=rotary)
                hidden = hidden[0] if isinstance(hidden, tuple) else hidden
            return self.head(self.norm(hidden)) if self.head is not None else hidden

    return Stage


def _Stage(*args):  # pragma: no cover - runs in a child process
    return _stage_class()(*args)


def _tensor_parallel(model, world):  # pragma: no cover - runs in a child process
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor import Replicate
    from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel, parallelize_module

    mesh = init_device_mesh("cpu", (world,))
    plan = {"model.embed_tokens": RowwiseParallel(input_layouts=Replicate()),
            "lm_head": ColwiseParallel(output_layouts=Replicate())}
    for i in range(len(model.model.layers)):
        for name in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "mlp.gate_proj", "mlp.up_proj"):
            plan[f"model.layers.{i}.{name}"] = ColwiseParallel()
        for name in ("self_attn.o_proj", "mlp.down_proj"):
            plan[f"model.layers.{i}.{name}"] = RowwiseParallel()
    parallelize_module(model, mesh, plan)


def data_vocab(model) -> int:
    return model.config.vocab_size


def run_setup(run: dict, world: int, rank: int = 0):
    """The :class:`everybyte.Setup` whose per-device terms predict ``run`` on ``rank`` of ``world``."""
    from .options import Parallelism, Setup

    run = _check_run(dict(run))
    if run["strategy"] == "tp":
        parallel = Parallelism(tp=world, rank=rank)
    elif run["strategy"] == "pp":
        parallel = Parallelism(pp=world, schedule=run["schedule"], microbatches=run["microbatches"], rank=rank)
    else:
        zero = {"fsdp2": 3, "ddp": 0, "zero1": 1}[run["strategy"]]
        parallel = Parallelism(dp=world, zero=zero, reshard=run["reshard"], param_dtype=run["param_dtype"],
                               rank=rank)
    return Setup(run["dtype"], run["attention"], "cpu", "adamw", parallel)
