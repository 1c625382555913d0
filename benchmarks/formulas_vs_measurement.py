"""Print the errors of the activation and peak-memory formulas against PyTorch measurements.

    .venv/bin/python benchmarks/formulas_vs_measurement.py [--device cpu|cuda]

Activations: bytes saved for backward by one training forward pass
(saved_tensors_hooks); peak: one steady training step (MemTracker on the CPU,
torch.cuda.max_memory_allocated on a GPU).  Chapter 13 shows this output.
"""

import argparse
import sys
import time
import warnings

warnings.filterwarnings("ignore")

from everybyte import benchmark  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"),
                        help="where the models run (cuda needs a GPU; not yet run by this project)")
    args = parser.parse_args()
    start = time.perf_counter()
    rows = benchmark.activation_rows(device=args.device)
    predictions = ("article", "Korthikanti", "chapter 8 (GPU, after Rees)", "package")
    print(f"Bytes saved for backward, one training forward pass ({args.device})\n")
    print(benchmark.format_table(rows, predictions, ("model", "B", "S", "dtype", "attention")))
    exact = sum(r["package"] == r["measured"] for r in rows)
    print(f"\npackage exact to the byte in {exact} of {len(rows)} runs")
    peaks = benchmark.peak_rows(device=args.device)
    tool = "MemTracker" if args.device == "cpu" else "torch.cuda.max_memory_allocated"
    print(f"\nPeak of one training step ({args.device}, {tool})\n")
    print(benchmark.format_table(peaks, ("article", "package"), ("model", "B", "S", "dtype", "optimizer")))
    worst = max(abs(benchmark.error_percent(r["package"], r["measured"])) for r in peaks)
    print(f"\npackage peak within {worst:.3f} % of the measurement in every run")
    print(f"({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    return 0 if exact == len(rows) and worst <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
