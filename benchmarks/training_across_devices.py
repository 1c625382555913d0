"""Per-device memory predicted against torch.distributed runs on this CPU (gloo), with other tools' formulas.

    .venv/bin/python benchmarks/training_across_devices.py [--out book/data/training_across_devices.json]

Runs FSDP2 (``fully_shard`` per layer and root) on 2 and 3 ranks in fp32 and
bf16 autocast, eager and sdpa attention, ``reshard_after_forward`` true and
false, for two Llama configs of odd sizes, and DDP and ``ZeroRedundancyOptimizer``
on 2 ranks; every rank's measured parameters, gradients, optimizer states and
FSDPMemTracker/MemTracker peak beside the package's per-device terms, DeepSpeed's
ZeRO-2/3 estimators and Megatron-LM's weight-and-optimizer formula.  Writes the
table the chapter "Training across many devices" shows (about 5 minutes on 2 cores).
"""

import itertools
import sys

import _stored_table
import everybyte as eb
from everybyte import estimators, measure
from everybyte.distributed import measure_ranks, run_setup
from everybyte.evaluate import exact

CONFIGS = {
    "llama (d 96, 6 heads / 2 KV of 20, 3 layers, V 1009)": {
        "model_type": "llama", "hidden_size": 96, "num_attention_heads": 6, "num_key_value_heads": 2,
        "head_dim": 20, "intermediate_size": 200, "num_hidden_layers": 3, "vocab_size": 1009},
    "llama (d 120, 5 heads / 5 KV, 2 layers, V 1501, tied)": {
        "model_type": "llama", "hidden_size": 120, "num_attention_heads": 5, "num_key_value_heads": 5,
        "intermediate_size": 250, "num_hidden_layers": 2, "vocab_size": 1501, "tie_word_embeddings": True},
}


def fsdp_runs():
    for dtype, attention, reshard in itertools.product(("fp32", "bf16"), ("eager", "sdpa"), (True, False)):
        yield {"strategy": "fsdp2", "batch": 2, "seq": 64, "dtype": dtype, "attention": attention, "reshard": reshard}


def largest_layer_params(data) -> int:
    # DeepSpeed's model_to_params: the most parameters one module holds itself
    model = measure.build_model(data, meta=True)
    return max(sum(p.numel() for p in m.parameters(recurse=False)) for m in model.modules())


def rows():
    out = []
    for name, data in CONFIGS.items():
        cfg = eb.from_hf_config(data, name=name)
        largest = largest_layer_params(data)
        jobs = [(2, list(fsdp_runs()) + [{"strategy": "zero1", "batch": 2, "seq": 64},
                                          {"strategy": "ddp", "batch": 2, "seq": 64}]),
                (3, list(fsdp_runs()))]
        for world, runs in jobs:
            for run, ranks in zip(runs, measure_ranks(data, world, runs)):
                for m in ranks:
                    est = eb.estimate(cfg, eb.Workload(run["batch"], run["seq"]), run_setup(run, world, m["rank"]))
                    values = {"N": est["parameters"], "N_d": world, "t": 1, "largest_layer": largest}
                    model_states = m["parameters"] + m["gradients"] + m["optimizer_states"]
                    out.append({
                        "model": name, "world": world, **run, "rank": m["rank"],
                        "measured": {k: m[k] for k in ("parameters", "gradients", "optimizer_states", "peak")},
                        "measured_model_states": model_states, "categories": m["categories"],
                        "package": {k: est[f"parallel/{k}"] for k in ("parameters", "gradients", "optimizer_states",
                                                                       "activations", "peak")},
                        "deepspeed_zero2": exact(estimators.DEEPSPEED_ZERO2, values),
                        "deepspeed_zero3": exact(estimators.DEEPSPEED_ZERO3, values),
                        "megatron_weights_and_optimizer": float(
                            estimators.MEGATRON_WEIGHTS_AND_OPTIMIZER["distributed"].subs(
                                {eb.symbols.BY_NAME[k]: v for k, v in values.items() if k in eb.symbols.BY_NAME})),
                    })
    return out


def summary(table) -> str:
    fsdp = [r for r in table if r["strategy"] == "fsdp2"]
    exact = sum(all(r["package"][k] == r["measured"][k] for k in ("parameters", "gradients", "optimizer_states"))
                for r in fsdp)
    within = sum(abs(r["package"]["peak"] - r["measured"]["peak"]) <= 0.01 * r["measured"]["peak"] for r in fsdp)
    return f"FSDP2: states exact on {exact}/{len(fsdp)}, peak within 1 % on {within}/{len(fsdp)}"


if __name__ == "__main__":
    sys.exit(_stored_table.main(__file__, __doc__, rows, summary))
