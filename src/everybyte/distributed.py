"""Measuring one training step on several processes with torch.distributed (gloo, on the CPU).

:func:`measure_ranks` starts ``world`` processes (``torch.multiprocessing``,
the ``gloo`` backend, a free port on 127.0.0.1) and runs every *run* it is
given in each of them, one after the other, so the imports are paid once.  A
run is a dict:

* ``strategy``: ``"fsdp2"`` (each decoder layer, then the root, wrapped with
  ``fully_shard`` on a 1-d CPU mesh; ``torch.optim.AdamW``), ``"ddp"``
  (``DistributedDataParallel`` and AdamW) or ``"zero1"`` (DDP and
  ``ZeroRedundancyOptimizer`` over AdamW);
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

Imports torch only inside the worker processes and :func:`measure_ranks`.
"""

from __future__ import annotations

import os
import socket

from . import validation as check
from .options import ATTENTIONS, PARAM_DTYPES

STRATEGIES = ("fsdp2", "ddp", "zero1")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _check_run(run: dict) -> dict:
    run = {"strategy": "fsdp2", "dtype": "fp32", "attention": "eager", "reshard": True, "param_dtype": "fp32", **run}
    check.choice("strategy", run["strategy"], STRATEGIES)
    check.positive_int("batch", run.get("batch"))
    check.positive_int("seq", run.get("seq"))
    check.choice("dtype", run["dtype"], ("fp32", "bf16"))
    check.choice("attention", run["attention"], ATTENTIONS)
    check.boolean("reshard", run["reshard"])
    check.choice("param_dtype", run["param_dtype"], PARAM_DTYPES)
    unknown = set(run) - {"strategy", "batch", "seq", "dtype", "attention", "reshard", "param_dtype"}
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
        tracker.track_external(model, optimizer.optim if strategy == "zero1" else optimizer)
    generator = torch.Generator().manual_seed(rank)
    ids = torch.randint(0, data_vocab(model), (run["batch"], run["seq"]), generator=generator)
    autocast = torch.autocast("cpu", torch.bfloat16) if run["dtype"] == "bf16" else contextlib.nullcontext()
    gradients = {}

    def step(record=False):
        with autocast:
            loss = trained(input_ids=ids, labels=ids).loss
        loss.backward()
        if record:
            gradients["bytes"] = _storage_bytes(p.grad for p in model.parameters() if p.grad is not None)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    step()
    with tracker:
        step(record=True)
    peak = tracker.get_tracker_snapshot("peak")
    categories = {}
    for by_type in peak.values():
        for kind, n in by_type.items():
            name = str(kind).split(".")[-1].lower()
            categories[name] = categories.get(name, 0) + int(n)
    state_tensors = [v for state in states.values() for k, v in state.items() if k in ("exp_avg", "exp_avg_sq", "step")
                     and isinstance(v, torch.Tensor)]
    return {"rank": rank, "parameters": _storage_bytes(model.parameters()), "gradients": gradients["bytes"],
            "optimizer_states": _storage_bytes(state_tensors), "activations": categories.get("act", 0),
            "peak": categories.pop("total"), "categories": categories}


def data_vocab(model) -> int:
    return model.config.vocab_size


def run_setup(run: dict, world: int, rank: int = 0):
    """The :class:`everybyte.Setup` whose per-device terms predict ``run`` on ``rank`` of ``world``."""
    from .options import Parallelism, Setup

    run = _check_run(dict(run))
    zero = {"fsdp2": 3, "ddp": 0, "zero1": 1}[run["strategy"]]
    parallel = Parallelism(dp=world, zero=zero, reshard=run["reshard"], param_dtype=run["param_dtype"], rank=rank)
    return Setup(run["dtype"], run["attention"], "cpu", "adamw", parallel)
