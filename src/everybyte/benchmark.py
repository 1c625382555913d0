"""Formulas against measurements: the tables of chapter 13 and of ``benchmarks/``.

Every row builds a real transformers model of odd sizes on the CPU, measures it
with :mod:`everybyte.measure`, and sets four predictions beside the
measurement: the article's ``L (14E + 4BS^2) + 6BSV``, Korthikanti et al.'s
``L (34 S B d + 5 h S^2 B)``, the GPU mixed-precision view of chapter 8
(after Rees 2023) and the package's estimate (:func:`everybyte.estimate`).
"""

from __future__ import annotations

import itertools

from . import measure, memory
from .evaluate import exact
from .hf import from_hf_config
from .options import Setup, Workload
from .pipeline import estimate

#: Odd sizes on purpose: heads that are not powers of two, grouped-query
#: attention, head_dim != d_model / h, vocabularies about 10 d_model (as real models).
BENCHMARK_CONFIGS: dict[str, dict] = {
    "gpt2 (d 96, 6 heads, 3 layers, V 2003)": {
        "model_type": "gpt2", "n_embd": 96, "n_head": 6, "n_layer": 3, "vocab_size": 2003, "n_positions": 256},
    "llama (d 96, 6 heads / 2 KV of 20, 3 layers, V 1009)": {
        "model_type": "llama", "hidden_size": 96, "num_attention_heads": 6, "num_key_value_heads": 2,
        "head_dim": 20, "intermediate_size": 200, "num_hidden_layers": 3, "vocab_size": 1009},
}
WORKLOADS = ((2, 64), (4, 128), (1, 256))


def formula_predictions(cfg, workload: Workload, setup: Setup) -> dict[str, int]:
    """The four predictions of the bytes saved for backward (exact ints)."""
    est = estimate(cfg, workload, setup)
    values = {**est.values, "N": est["parameters"]}
    return {
        "article": est["article/activations"],
        "Korthikanti": exact(memory.KORTHIKANTI_ACTIVATION_MEMORY, values),
        "chapter 8 (GPU, after Rees)": exact(memory.activation_memory("gpu-mixed"), values),
        "package": est["activations"],
    }


def activation_rows(configs=None, workloads=WORKLOADS, dtypes=("fp32", "bf16"), attentions=("eager", "sdpa"),
                    device: str = "cpu"):
    """One dict per run: model, workload, regime, measured bytes and each prediction."""
    rows = []
    for name, data in (configs or BENCHMARK_CONFIGS).items():
        cfg = from_hf_config(data, name=name)
        for attention in attentions:
            model = measure.build_model(data, attention=attention, device=device)
            for dtype, (batch, seq) in itertools.product(dtypes, workloads):
                setup = Setup(dtype, attention, device)
                measured = measure.saved_tensor_bytes(model, batch, seq, dtype=dtype)
                rows.append({"model": name, "B": batch, "S": seq, "dtype": dtype, "attention": attention,
                             "measured": measured, **formula_predictions(cfg, Workload(batch, seq), setup)})
    return rows


def peak_rows(configs=None, workloads=((4, 128),), dtypes=("fp32", "bf16"), optimizers=("adamw", "sgd_momentum"),
              device: str = "cpu"):
    """Measured peak of a training step (MemTracker on the CPU, max_memory_allocated on CUDA)
    against the package's prediction (a model of MemTracker's count on the CPU) and the article's."""
    rows = []
    for name, data in (configs or BENCHMARK_CONFIGS).items():
        cfg = from_hf_config(data, name=name)
        for dtype, optimizer, (batch, seq) in itertools.product(dtypes, optimizers, workloads):
            model = measure.build_model(data, device=device)
            measured = measure.training_step_peak_bytes(model, batch, seq, dtype=dtype, optimizer=optimizer)
            est = estimate(cfg, Workload(batch, seq), Setup(dtype, device=device, optimizer=optimizer))
            rows.append({"model": name, "B": batch, "S": seq, "dtype": dtype, "optimizer": optimizer,
                         "measured": measured, "package": est["training_peak"],
                         "article": est["article/training_peak"]})
    return rows


def error_percent(predicted: int, measured: int) -> float:
    return 100.0 * (predicted - measured) / measured


def format_table(rows, predictions, keys) -> str:
    """A Markdown table: the key columns, the measurement, and each prediction's error in percent."""
    header = [*keys, "measured (bytes)", *(f"{p} error" for p in predictions)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [str(row[k]) for k in keys] + [f"{row['measured']:,}"]
        for p in predictions:
            err = error_percent(row[p], row["measured"])
            cells.append("0 B (exact)" if row[p] == row["measured"] else f"{err:+.2f} %")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
