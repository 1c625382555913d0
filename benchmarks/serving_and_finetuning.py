"""The targets table of serving and fine-tuning (chapters 16 and 17): the package against the real libraries.

    .venv/bin/python benchmarks/serving_and_finetuning.py

On this machine's CPU, with the pinned transformers, peft, bitsandbytes,
torchao, gguf and optimum-quanto:

* KV cache: the package's ``kv_cache`` against the distinct storages of the
  cache one forward pass (or a generate() call) returns, for every supported family's attention
  layout (multi-head, grouped-query, multi-query, explicit head_dim), fp32 and
  bf16, plus StaticCache and QuantizedCache (target: exact);
* LoRA trainable parameters against peft's get_nb_trainable_parameters() for
  every family and target set, LoRA and DoRA (target: exact);
* quantized state dicts where a quantizer runs here (target: exact);
* the peak of generate() and of a LoRA step against MemTracker (target: 1 %).

Exit status 0 when every target is met.  Takes about two minutes on two cores.
"""

import sys
import time
import warnings

warnings.filterwarnings("ignore")

import everybyte as eb  # noqa: E402

eb.measure.quiet_kernel_notices()

from everybyte import measure, measure_serving as ms  # noqa: E402
from everybyte.knobs import LoRA, Serving  # noqa: E402

LAYOUTS = ms.LAYOUTS
TARGETS = {
    "gpt2": [("c_attn",), ("c_proj",), ("c_attn", "c_fc"), ("all-linear",)],
    "gpt_neox": [("query_key_value",), ("dense", "dense_4h_to_h"), ("all-linear",)],
    "llama": [("q_proj", "v_proj"), ("k_proj", "o_proj", "down_proj"), ("all-linear",)],
    "qwen2": [("q_proj", "v_proj"), ("all-linear",)],
    "mistral": [("v_proj", "up_proj"), ("all-linear",)],
    "mixtral": [("q_proj", "v_proj"), ("gate",), ("all-linear",)],
}
PEAK_MODELS = ms.PEAK_MODELS


def row(cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def kv_rows():
    from transformers import QuantizedCache, StaticCache

    out = []
    for name, data in LAYOUTS.items():
        cfg = eb.from_hf_config(data)
        for dtype in ("fp32", "bf16"):
            model = ms.serving_model(data, dtype)
            for batch, seq in ((2, 9), (1, 17)):
                est = eb.estimate(cfg, eb.Workload(batch, seq), eb.Setup(dtype))
                out.append((f"{name}, dynamic", dtype, batch, seq, ms.kv_cache_bytes(model, batch, seq), est["kv_cache"]))
            est = eb.estimate(cfg, eb.Workload(2, 9 + 4 - 1), eb.Setup(dtype))
            out.append((f"{name}, generate() 4 new tokens", dtype, 2, 9, ms.generate_cache_bytes(model, 2, 9, 4),
                        est["kv_cache"]))
            static = StaticCache(config=model.config, max_cache_len=40)
            est = eb.estimate(cfg, eb.Workload(2, 9), eb.Setup(dtype, serving=Serving(cache="static", max_cache_len=40)))
            out.append((f"{name}, static 40", dtype, 2, 9, ms.kv_cache_bytes(model, 2, 9, cache=static), est["kv_cache"]))
    data = LAYOUTS["llama (GQA, head_dim 20)"]
    cfg = eb.from_hf_config(data)
    for dtype in ("fp32", "bf16"):
        for bits, group in ((4, 16), (2, 16), (4, 40)):
            model = ms.serving_model(data, dtype)
            cache = QuantizedCache(backend="quanto", config=model.config, nbits=bits, q_group_size=group,
                                   residual_length=8)
            serving = Serving(kv_dtype=f"int{bits}", kv_group_size=group, kv_residual=8)
            est = eb.estimate(cfg, eb.Workload(2, 20), eb.Setup(dtype, serving=serving))
            out.append((f"llama, QuantizedCache {bits}-bit, group {group}", dtype, 2, 20,
                        ms.kv_cache_bytes(model, 2, 20, cache=cache), est["kv_cache"]))
    return out


def lora_rows():
    out = []
    for name, data in LAYOUTS.items():
        family = data["model_type"]
        cfg = eb.from_hf_config(data)
        for targets in TARGETS[family]:
            for rank, dora in ((1, False), (8, False), (4, True)):
                if dora and family == "mixtral" and targets != ("q_proj", "v_proj"):
                    continue  # peft refuses DoRA on Mixtral's router and expert tensors
                peft_targets = "all-linear" if targets == ("all-linear",) else list(targets)
                measured = ms.trainable_parameters(data, rank, peft_targets, dora=dora)
                est = eb.estimate(cfg, eb.Workload(1, 1), eb.Setup(lora=LoRA(rank, targets, dora=dora)))
                out.append((name, ",".join(targets), rank, "DoRA" if dora else "LoRA", measured,
                            est["lora/trainable_parameters"]))
    return out


def quantized_rows():
    import numpy as np
    import torch

    import gguf
    import bitsandbytes as bnb
    from torchao.quantization import Int8WeightOnlyConfig, quantize_

    data = {"model_type": "llama", "hidden_size": 128, "num_attention_heads": 4, "num_key_value_heads": 2,
            "head_dim": 32, "intermediate_size": 96, "num_hidden_layers": 2, "vocab_size": 300,
            "tie_word_embeddings": False}
    cfg = eb.from_hf_config(data)

    def predicted(fmt, dtype="fp32"):
        return eb.estimate(cfg, eb.Workload(1, 1), eb.Setup(dtype, serving=Serving(weights=fmt)))["serving/weights"]

    def replaced(make):
        return ms.replace_linears(measure.build_model(data), make)

    out = []
    int8 = replaced(lambda lin: bnb.nn.Linear8bitLt(lin.in_features, lin.out_features, bias=False,
                                                     has_fp16_weights=False))
    out.append(("bitsandbytes int8", ms.state_dict_bytes(int8), predicted("int8")))
    for fmt, kind, double in (("nf4", "nf4", False), ("fp4", "fp4", False), ("nf4-dq", "nf4", True)):
        model = replaced(lambda lin: bnb.nn.Linear4bit(lin.in_features, lin.out_features, bias=False,
                                                        compute_dtype=torch.float32, quant_type=kind,
                                                        compress_statistics=double, quant_storage=torch.uint8))
        out.append((f"bitsandbytes {fmt} (tensors; quant-state JSON apart)",
                    ms.state_dict_bytes(model, skip=("quant_state.bitsandbytes",)), predicted(fmt)))
    for dtype in ("fp32", "bf16"):
        model = ms.serving_model(data, dtype)
        quantize_(model, Int8WeightOnlyConfig())
        out.append((f"torchao int8 weight-only, {dtype}", ms.state_dict_bytes(model), predicted("torchao-int8wo", dtype)))
    state = measure.build_model(data).state_dict()
    for kind in ("q4_0", "q4_1", "q5_0", "q5_1", "q8_0"):
        qtype = gguf.GGMLQuantizationType[kind.upper()]
        total = sum(gguf.quants.quantize(t.numpy().astype(np.float32), qtype).nbytes if t.ndim == 2 else 4 * t.numel()
                    for t in state.values())
        out.append((f"gguf {kind.upper()} (gguf's numpy quantizer)", total, predicted(f"gguf-{kind}")))
    return out


def peak_rows():
    out = []
    for name, data in PEAK_MODELS.items():
        cfg = eb.from_hf_config(data)
        for dtype in ("fp32", "bf16"):
            for attention in ("eager", "sdpa"):
                model = ms.serving_model(data, dtype, attention)
                for batch, seq in ((2, 64), (1, 200)):
                    est = eb.estimate(cfg, eb.Workload(batch, seq), eb.Setup(dtype, attention))
                    out.append(("generate()", name, f"{dtype}, {attention}", batch, seq,
                                ms.generate_peak_bytes(model, batch, seq), est["serving/peak"]))
    data = ms.PEAK_LLAMA
    cfg = eb.from_hf_config(data)
    for targets in (("q_proj", "v_proj"), ("q_proj", "k_proj", "v_proj", "o_proj"), ("v_proj", "down_proj"),
                    ("gate_proj", "up_proj"), ("all-linear",)):
        model = ms.peft_model(data, 4, "all-linear" if targets == ("all-linear",) else list(targets))
        for batch, seq in ((2, 64), (4, 128)):
            est = eb.estimate(cfg, eb.Workload(batch, seq), eb.Setup(lora=LoRA(4, targets)))
            out.append(("LoRA step", f"llama, r 4, {','.join(targets)}", "fp32, eager", batch, seq,
                        ms.lora_step_peak_bytes(model, batch, seq), est["finetuning/step_peak"]))
    return out


def main() -> int:
    start = time.perf_counter()
    ok = True
    print("## KV cache: package against the distinct storages of the real cache (CPU)\n")
    print(row(("cache", "dtype", "B", "S", "measured (bytes)", "package (bytes)", "")))
    print("|---|---|---|---|---|---|---|")
    rows = kv_rows()
    for cache, dtype, b, s, measured, predicted in rows:
        print(row((cache, dtype, b, s, f"{measured:,}", f"{predicted:,}", "exact" if measured == predicted else "OFF")))
    exact = sum(r[-2] == r[-1] for r in rows)
    ok &= exact == len(rows)
    print(f"\nexact in {exact} of {len(rows)}\n")

    print("## LoRA trainable parameters: package against peft 0.21.2\n")
    print(row(("model", "targets", "r", "", "peft", "package")))
    print("|---|---|---|---|---|---|")
    rows = lora_rows()
    for model, targets, rank, kind, measured, predicted in rows:
        print(row((model, targets, rank, kind, f"{measured:,}", f"{predicted:,}")))
    exact = sum(r[-2] == r[-1] for r in rows)
    ok &= exact == len(rows)
    print(f"\nexact in {exact} of {len(rows)}\n")

    print("## Quantized state dicts: package against the quantizers that run on this CPU\n")
    print(row(("format", "measured (bytes)", "package (bytes)", "")))
    print("|---|---|---|---|")
    rows = quantized_rows()
    for fmt, measured, predicted in rows:
        print(row((fmt, f"{measured:,}", f"{predicted:,}", "exact" if measured == predicted else "OFF")))
    exact = sum(r[-2] == r[-1] for r in rows)
    ok &= exact == len(rows)
    print(f"\nexact in {exact} of {len(rows)}; GPTQ, AWQ (CUDA kernels) and torchao int4 (mslk kernels) "
          "do not quantize on this CPU\n")

    print("## Peaks: package against MemTracker (CPU)\n")
    print(row(("what", "model", "regime", "B", "S", "MemTracker (bytes)", "package (bytes)", "error")))
    print("|---|---|---|---|---|---|---|---|")
    rows = peak_rows()
    worst = 0.0
    for what, model, regime, b, s, measured, predicted in rows:
        error = 100 * (predicted - measured) / measured
        worst = max(worst, abs(error))
        print(row((what, model, regime, b, s, f"{measured:,}", f"{predicted:,}", f"{error:+.3f} %")))
    ok &= worst <= 1.0
    print(f"\nworst error {worst:.3f} % (target: 1 %)")
    print(f"({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
