"""Accelerators: memory, memory bandwidth and peak dense FLOP/s, each from its vendor's datasheet.

One table for the whole package: the compute-and-time chapter, ``everybyte
time --gpu NAME`` and every ``--gpu-memory NAME`` read it.  Figures are the
vendor's, as printed: memory as the datasheet states it (decimal GB where it
says GB, GiB where it says GiB; programs see a little less), bandwidth in
bytes per second, FLOP/s of dense tensor-core math (not the "with sparsity"
figures datasheets print first).  Nothing here imports SymPy.
"""

from __future__ import annotations

from .records import Record
from .units import GB, TB, GiB


class Accelerator(Record):
    """One card: its memory (bytes), memory bandwidth (bytes/s), dense peak FLOP/s by dtype, and the source."""

    name: str
    label: str
    memory_bytes: int
    bandwidth_bytes_per_s: int
    peak_flops: dict
    source: str


T = 10**12

#: The accelerators the book uses, by short name.
ACCELERATORS: dict[str, Accelerator] = {
    a.name: a
    for a in (
        Accelerator("a100-80gb", "NVIDIA A100 80GB SXM", 80 * GB, 2_039 * GB,
                    {"fp32": 19_500_000_000_000, "tf32": 156 * T, "bf16": 312 * T, "fp16": 312 * T, "int8": 624 * T},
                    "NVIDIA A100 Tensor Core GPU datasheet (2021): 80GB HBM2e, 2,039 GB/s, dense BF16 312 TFLOPS"),
        Accelerator("h100-sxm", "NVIDIA H100 SXM 80GB", 80 * GB, 3_350 * GB,
                    {"fp32": 67 * T, "tf32": 494_700_000_000_000, "bf16": 989_400_000_000_000,
                     "fp16": 989_400_000_000_000, "fp8": 1_978_900_000_000_000},
                    "NVIDIA H100 Tensor Core GPU datasheet: 80GB HBM3, 3.35 TB/s; dense BF16 989.4 TFLOPS "
                    "(the datasheet prints 1,979 with sparsity)"),
        Accelerator("h200-sxm", "NVIDIA H200 SXM 141GB", 141 * GB, 4_800 * GB,
                    {"fp32": 67 * T, "bf16": 989_400_000_000_000, "fp16": 989_400_000_000_000,
                     "fp8": 1_978_900_000_000_000},
                    "NVIDIA H200 Tensor Core GPU datasheet: 141GB HBM3e, 4.8 TB/s; the H100's tensor cores"),
        Accelerator("l40s", "NVIDIA L40S 48GB", 48 * GB, 864 * GB,
                    {"fp32": 91_600_000_000_000, "bf16": 362_050_000_000_000, "fp16": 362_050_000_000_000,
                     "fp8": 733 * T},
                    "NVIDIA L40S datasheet: 48GB GDDR6, 864 GB/s; dense BF16 362.05 TFLOPS (733 with sparsity)"),
        Accelerator("rtx-4090", "NVIDIA GeForce RTX 4090 24GB", 24 * GB, 1_008 * GB,
                    {"fp32": 82_600_000_000_000, "bf16": 165_200_000_000_000, "fp16": 165_200_000_000_000},
                    "NVIDIA Ada GPU architecture whitepaper, RTX 4090: 24GB GDDR6X, 1,008 GB/s; dense FP16/BF16 "
                    "tensor with FP32 accumulate 165.2 TFLOPS"),
        Accelerator("mi300x", "AMD Instinct MI300X 192GB", 192 * GB, 5_300 * GB,
                    {"fp32": 163_400_000_000_000, "bf16": 1_307_400_000_000_000, "fp16": 1_307_400_000_000_000,
                     "fp8": 2_614_900_000_000_000},
                    "AMD Instinct MI300X data sheet: 192GB HBM3, 5.3 TB/s; dense BF16 1,307.4 TFLOPS"),
        Accelerator("tpu-v4", "Google TPU v4 (one chip)", 32 * GiB, 1_200 * GB,
                    {"bf16": 275 * T},
                    "Google Cloud TPU v4 documentation: 32 GiB HBM2 and 1,200 GB/s per chip, 275 TFLOPS BF16 "
                    "(the chip PaLM was trained on)"),
    )
}


def accelerator(name: str) -> Accelerator:
    """The accelerator called ``name`` (ValueError naming the known ones)."""
    if not isinstance(name, str) or name not in ACCELERATORS:
        raise ValueError(f"gpu must be one of {', '.join(ACCELERATORS)}; got {name!r}")
    return ACCELERATORS[name]


def memory_size(text: str, name: str = "gpu-memory") -> int:
    """Bytes of a card's memory given as a size (``80GiB``, ``24GB``) or an accelerator's name."""
    from .units import parse_size

    if isinstance(text, str) and text in ACCELERATORS:
        return ACCELERATORS[text].memory_bytes
    try:
        return parse_size(text, name)
    except ValueError:
        raise ValueError(f"{name} must be a size like 80GiB or 24GB, or one of {', '.join(ACCELERATORS)}; "
                         f"got {text!r}") from None


__all__ = ["ACCELERATORS", "Accelerator", "accelerator", "memory_size", "TB"]
