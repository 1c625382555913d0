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


#: The one optimizer registry.
OPTIMIZERS: dict[str, Optimizer] = {
    o.name: o
    for o in (
        Optimizer("adamw", "AdamW", state_bytes=8, per_tensor_bytes=4, update_temporaries=2),
        Optimizer("sgd_momentum", "SGD with momentum", state_bytes=4, per_tensor_bytes=0, update_temporaries=0),
        Optimizer("sgd", "plain SGD", state_bytes=0, per_tensor_bytes=0, update_temporaries=0),
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


class Setup(Record):
    """How a step runs (chapter 13's regime, and the knobs later chapters add).

    ``dtype``: ``fp32``, or ``bf16``/``fp16`` autocast with fp32 weights for
    training (the weights, KV cache and logits of inference are in this dtype);
    ``attention``: ``eager`` or ``sdpa``; ``device``: ``cpu`` or ``cuda``;
    ``optimizer``: a key of :data:`OPTIMIZERS`.
    """

    dtype: str = "fp32"
    attention: str = "eager"
    device: str = "cpu"
    optimizer: str = "adamw"
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
