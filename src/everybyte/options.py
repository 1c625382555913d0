"""The choices a user makes, each defined once: dtypes, attention kernels, devices, optimizers.

A :class:`Workload` says how much data one step sees (batch and sequence
length); a :class:`Setup` says how the step runs (dtype, attention kernel,
device, optimizer).  The tables here turn those choices into the values of the
setup symbols of :mod:`everybyte.symbols` (``x_auto``, ``b_dtype``, ``b_opt``,
...), so every formula, the command line and the browser calculator read the
same numbers.  Nothing here imports SymPy.
"""

from __future__ import annotations

from . import validation as check
from .records import Record

#: Storage types: bits per stored value.  The first three are also compute
#: dtypes of a training or inference run; int8 and int4 are storage only.
DTYPE_BITS: dict[str, int] = {"fp32": 32, "fp16": 16, "bf16": 16, "int8": 8, "int4": 4}
#: Dtypes a forward pass can run in: fp32, or 16-bit autocast with fp32 weights.
COMPUTE_DTYPES: tuple[str, ...] = ("fp32", "bf16", "fp16")
#: Attention implementations of transformers: the eager matmul-softmax-matmul and
#: PyTorch's scaled_dot_product_attention.
ATTENTIONS: tuple[str, ...] = ("eager", "sdpa")
#: Devices the accounting knows: dropout masks and kernel choices differ.
DEVICES: tuple[str, ...] = ("cpu", "cuda")


class Optimizer(Record):
    """What an optimizer keeps and needs, in bytes (chapters 7 and 13).

    ``state_bytes``: fp32 state per parameter (AdamW: first and second moment);
    ``per_tensor_bytes``: state per parameter tensor (AdamW's fp32 step counter);
    ``update_temporaries``: tensors the size of the largest parameter that the
    update allocates at once (``foreach=False`` AdamW: ``exp_avg_sq.sqrt()``
    and its division by the bias correction).
    """

    name: str
    label: str
    state_bytes: int
    per_tensor_bytes: int
    update_temporaries: int
    #: bitsandbytes' blockwise 8-bit states (their bytes are a term of everybyte.parallel).
    blockwise_8bit: bool = False


#: The one optimizer registry.
OPTIMIZERS: dict[str, Optimizer] = {
    o.name: o
    for o in (
        Optimizer("adamw", "AdamW", state_bytes=8, per_tensor_bytes=4, update_temporaries=2),
        Optimizer("sgd_momentum", "SGD with momentum", state_bytes=4, per_tensor_bytes=0, update_temporaries=0),
        Optimizer("sgd", "plain SGD", state_bytes=0, per_tensor_bytes=0, update_temporaries=0),
        Optimizer("adamw8bit", "AdamW8bit (bitsandbytes, blockwise 8-bit states)", state_bytes=0,
                  per_tensor_bytes=0, update_temporaries=0, blockwise_8bit=True),
    )
}


def dtype_bytes(dtype: str) -> int:
    """Bytes per element of a compute dtype (4 for fp32, 2 for bf16 and fp16)."""
    check.choice("dtype", dtype, COMPUTE_DTYPES)
    return DTYPE_BITS[dtype] // 8


class Workload(Record):
    """How much one step sees: ``batch`` sequences of ``seq`` tokens."""

    batch: int
    seq: int

    def __post_init__(self):
        object.__setattr__(self, "batch", check.positive_int("batch", self.batch))
        object.__setattr__(self, "seq", check.positive_int("seq", self.seq))


class Compute(Record):
    """The hardware and pace of a run (the chapter "Compute and time").

    ``gpu``: a name of :data:`everybyte.hardware.ACCELERATORS`; ``devices``: how
    many; ``mfu``: the model FLOPs utilisation reached, a fraction in (0, 1]
    with at most four decimals; ``tokens``: tokens the training run processes
    (0: one step, the workload's ``batch * seq``).
    """

    gpu: str = "h100-sxm"
    devices: int = 1
    mfu: float = 0.4
    tokens: int = 0

    def __post_init__(self):
        from .hardware import accelerator

        accelerator(self.gpu)
        object.__setattr__(self, "devices", check.positive_int("devices", self.devices))
        object.__setattr__(self, "tokens", check.non_negative_int("tokens", self.tokens))
        if isinstance(self.mfu, bool) or not isinstance(self.mfu, (int, float)) or not 0 < self.mfu <= 1:
            raise ValueError(f"mfu must be a fraction with 0 < mfu <= 1 (0.4 is 40 %), got {self.mfu!r}")
        if abs(self.mfu * 10_000 - round(self.mfu * 10_000)) > 1e-9:
            raise ValueError(f"mfu must have at most four decimals (basis points), got {self.mfu!r}")

    def symbol_values(self, dtype: str) -> dict[str, int]:
        """Values of the compute symbols for a run in ``dtype``, by name."""
        from .hardware import accelerator

        card = accelerator(self.gpu)
        if dtype not in card.peak_flops:
            raise ValueError(f"gpu {self.gpu} has no {dtype} peak in the table; it lists {', '.join(card.peak_flops)}")
        return {"F_peak": card.peak_flops[dtype], "W_bw": card.bandwidth_bytes_per_s, "n_devices": self.devices,
                "mfu_bp": round(self.mfu * 10_000), "D_train": self.tokens}
#: Activation recomputation: none, selective (Korthikanti et al.: the attention core), full (a
#: checkpoint per layer, as transformers' gradient_checkpointing_enable).
RECOMPUTE: tuple[str, ...] = ("none", "selective", "full")
#: Pipeline schedules: GPipe, 1F1B (PipeDream-Flush) and interleaved 1F1B (Narayanan et al. 2021).
SCHEDULES: tuple[str, ...] = ("1f1b", "gpipe", "interleaved")
#: Dtypes of gathered parameters under FSDP's mixed-precision policy (reduction stays fp32).
PARAM_DTYPES: tuple[str, ...] = ("fp32", "bf16")


class Parallelism(Record):
    """How one training step is spread over devices (chapter "Training across many devices").

    ``dp`` data-parallel degree, ``zero`` the ZeRO stage (0: DDP; 1 optimizer states,
    2 and gradients, 3 and parameters sharded: FSDP2's ``fully_shard``), ``tp``
    tensor-parallel degree (``sp``: with sequence parallelism), ``cp`` context-parallel
    degree, ``pp`` pipeline stages with ``schedule`` and ``virtual`` chunks per stage,
    ``ep`` expert-parallel degree (a divisor of ``dp``), ``microbatches`` per optimizer
    step (each of the workload's batch), ``recompute`` one of :data:`RECOMPUTE`,
    ``offload`` optimizer states in host memory, ``reshard`` FSDP's
    ``reshard_after_forward``, ``param_dtype`` the dtype FSDP gathers parameters in,
    and ``rank`` the device whose terms :meth:`symbol_values` describes (tensor-parallel
    index fastest, then context-parallel, data-parallel, pipeline stage).
    """

    dp: int = 1
    zero: int = 0
    tp: int = 1
    sp: bool = False
    cp: int = 1
    pp: int = 1
    schedule: str = "1f1b"
    virtual: int = 1
    ep: int = 1
    microbatches: int = 1
    recompute: str = "none"
    offload: bool = False
    reshard: bool = True
    param_dtype: str = "fp32"
    rank: int = 0

    def __post_init__(self):
        for name in ("dp", "tp", "cp", "pp", "virtual", "ep", "microbatches"):
            object.__setattr__(self, name, check.positive_int(name, getattr(self, name)))
        object.__setattr__(self, "zero", check.non_negative_int("zero", self.zero))
        if self.zero > 3:
            raise ValueError(f"zero must be one of 0, 1, 2, 3 (the ZeRO stage); got {self.zero}")
        for name in ("sp", "offload", "reshard"):
            check.boolean(name, getattr(self, name))
        check.choice("recompute", self.recompute, RECOMPUTE)
        check.choice("schedule", self.schedule, SCHEDULES)
        check.choice("param_dtype", self.param_dtype, PARAM_DTYPES)
        if self.virtual > 1 and self.schedule != "interleaved":
            raise ValueError(f"virtual must be 1 unless schedule is 'interleaved'; got virtual={self.virtual}")
        if self.dp % self.ep:
            raise ValueError(f"ep must divide dp (experts are sharded over data-parallel devices); got ep={self.ep}, "
                             f"dp={self.dp}")
        object.__setattr__(self, "rank", check.non_negative_int("rank", self.rank))
        if self.rank >= self.world:
            raise ValueError(f"rank must be below the number of devices dp*tp*cp*pp={self.world}; got {self.rank}")

    @property
    def world(self) -> int:
        """Devices in all: ``dp * tp * cp * pp``."""
        return self.dp * self.tp * self.cp * self.pp

    def coordinates(self, rank: int | None = None) -> dict[str, int]:
        """The data-parallel index and pipeline stage of ``rank`` (default: :attr:`rank`)."""
        rank = self.rank if rank is None else rank
        inner = rank // (self.tp * self.cp)
        return {"i_dp": inner % self.dp, "i_pp": inner // self.dp}

    def symbol_values(self) -> dict[str, int]:
        """Values of the parallelism symbols, by name (see :mod:`everybyte.parallel`)."""
        return {
            "N_d": self.dp, "t": self.tp, "N_cp": self.cp, "N_pp": self.pp, "N_ep": self.ep,
            "n_micro": self.microbatches, "n_virtual": self.virtual, **self.coordinates(),
            "z_1": int(self.zero >= 1), "z_2": int(self.zero >= 2), "z_3": int(self.zero == 3),
            "x_reshard": int(self.reshard), "b_gather": 4 if self.param_dtype == "fp32" else 2,
            "x_sp": int(self.sp), "r_full": int(self.recompute == "full"),
            "r_sel": int(self.recompute == "selective"), "x_gpipe": int(self.schedule == "gpipe"),
            "x_interleaved": int(self.schedule == "interleaved"), "x_offload": int(self.offload),
        }


class Setup(Record):
    """How a step runs (chapter 13's regime, and the knobs later chapters add).

    ``dtype``: ``fp32``, or ``bf16``/``fp16`` autocast with fp32 weights for
    training (the weights, KV cache and logits of inference are in this dtype);
    ``attention``: ``eager`` or ``sdpa``; ``device``: ``cpu`` or ``cuda``;
    ``optimizer``: a key of :data:`OPTIMIZERS`; ``parallel``: how the step is spread
    over devices (a :class:`Parallelism`; one device by default).
    """

    dtype: str = "fp32"
    attention: str = "eager"
    device: str = "cpu"
    optimizer: str = "adamw"
    parallel: Parallelism = Parallelism()
    compute: Compute = Compute()
    #: How the model is served (chapter 16): an everybyte.knobs.Serving, or None for its defaults.
    serving: object = None
    #: A LoRA adapter (chapter 17): an everybyte.knobs.LoRA, or None for none.
    lora: object = None

    def __post_init__(self):
        from .knobs import LoRA, Serving

        check.choice("dtype", self.dtype, COMPUTE_DTYPES)
        check.choice("attention", self.attention, ATTENTIONS)
        check.choice("device", self.device, DEVICES)
        check.choice("optimizer", self.optimizer, OPTIMIZERS)
        check.instance("compute", self.compute, Compute, "an everybyte.options.Compute(gpu=..., devices=..., mfu=...)")
        self.compute.symbol_values(self.dtype)  # the card must list this dtype
        check.instance("parallel", self.parallel, Parallelism, "an everybyte.options.Parallelism(dp=..., zero=..., ...)")
        if self.serving is not None:
            check.instance("serving", self.serving, Serving, "an everybyte.knobs.Serving(weights=..., kv_dtype=...)")
        if self.lora is not None:
            check.instance("lora", self.lora, LoRA, "an everybyte.knobs.LoRA(rank=..., targets=...)")

    def symbol_values(self) -> dict[str, int]:
        """Values of the setup symbols, by symbol name."""
        optimizer = OPTIMIZERS[self.optimizer]
        return {
            "x_auto": int(self.dtype != "fp32"),
            "x_sdpa": int(self.attention == "sdpa"),
            "x_cuda": int(self.device == "cuda"),
            "b_res": 4,  # transformers keeps the residual stream in fp32 under autocast
            "b_soft": 4,  # softmax is on autocast's fp32 list
            "b_dtype": dtype_bytes(self.dtype),
            "b_opt": optimizer.state_bytes,
            "b_opt_tensor": optimizer.per_tensor_bytes,
            "n_opt_tmp": optimizer.update_temporaries,
            **self.compute.symbol_values(self.dtype),
            "x_opt8": int(optimizer.blockwise_8bit),
            **self.parallel.symbol_values(),
            **self.serving_or_default().symbol_values(dtype_bytes(self.dtype)),
            **self.lora_or_default().symbol_values(),
        }

    def serving_or_default(self):
        from .knobs import Serving

        return Serving() if self.serving is None else self.serving

    def lora_or_default(self):
        from .knobs import LoRA

        return LoRA() if self.lora is None else self.lora

    def describe(self) -> str:
        """The setup in words, for the command line's header."""
        compute = "fp32" if self.dtype == "fp32" else f"{self.dtype} autocast (fp32 weights)"
        return (f"training in {compute}, {self.attention} attention, {self.device}, "
                f"{OPTIMIZERS[self.optimizer].label}; inference weights and KV cache in {self.dtype}")
