"""The peak of one LoRA step for the families with an activation accounting, against MemTracker (CPU).

    .venv/bin/python benchmarks/lora_step_families.py

For one odd configuration of each model type below (tests/zoo_cases.py), peft
0.21.2 with rank 4 on q_proj and v_proj (or the type's first two modules), fp32,
eager attention, B = 2, S = 32: MemTracker's peak of the second step beside the
package's ``finetuning/step_peak``.  The LoRA rules of the llama, Qwen3 and
OLMo 2 families are derived (chapter 17, ``families.LORA_STEP_FAMILIES``); the
other families get the full step's accounting less what no LoRA step saves, an
upper bound, and this prints by how much.  About 30 s.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import everybyte as eb  # noqa: E402
from everybyte import measure_serving as ms  # noqa: E402
from everybyte.knobs import LoRA  # noqa: E402
from zoo_cases import ODD  # noqa: E402

MODEL_TYPES = ("mistral", "qwen2", "qwen3", "olmo2", "phi3", "gemma2", "gemma3_text", "starcoder2")


def main() -> int:
    print("| model type | targets | MemTracker (bytes) | package (bytes) | package over |")
    print("|---|---|---:|---:|---:|")
    for model_type in MODEL_TYPES:
        data = {"model_type": model_type, **ODD[model_type][0]}
        modules = list(eb.knobs.LORA_MODULES[model_type])
        targets = ("q_proj", "v_proj") if {"q_proj", "v_proj"} <= set(modules) else tuple(modules[:2])
        measured = ms.lora_step_peak_bytes(ms.peft_model(data, 4, targets), 2, 32)
        est = eb.estimate(eb.from_hf_config(data), eb.Workload(2, 32), eb.Setup(lora=LoRA(4, targets)))
        predicted = est["finetuning/step_peak"]
        print(f"| {model_type} | {','.join(targets)} | {measured:,} | {predicted:,} | "
              f"{100 * (predicted - measured) / measured:+.2f} % |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
