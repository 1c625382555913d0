"""Every device of a run spread over several: one estimate per rank (no SymPy).

:func:`device_estimates` checks that the parallel layout fits the model (the
tensor-parallel degree divides the heads and the feed-forward width, the
pipeline the layers, ...), then evaluates the per-device terms of
:mod:`everybyte.parallel` once for each distinct position a rank can have (its
data-parallel index and its pipeline stage) through the generated evaluators.
:func:`largest_batch` finds the largest micro-batch whose peak fits a memory
size on every device.  The command line's ``everybyte train`` reads these.
"""

from __future__ import annotations

from . import validation as check
from .config import ModelConfig
from .options import Parallelism, Setup, Workload
from .pipeline import Estimate, estimate
from .records import Record

#: The per-device numbers ``everybyte train --json`` reports for each rank, by its key.
REPORTED = {"parameters": "parallel/parameters", "gradients": "parallel/gradients",
            "optimizer_states": "parallel/optimizer_states", "activations": "parallel/activations",
            "peak": "parallel/peak"}


def layout_problem(config: ModelConfig, workload: Workload, parallel: Parallelism) -> str | None:
    """Why ``parallel`` cannot split ``config`` and ``workload`` as the per-device terms assume, or ``None``."""
    tp, pp = parallel.tp, parallel.pp
    if tp > 1:
        for name, size in (("n_heads", config.n_heads), ("n_kv_heads", config.kv_heads), ("d_ff", config.d_ff)):
            if size % tp:
                return f"tp must divide {name}={size} (tensor parallelism splits whole heads and columns); got tp={tp}"
    chunks = pp * parallel.virtual
    if config.n_layers % chunks:
        what = "pp" if parallel.virtual == 1 else "pp * virtual"
        return f"{what}={chunks} must divide n_layers={config.n_layers} (every stage holds as many layers)"
    if parallel.schedule == "interleaved" and (pp == 1 or parallel.microbatches % pp):
        return (f"the interleaved schedule needs pp > 1 and microbatches a multiple of pp; got pp={pp}, "
                f"microbatches={parallel.microbatches}")
    if parallel.ep > 1 and config.n_experts % parallel.ep:
        return f"ep must divide n_experts={config.n_experts}; got ep={parallel.ep}"
    if workload.seq % parallel.cp:
        return f"cp must divide seq={workload.seq}; got cp={parallel.cp}"
    return None


class DeviceEstimate(Record):
    """The per-device terms of one rank: where it sits, and its estimate."""

    rank: int
    data_parallel_rank: int
    stage: int
    estimate: Estimate

    def reported(self) -> dict[str, int]:
        """The numbers of :data:`REPORTED`, as exact ints."""
        return {name: self.estimate[key] for name, key in REPORTED.items()}


def device_estimates(config: ModelConfig, workload: Workload, setup: Setup) -> list[DeviceEstimate]:
    """One :class:`DeviceEstimate` per rank of ``setup.parallel`` (ValueError if the layout cannot split the model)."""
    check.model_config("config", config)
    check.instance("workload", workload, Workload, "an everybyte.Workload(batch=..., seq=...)")
    check.instance("setup", setup, Setup, "an everybyte.Setup(...)")
    parallel = setup.parallel
    problem = layout_problem(config, workload, parallel)
    if problem:
        raise ValueError(problem)
    by_position: dict[tuple[int, int], Estimate] = {}
    out = []
    for rank in range(parallel.world):
        where = parallel.coordinates(rank)
        position = (where["i_dp"], where["i_pp"])
        if position not in by_position:
            by_position[position] = estimate(config, workload, setup.replace(parallel=parallel.replace(rank=rank)))
        out.append(DeviceEstimate(rank, where["i_dp"], where["i_pp"], by_position[position]))
    return out


def largest_batch(config: ModelConfig, workload: Workload, setup: Setup, memory: int, limit: int = 2**40) -> int:
    """The largest micro-batch (sequences) whose peak fits ``memory`` bytes on every device; 0 if none does."""
    check.positive_int("memory", memory)

    def fits(batch: int) -> bool:
        devices = device_estimates(config, Workload(batch, workload.seq), setup)
        return max(d.estimate["parallel/peak"] for d in devices) <= memory

    if not fits(1):
        return 0
    low, high = 1, 2
    while high <= limit and fits(high):
        low, high = high, 2 * high
    if high > limit:
        return low
    while high - low > 1:  # fits(low), not fits(high)
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low
