"""Tensor and pipeline parallelism predicted against torch.distributed runs on this CPU (gloo, 2 ranks).

    .venv/bin/python benchmarks/tensor_and_pipeline.py [--out book/data/tensor_and_pipeline.json]

Tensor parallelism with DTensor's ``parallelize_module`` (Megatron-LM's column and
row splits, a vocabulary-parallel embedding and output layer) and pipelines with
``torch.distributed.pipelining`` (GPipe and 1F1B, 2 and 4 micro-batches), in fp32
and bf16 autocast, for a Llama of even sizes and one whose vocabulary does not
split evenly; every rank's measured parameters, gradients, optimizer states and
saved activations beside the package's per-device terms, and the differences the
chapter "Training across many devices" explains.  About 2 minutes on 2 cores.
"""

import sys

import _stored_table
import everybyte as eb
from everybyte.distributed import measure_ranks, run_setup

CONFIGS = {
    "llama (d 96, 6 heads / 2 KV of 16, 4 layers, V 1024)": {
        "model_type": "llama", "hidden_size": 96, "num_attention_heads": 6, "num_key_value_heads": 2,
        "head_dim": 16, "intermediate_size": 200, "num_hidden_layers": 4, "vocab_size": 1024},
    "llama (d 96, 6 heads / 2 KV of 20, 4 layers, V 1009)": {
        "model_type": "llama", "hidden_size": 96, "num_attention_heads": 6, "num_key_value_heads": 2,
        "head_dim": 20, "intermediate_size": 200, "num_hidden_layers": 4, "vocab_size": 1009},
}
KEYS = ("parameters", "gradients", "optimizer_states", "activations", "peak")


def runs():
    for dtype, attention in (("fp32", "eager"), ("bf16", "sdpa")):
        yield {"strategy": "tp", "batch": 2, "seq": 64, "dtype": dtype, "attention": attention}
        for schedule in ("gpipe", "1f1b"):
            for microbatches in (2, 4):
                yield {"strategy": "pp", "batch": 2, "seq": 64, "dtype": dtype, "attention": attention,
                       "schedule": schedule, "microbatches": microbatches}


def rows():
    out = []
    world = 2
    for name, data in CONFIGS.items():
        cfg = eb.from_hf_config(data, name=name)
        planned = list(runs())
        for run, ranks in zip(planned, measure_ranks(data, world, planned)):
            for m in ranks:
                est = eb.estimate(cfg, eb.Workload(run["batch"], run["seq"]), run_setup(run, world, m["rank"]))
                out.append({"model": name, "world": world, **run, "rank": m["rank"],
                            "vocab": cfg.vocab_size, "d_model": cfg.d_model,
                            "measured": {k: m[k] for k in ("parameters", "gradients", "optimizer_states",
                                                           "saved_activations", "peak")},
                            "package": {k: est[f"parallel/{k}"] for k in KEYS}})
    return out


def summary(table) -> str:
    states = ("parameters", "gradients", "optimizer_states")
    pp = [r for r in table if r["strategy"] == "pp"]
    exact = sum(all(r["package"][k] == r["measured"][k] for k in states) for r in pp)
    return f"pipeline stages with exact states: {exact}/{len(pp)}"


if __name__ == "__main__":
    sys.exit(_stored_table.main(__file__, __doc__, rows, summary))
