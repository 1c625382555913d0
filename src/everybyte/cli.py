"""The ``everybyte`` command line.

    everybyte params gpt2
    everybyte params path/to/config.json --json
    everybyte memory llama-3-8b --batch 1 --seq 8192 --dtype bf16
    everybyte activations gpt2 --batch 8 --seq 1024 --dtype bf16 --attention sdpa --json
    everybyte train llama-3-8b --batch 1 --seq 4096 --dtype bf16 --dp 8 --zero 3 --gpu-memory 80GiB
    everybyte serve llama-3-8b --batch 4 --context 8192 --weights nf4 --gpu-memory 24GiB
    everybyte finetune llama-2-7b --lora-rank 16 --lora-targets all-linear --quant nf4 --json
    everybyte checkpoint path/to/model-folder

Every number comes from :func:`everybyte.estimate`, through the evaluators
generated from the package's SymPy terms, so the command line imports neither
SymPy nor NumPy.  ``memory`` and ``activations`` share one set of workload and
setup arguments with one set of defaults, so they cannot disagree.

Bad input ends with one line on stderr naming the argument and what is
allowed, and exit status 2; an output that cannot be written (a closed pipe,
a full disk) ends with exit status 1; nothing ends in a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import families, presets
from .config import ModelConfig
from .hf import from_hf_config
from .options import (
    ATTENTIONS, COMPUTE_DTYPES, DEVICES, DTYPE_BITS, OPTIMIZERS, PARAM_DTYPES, RECOMPUTE, SCHEDULES, Compute,
    Parallelism, Setup, Workload,
)
from .pipeline import Estimate, count_params, estimate
from .units import format_bytes, parse_size

#: Largest number of decimal digits accepted for an integer argument (a guard
#: against pasting a file into --batch; any real size has far fewer).
MAX_DIGITS = 1000


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one clear line, exit 2
        raise _UsageError(f"{self.prog}: {message}")


class _UsageError(Exception):
    pass


def _integer(name: str):
    def parse(text: str) -> int:
        stripped = text.strip()
        if len(stripped) > MAX_DIGITS or not stripped.lstrip("+-").isdigit():
            raise argparse.ArgumentTypeError(f"{name} must be a positive integer, got {text[:40]!r}")
        value = int(stripped, 10)
        if value < 1 and name != "n_positions":
            raise argparse.ArgumentTypeError(f"{name} must be a positive integer, got {text!r}")
        return value

    return parse


_SIZES = ("vocab_size", "d_model", "n_layers", "n_heads", "d_ff", "n_positions")


def _add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", nargs="?",
                        help=f"a preset name ({', '.join(presets.preset_names())}), a config.json, "
                             "or a model folder holding one")
    group = parser.add_argument_group("a model given by its sizes (instead of a preset), in GPT-2's layout")
    for size in _SIZES:
        flag = "--" + size.replace("_", "-")
        helptext = "default 4 * d_model" if size == "d_ff" else ("default 0 (none)" if size == "n_positions" else None)
        group.add_argument(flag, dest=size, type=_integer(size), help=helptext)
    parser.add_argument("--untied", action="store_true",
                        help="give the model a separate output layer (for a preset or file too)")


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Setup()
    parser.add_argument("--batch", type=_integer("batch"), required=True, help="batch size B (sequences)")
    parser.add_argument("--seq", type=_integer("seq"), required=True, help="sequence length S (tokens)")
    parser.add_argument("--dtype", default=defaults.dtype,
                        help=f"{', '.join(COMPUTE_DTYPES)}: training runs 16-bit types as autocast with fp32 "
                             f"weights; inference weights and KV cache are in this dtype (default {defaults.dtype})")
    parser.add_argument("--attention", default=defaults.attention,
                        help=f"attention implementation: {', '.join(ATTENTIONS)} (default {defaults.attention})")
    parser.add_argument("--device", default=defaults.device,
                        help=f"{', '.join(DEVICES)}: dropout masks are 1 byte on cuda (default {defaults.device})")
    parser.add_argument("--optimizer", default=defaults.optimizer,
                        help=f"{', '.join(OPTIMIZERS)} (default {defaults.optimizer})")


def _config(args) -> ModelConfig:
    given = {s: getattr(args, s) for s in _SIZES if getattr(args, s) is not None}
    if args.source is not None:
        if given:
            raise ValueError("give either a preset name or sizes (--d-model, ...), not both")
        if args.source in presets.preset_names():
            config = presets.preset(args.source)
        elif args.source.endswith(".json") or os.path.exists(args.source) or os.sep in args.source:
            config = from_hf_config(args.source, name=_file_name(args.source))
        else:
            raise ValueError(f"source must be a preset name ({', '.join(presets.preset_names())}) or a path to a "
                             f"config.json; got {args.source[:200]!r}")
    else:
        missing = [s for s in ("vocab_size", "d_model", "n_layers", "n_heads") if s not in given]
        if missing:
            raise ValueError(f"source: give a preset ({', '.join(presets.preset_names())}) "
                             "or all of --vocab-size, --d-model, --n-layers, --n-heads")
        config = ModelConfig(**given)
    if args.untied and config.tied_embeddings:
        config = config.replace(tied_embeddings=False, name=f"{config.name}, untied")
    return config


def _file_name(path: str) -> str | None:
    # A file named config.json (or a folder holding one) is named after its folder, as on the Hub.
    absolute = os.path.abspath(path)
    stem = os.path.splitext(os.path.basename(absolute))[0]
    if os.path.isdir(absolute):
        return os.path.basename(absolute) or None
    return (os.path.basename(os.path.dirname(absolute)) if stem == "config" else stem) or None


def _run(args) -> tuple[Workload, Setup]:
    setup = Setup(dtype=args.dtype, attention=args.attention, device=args.device, optimizer=args.optimizer)
    return Workload(args.batch, args.seq), setup


def _table(rows, headers) -> str:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(r):
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths)))

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f} %" if whole else "-"


def _params(args) -> str:
    cfg = _config(args)
    count = count_params(cfg)
    if args.json:
        out = {"model": cfg.name, "model_type": cfg.model_type, "total": count.total, "active": count.active,
               "breakdown": count.breakdown}
        if cfg.left_out:
            out["left_out"] = cfg.left_out
        return json.dumps(out)
    labels = estimate(cfg).info
    rows = [(labels[f"parameters/{key}"].label, f"{n:,}", _share(n, count.total)) for key, n in count.breakdown.items()]
    rows.append(("total", f"{count.total:,}", "100.00 %"))
    if count.active != count.total:
        rows.append(("active per token", f"{count.active:,}", _share(count.active, count.total)))
    note = f"\nnote: {cfg.left_out}" if cfg.left_out else ""
    return f"{cfg.name} ({cfg.model_type}): parameters\n" + _table(rows, ("component", "parameters", "share")) + note


def _setup_fields(setup: Setup) -> dict:
    """The setup's dtype, attention, device and optimizer (its parallel layout, hardware, serving and LoRA knobs
    are reported by the commands that take them)."""
    return {"dtype": setup.dtype, "attention": setup.attention, "device": setup.device, "optimizer": setup.optimizer}


def _header(cfg: ModelConfig, est: Estimate) -> str:
    return (f"{cfg.name} ({cfg.model_type}): {est['parameters']:,} parameters; "
            f"batch {est.workload.batch}, sequence {est.workload.seq}\n"
            f"assumed: {est.setup.describe()}")


def _bytes_row(label: str, n: int):
    return (label, f"{n:,}", format_bytes(n), format_bytes(n, binary=True))


def _memory_json(cfg: ModelConfig, est: Estimate, article: bool) -> dict:
    out = {"model": cfg.name, "model_type": cfg.model_type, "batch": est.workload.batch, "seq": est.workload.seq,
           **_setup_fields(est.setup), "parameters": est["parameters"], "weights": est["weights"],
           "weights_by_dtype": {k.split("/")[1]: v for k, v in est.under("weights_by_dtype").items()},
           "kv_cache": est.get("kv_cache"), "kv_cache_note": est.kv_cache_note, "training_state": {k.split("/")[1]: v for k, v in est.under("training").items()
                                                          if "state" in est.info[k].tags},
           "activations": est.get("activations"), "training_peak": est.get("training_peak"),
           "training_peak_moments": {k.split("/")[1]: v for k, v in est.under("training_peak").items()} or None,
           "note": est.activations_note}
    if article:
        out["article"] = {k.split("/")[1]: v for k, v in est.under("article").items()}
    return out


def _memory(args) -> str:
    cfg = _config(args)
    est = estimate(cfg, *_run(args))
    if args.json:
        return json.dumps(_memory_json(cfg, est, args.article))
    rows = [_bytes_row(f"weights in {dtype}", est[f"weights_by_dtype/{dtype}"]) for dtype in DTYPE_BITS]
    if est.kv_cache_note is None:
        rows.append(_bytes_row(f"KV cache ({est.setup.dtype})", est["kv_cache"]))
    state = {k: v for k, v in est.under("training").items() if "state" in est.info[k].tags and v}
    rows += [_bytes_row(f"training: {est.label(k)}", v) for k, v in state.items()]
    if est.activations_note is None:
        rows.append(_bytes_row("activations saved for backward", est["activations"]))
        moments = est.under("training_peak")
        rows += [_bytes_row(f"training peak candidate: {est.label(k)}", v) for k, v in moments.items()]
        rows.append(_bytes_row("training-step peak (the largest candidate)", est["training_peak"]))
    if args.article:
        rows += [_bytes_row(f"{est.label(k)}", v) for k, v in est.under("article").items()]
    lines = [_header(cfg, est),
             "activations and peak: predicted by the per-tensor accounting of chapter 13 (exact against PyTorch "
             "on the CPU; CUDA predicted, not measured)" if est.activations_note is None
             else f"activations and peak: not available ({est.activations_note})",
             _table(rows, ("quantity", "bytes", "decimal", "binary"))]
    if est.kv_cache_note is not None:
        lines.append(f"KV cache: not available ({est.kv_cache_note})")
    if args.article:
        lines.append("the article's rules are shown for comparison; chapters 6 and 8 show where they fail")
    return "\n".join(lines)


def _activations(args) -> str:
    cfg = _config(args)
    est = estimate(cfg, *_run(args))
    if est.activations_note is not None:
        raise ValueError(est.activations_note)
    breakdown = {k.removeprefix("activations/"): v for k, v in est.under("activations").items() if v}
    total = est["activations"]
    if args.json:
        return json.dumps({"model": cfg.name, "model_type": cfg.model_type, "batch": est.workload.batch,
                           "seq": est.workload.seq, **_setup_fields(est.setup), "total": total,
                           "breakdown": breakdown})
    rows = [(est.label(f"activations/{k}"), f"{n:,}", _share(n, total)) for k, n in breakdown.items()]
    rows.append(("total saved for backward", f"{total:,}", "100.00 %"))
    return "\n".join([_header(cfg, est), _table(rows, ("saved tensor (whole model)", "bytes", "share"))])


def _fraction(name: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number like 0.4, got {text[:40]!r}") from None
        if not 0 < value <= 1:
            raise argparse.ArgumentTypeError(f"{name} must be a fraction with 0 < {name} <= 1 (0.4 is 40 %), got {text!r}")
        return value

    return parse


def _duration(nanoseconds: int) -> str:
    seconds = nanoseconds / 10**9
    if seconds >= 2 * 86_400:
        return f"{seconds / 86_400:,.1f} days"
    if seconds >= 2 * 3_600:
        return f"{seconds / 3_600:,.1f} hours"
    if seconds >= 1:
        return f"{seconds:,.2f} s"
    return f"{seconds * 1000:,.2f} ms"


def _time(args) -> str:
    from .hardware import accelerator

    cfg = _config(args)
    compute = Compute(gpu=args.gpu, devices=args.devices, mfu=args.mfu, tokens=args.tokens or 0)
    setup = Setup(dtype=args.dtype, attention=args.attention, device="cuda", compute=compute)
    est = estimate(cfg, Workload(args.batch, args.seq), setup)
    card = accelerator(args.gpu)
    c = est.under("compute")
    tokens = est.values["D_train"]
    if args.json:
        return json.dumps({"model": cfg.name, "model_type": cfg.model_type, "batch": args.batch, "seq": args.seq,
                           "dtype": args.dtype, "gpu": args.gpu, "devices": args.devices, "mfu": args.mfu,
                           "tokens": tokens, "parameters": est["parameters"],
                           "parameters_active": est["parameters_active"],
                           **{k.removeprefix("compute/"): v for k, v in c.items()}})
    rows = [(est.label(k), f"{v:,}") for k, v in c.items() if k.endswith("flops_per_token")]
    rows.append((est.label("compute/training_flops"), f"{c['compute/training_flops']:.3e}"))
    rows.append((est.label("compute/training_time_ns"), _duration(c["compute/training_time_ns"])))
    rows.append((est.label("compute/prefill_time_ns"), _duration(c["compute/prefill_time_ns"])))
    rows.append((est.label("compute/decode_step_time_ns"), _duration(c["compute/decode_step_time_ns"])))
    rows.append((est.label("compute/decode_tokens_per_second"), f"{c['compute/decode_tokens_per_second']:,}"))
    peak = card.peak_flops[args.dtype]
    header = (f"{cfg.name} ({cfg.model_type}): {est['parameters']:,} parameters "
              f"({est['parameters_active']:,} a token passes through); batch {args.batch}, sequence {args.seq}\n"
              f"assumed: {args.devices:,} x {card.label} at {100 * args.mfu:.2f} % MFU of {peak / 10**12:,.1f} TFLOP/s "
              f"({args.dtype}, dense, vendor datasheet), {card.bandwidth_bytes_per_s / 10**9:,.0f} GB/s; "
              f"{tokens:,} training tokens; FLOPs predicted (the chapter Compute and time), not measured")
    return "\n".join([header, _table(rows, ("quantity", "value"))])
def _add_parallel_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Parallelism()
    group = parser.add_argument_group("how the step is spread over devices (defaults: one device)")
    group.add_argument("--dp", type=_integer("dp"), default=defaults.dp, help="data-parallel degree")
    group.add_argument("--zero", type=_zero, default=defaults.zero,
                       help="ZeRO stage: 0 (DDP), 1 (optimizer states sharded), 2 (and gradients), "
                            "3 (and parameters: FSDP2 fully_shard)")
    group.add_argument("--tp", type=_integer("tp"), default=defaults.tp, help="tensor-parallel degree")
    group.add_argument("--sp", action="store_true", help="sequence parallelism (with --tp)")
    group.add_argument("--cp", type=_integer("cp"), default=defaults.cp, help="context-parallel degree")
    group.add_argument("--pp", type=_integer("pp"), default=defaults.pp, help="pipeline stages")
    group.add_argument("--schedule", default=defaults.schedule, help=f"pipeline schedule: {', '.join(SCHEDULES)}")
    group.add_argument("--virtual", type=_integer("virtual"), default=defaults.virtual,
                       help="model chunks per stage (interleaved schedule)")
    group.add_argument("--ep", type=_integer("ep"), default=defaults.ep, help="expert-parallel degree (divides --dp)")
    group.add_argument("--microbatches", type=_integer("microbatches"), default=defaults.microbatches,
                       help="micro-batches of --batch sequences per optimizer step (gradient accumulation, pipeline)")
    group.add_argument("--recompute", default=defaults.recompute,
                       help=f"activation recomputation: {', '.join(RECOMPUTE)} (default {defaults.recompute})")
    group.add_argument("--offload", action="store_true", help="optimizer states in host memory")
    group.add_argument("--no-reshard", dest="reshard", action="store_false",
                       help="FSDP keeps each layer's gathered parameters from forward to backward")
    group.add_argument("--param-dtype", default=defaults.param_dtype,
                       help=f"dtype FSDP gathers parameters in: {', '.join(PARAM_DTYPES)} (reduction in fp32)")
    group.add_argument("--gpu-memory", type=_size, default=None,
                       help="memory of each device (80GiB, 24GB): say whether the step fits, and the largest "
                            "micro-batch that does")


def _zero(text: str) -> int:
    if text.strip() not in ("0", "1", "2", "3"):
        raise argparse.ArgumentTypeError(f"zero must be one of 0, 1, 2, 3; got {text[:40]!r}")
    return int(text)


def _size(text: str) -> int:
    try:
        return parse_size(text, "gpu-memory")
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _train(args) -> str:
    from .ranks import device_estimates, largest_batch

    cfg = _config(args)
    workload, setup = _run(args)
    parallel = Parallelism(dp=args.dp, zero=args.zero, tp=args.tp, sp=args.sp, cp=args.cp, pp=args.pp,
                           schedule=args.schedule, virtual=args.virtual, ep=args.ep, microbatches=args.microbatches,
                           recompute=args.recompute, offload=args.offload, reshard=args.reshard,
                           param_dtype=args.param_dtype)
    setup = setup.replace(parallel=parallel)
    probe = estimate(cfg, workload, setup)
    if probe.activations_note is not None:
        raise ValueError(probe.activations_note)
    devices = device_estimates(cfg, workload, setup)
    peak = max(d.estimate["parallel/peak"] for d in devices)
    fit = None
    if args.gpu_memory is not None:
        fit = {"gpu_memory": args.gpu_memory, "fits": peak <= args.gpu_memory,
               "largest_microbatch": largest_batch(cfg, workload, setup, args.gpu_memory)}
    if args.json:
        ranks = [{"rank": d.rank, "data_parallel_rank": d.data_parallel_rank, "stage": d.stage, **d.reported(),
                  "offloaded_optimizer_states": d.estimate["parallel/offloaded_optimizer_states"]} for d in devices]
        out = {"model": cfg.name, "model_type": cfg.model_type, "batch": workload.batch, "seq": workload.seq,
               **_setup_fields(setup), "parallel": {k: v for k, v in parallel.as_dict().items() if k != "rank"},
               "devices": parallel.world, "parameters_total": probe["parameters"], "peak": peak, "ranks": ranks}
        if fit is not None:
            out.update(fit)
        return json.dumps(out)
    groups: dict[tuple, list[int]] = {}
    for d in devices:
        groups.setdefault(tuple(d.reported().values()), []).append(d.rank)
    headers = ("ranks", "parameters", "gradients", "optimizer states", "activations", "peak")
    rows = [(_rank_list(ranks), *(format_bytes(n, binary=True) for n in values)) for values, ranks in groups.items()]
    lines = [_header(cfg, probe),
             f"{parallel.world} devices: dp {parallel.dp} (ZeRO-{parallel.zero}), tp {parallel.tp}"
             f"{' with sequence parallelism' if parallel.sp else ''}, cp {parallel.cp}, pp {parallel.pp} "
             f"({parallel.schedule}), ep {parallel.ep}; {parallel.microbatches} micro-batch(es) of {workload.batch}; "
             f"recomputation: {parallel.recompute}"
             + ("; optimizer states offloaded to host memory" if parallel.offload else ""),
             "per device, predicted by the per-device terms of everybyte.parallel (checked against torch.distributed "
             "on the CPU: FSDP2, DDP, ZeRO-1 and pipeline stages; tensor parallelism as chapter 15 says)",
             _table(rows, headers)]
    if fit is not None:
        verdict = "fits" if fit["fits"] else "does not fit"
        lines.append(f"largest peak {format_bytes(peak, binary=True)}: {verdict} in "
                     f"{format_bytes(args.gpu_memory, binary=True)} per device; largest micro-batch that fits: "
                     f"{fit['largest_microbatch']}")
    return "\n".join(lines)


def _rank_list(ranks: list[int]) -> str:
    if len(ranks) > 1 and ranks == list(range(ranks[0], ranks[-1] + 1)):
        return f"{ranks[0]}-{ranks[-1]}"
    return ",".join(map(str, ranks)) if len(ranks) <= 6 else f"{ranks[0]},...,{ranks[-1]} ({len(ranks)})"
def _serving_setup(args, seq: int):
    from .knobs import Serving

    serving = Serving(weights=args.weights, kv_dtype=args.kv_dtype, kv_group_size=args.kv_group_size,
                      kv_residual=args.kv_residual, cache=args.cache, max_cache_len=args.max_cache_len,
                      block_size=args.block_size)
    return Setup(dtype=args.dtype, attention=args.attention, serving=serving)


def _serve_estimate(cfg: ModelConfig, setup: Setup, batch: int, context: int) -> Estimate:
    serving = setup.serving_or_default()
    if serving.kv_dtype in ("int4", "int2") and (cfg.kv_heads * context * cfg.head_width) % serving.kv_group_size:
        raise ValueError(f"kv_group_size must divide h_kv * S * d_head = {cfg.kv_heads * context * cfg.head_width:,} "
                         f"(QuantizedCache groups each sequence's keys); got {serving.kv_group_size}")
    if serving.cache == "static" and serving.max_cache_len is not None and serving.max_cache_len < context:
        raise ValueError(f"max_cache_len must be at least the context ({context:,}); got {serving.max_cache_len:,}")
    return estimate(cfg, Workload(batch, context), setup)


def _largest(fits, start: int) -> int:
    """The largest n >= 1 with fits(n) (fits is monotone), or 0 when not even 1 fits."""
    if not fits(1):
        return 0
    low, high = 1, max(2, start)
    while fits(high):
        low, high = high, 2 * high
        if high > 2**80:  # a card larger than any workload: say so rather than search forever
            return low
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low


def _serve(args) -> str:
    cfg = _config(args)
    setup = _serving_setup(args, args.context)
    est = _serve_estimate(cfg, setup, args.batch, args.context)
    out = {"model": cfg.name, "model_type": cfg.model_type, "batch": args.batch, "context": args.context,
           "dtype": args.dtype, "attention": args.attention, "weights_format": args.weights, "kv_dtype": args.kv_dtype,
           "cache": args.cache, "weights": est["serving/weights"], "kv_cache": est.get("kv_cache"),
           "kv_cache_per_token": est.get("kv_cache/per_token"), "activations": est.get("serving/working_memory"),
           "total": est.get("serving/peak")}
    missing = [(what, est.why_missing(key)) for what, key in (("KV cache", "kv_cache"),
                                                              ("working memory", "serving/working_memory"))
               if key not in est]
    if missing:
        out["note"] = "; ".join(f"{what}: not available ({why})" for what, why in missing)
    if args.gpu_memory is not None:
        capacity = parse_size(args.gpu_memory, "gpu-memory")
        if out["total"] is None:
            raise ValueError(f"gpu-memory: the serving peak of {cfg.name} is not available, so no fit is computed; "
                             f"{missing[-1][1]}")

        def fits(batch, context):
            try:
                return _serve_estimate(cfg, setup, batch, context)["serving/peak"] <= capacity
            except ValueError:  # a context the quantized cache cannot group, or past max_cache_len
                return False

        out["gpu_memory"] = capacity
        out["max_batch"] = _largest(lambda b: fits(b, args.context), args.batch)
        out["max_context"] = _largest(lambda c: fits(args.batch, c), args.context)
    if args.json:
        return json.dumps(out)
    rows = [_bytes_row(f"weights ({args.weights if args.weights != 'auto' else args.dtype})", out["weights"])]
    if out["kv_cache"] is not None:
        rows += [_bytes_row(f"KV cache ({args.cache}, {args.kv_dtype if args.kv_dtype != 'auto' else args.dtype})",
                            out["kv_cache"]),
                 _bytes_row("  of which one token (every layer, one sequence)", out["kv_cache_per_token"])]
        if est["kv_cache/residual"]:
            rows.append(_bytes_row("KV tokens waiting in full precision (at most)", est["kv_cache/residual"]))
    if out["activations"] is not None:
        rows.append(_bytes_row("working memory (prefill or one decode step)", out["activations"]))
    if out["total"] is not None:
        rows.append(_bytes_row("total (peak)", out["total"]))
    lines = [f"{cfg.name} ({cfg.model_type}): {est['parameters']:,} parameters; serving {args.batch} sequence(s) "
             f"of {args.context:,} tokens, {args.dtype}, {args.attention} attention",
             "predicted by the package's terms (chapter 16); the KV cache is exact against transformers on the CPU",
             _table(rows, ("quantity", "bytes", "decimal", "binary"))]
    lines += [f"{what}: not available ({why})" for what, why in missing]
    if args.gpu_memory is not None:
        lines.append(f"on {format_bytes(out['gpu_memory'], binary=True)}: at most {out['max_batch']:,} sequence(s) of "
                     f"{args.context:,} tokens; at most {out['max_context']:,} tokens for {args.batch} sequence(s)")
    return "\n".join(lines)


def _finetune(args) -> str:
    from .knobs import LoRA

    cfg = _config(args)
    lora = LoRA(rank=args.lora_rank, targets=args.lora_targets, dora=args.dora, quant=args.quant, paged=args.paged)
    setup = Setup(dtype=args.dtype, attention=args.attention, optimizer=args.optimizer, lora=lora)
    est = estimate(cfg, Workload(args.batch, args.seq), setup)
    peak = est.get("finetuning/step_peak")
    out = {"model": cfg.name, "model_type": cfg.model_type, "lora_rank": args.lora_rank,
           "lora_targets": list(lora.targets), "dora": args.dora, "quant": args.quant, "batch": args.batch,
           "seq": args.seq, "dtype": args.dtype, "trainable_parameters": est["lora/trainable_parameters"],
           "all_parameters": est["parameters"] + est["lora/trainable_parameters"],
           "base_weights": est["finetuning/base_weights"], "adapter_weights": est["finetuning/adapter_weights"],
           "adapter_gradients": est["finetuning/adapter_gradients"],
           "optimizer_states": est["finetuning/optimizer_states"],
           "paged_optimizer_states": est["finetuning/paged_optimizer_states"],
           "activations": est.get("finetuning/activations"), "peak": peak, "note": est.activations_note,
           # chapter 17 follows these families' LoRA step tensor by tensor; elsewhere the full step's
           # saved tensors less what no LoRA step saves are an upper bound
           "activations_upper_bound": peak is not None and cfg.family.name not in families.LORA_STEP_FAMILIES}
    if args.json:
        return json.dumps(out)
    share = 100 * out["trainable_parameters"] / out["all_parameters"]
    rows = [_bytes_row(est.label(k), est[k]) for k in ("finetuning/base_weights", "finetuning/adapter_weights",
                                                        "finetuning/adapter_gradients", "finetuning/optimizer_states")]
    if out["paged_optimizer_states"]:
        rows.append(_bytes_row(est.label("finetuning/paged_optimizer_states"), out["paged_optimizer_states"]))
    if peak is not None:
        bound = " (an upper bound)" if out["activations_upper_bound"] else ""
        rows += [_bytes_row(f"activations a LoRA step saves for backward{bound}", out["activations"]),
                 _bytes_row("peak of one step", peak)]
    return "\n".join([
        f"{cfg.name} ({cfg.model_type}): {'DoRA' if args.dora else 'LoRA'} rank {args.lora_rank} on "
        f"{','.join(lora.targets)}{' over an NF4 base (QLoRA)' if args.quant else ''}; batch {args.batch}, "
        f"sequence {args.seq}",
        f"trainable parameters: {out['trainable_parameters']:,} of {out['all_parameters']:,} ({share:.4f} %)",
        _table(rows, ("quantity", "bytes", "decimal", "binary")),
        *([] if peak is not None else [f"peak: not available ({est.activations_note})"])])


def _checkpoint(args) -> str:
    from .checkpoint import compare

    if not os.path.isdir(args.folder):
        raise ValueError(f"folder must be a model folder holding config.json and safetensors files; got "
                         f"{args.folder[:200]!r}")
    cmp = compare(args.folder)
    if args.json:
        return json.dumps({"folder": args.folder, "equal": cmp.equal, "index_only": cmp.index_only,
                           "checkpoint_elements": cmp.checkpoint_elements, "formula": cmp.formula_elements,
                           "counted_elements": cmp.counted_elements,
                           "explained": [{"reason": r, "tensors": n, "elements": e} for r, n, e in cmp.explained],
                           "unmatched_checkpoint": [list(x) for x in cmp.unmatched_checkpoint],
                           "unmatched_formula": [list(x) for x in cmp.unmatched_formula]})
    source = "index (total_size / dtype bytes)" if cmp.index_only else f"{cmp.tensor_names} tensors"
    lines = [f"{args.folder}: checkpoint {cmp.checkpoint_elements:,} elements ({source}); "
             f"formula {cmp.formula_elements:,} parameters: {'equal' if cmp.equal else 'NOT equal'}"]
    for reason, n, elements in cmp.explained:
        extent = f"{n} tensors" + (f", {elements:,} elements" if elements is not None else "")
        lines.append(f"  left out of the count: {reason} ({extent})")
    for name, n in cmp.unmatched_checkpoint[:20]:
        lines.append(f"  in the checkpoint, not in the formula: {name} ({n:,} elements)")
    for name, n in cmp.unmatched_formula[:20]:
        lines.append(f"  in the formula, not in the checkpoint: {name} ({n:,} elements)")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="everybyte", description="Parameter counts and memory of Transformer language models, "
                                                   "from the formulas of the book Every Byte.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("params", help="exact parameter count with a per-component breakdown")
    _add_model_arguments(p)
    p.add_argument("--json", action="store_true", help="print one JSON object; its 'total' is the exact count")
    p.set_defaults(run=_params)

    m = sub.add_parser("memory", help="weights, KV cache, activations and the training-step peak (bytes)")
    _add_model_arguments(m)
    _add_run_arguments(m)
    m.add_argument("--article", action="store_true", help="also show the article's rules of thumb, labelled as such")
    m.add_argument("--json", action="store_true",
                   help="print one JSON object of byte counts (parameters, weights, kv_cache, activations, "
                        "training_peak, ...)")
    m.set_defaults(run=_memory)

    a = sub.add_parser("activations", help="bytes saved for backward by one training forward pass, per tensor")
    _add_model_arguments(a)
    _add_run_arguments(a)
    a.add_argument("--json", action="store_true",
                   help="print one JSON object; its 'total' is the predicted bytes saved for backward")
    a.set_defaults(run=_activations)

    from .hardware import ACCELERATORS

    t = sub.add_parser("time", help="FLOPs, days to train, prefill time and decode tokens per second on a card")
    _add_model_arguments(t)
    t.add_argument("--tokens", type=_integer("tokens"), help="training tokens (default: one step, batch * seq)")
    t.add_argument("--gpu", default="h100-sxm", help=f"the card: {', '.join(ACCELERATORS)} (default h100-sxm)")
    t.add_argument("--devices", type=_integer("devices"), default=1, help="cards the training run uses (default 1)")
    t.add_argument("--mfu", type=_fraction("mfu"), default=0.4,
                   help="model FLOPs utilisation reached, 0 < F <= 1 (default 0.4)")
    t.add_argument("--batch", type=_integer("batch"), default=1, help="sequences prefilled or decoded at once (default 1)")
    t.add_argument("--seq", type=_integer("seq"), required=True, help="sequence length S (tokens)")
    t.add_argument("--dtype", default="bf16", help=f"{', '.join(COMPUTE_DTYPES)}: the peak FLOP/s, weights and KV cache "
                                                   "of this dtype (default bf16)")
    t.add_argument("--attention", default="sdpa", help=f"{', '.join(ATTENTIONS)} (default sdpa)")
    t.add_argument("--json", action="store_true", help="print one JSON object (FLOPs, times in nanoseconds)")
    t.set_defaults(run=_time)

    tr = sub.add_parser("train", help="memory of each device of a training step spread over devices")
    _add_model_arguments(tr)
    _add_run_arguments(tr)
    _add_parallel_arguments(tr)
    tr.add_argument("--json", action="store_true",
                    help="print one JSON object; its 'ranks' has one object per device with integer bytes "
                         "'parameters', 'gradients', 'optimizer_states', 'activations' and 'peak'")
    tr.set_defaults(run=_train)
    from .knobs import CACHE_KINDS, KV_DTYPES, WEIGHT_FORMATS

    s = sub.add_parser("serve", help="weights, KV cache and working memory of serving a model (bytes)")
    _add_model_arguments(s)
    s.add_argument("--batch", type=_integer("batch"), required=True, help="sequences served at once (B)")
    s.add_argument("--context", type=_integer("context"), required=True, help="tokens per sequence (S)")
    s.add_argument("--dtype", default="bf16", help=f"{', '.join(COMPUTE_DTYPES)}: the model's dtype (default bf16)")
    s.add_argument("--attention", default="sdpa", help=f"{', '.join(ATTENTIONS)} (default sdpa, transformers' default)")
    s.add_argument("--weights", default="auto", help=f"auto (the dtype) or {', '.join(WEIGHT_FORMATS)}")
    s.add_argument("--kv-dtype", default="auto", help=f"{', '.join(KV_DTYPES)}: auto is the dtype; int4 and int2 are "
                                                      "transformers' QuantizedCache (quanto backend)")
    s.add_argument("--kv-group-size", type=_integer("kv_group_size"), default=64,
                   help="values per scale of a quantized cache (default 64)")
    s.add_argument("--kv-residual", type=_integer("kv_residual"), default=128,
                   help="tokens a quantized cache keeps in full precision (default 128)")
    s.add_argument("--cache", default="dynamic", help=f"{', '.join(CACHE_KINDS)}: transformers' DynamicCache, "
                                                      "StaticCache, or vLLM's paged blocks (default dynamic)")
    s.add_argument("--max-cache-len", type=_integer("max_cache_len"), help="tokens of a static cache (default: context)")
    s.add_argument("--block-size", type=_integer("block_size"), default=16, help="tokens per paged block (default 16)")
    s.add_argument("--gpu-memory", help="a card's memory, like 24GiB or 80GB: also print the largest batch and context")
    s.add_argument("--json", action="store_true",
                   help="one JSON object with integer bytes: weights, kv_cache, activations, total")
    s.set_defaults(run=_serve)

    f = sub.add_parser("finetune", help="LoRA, DoRA or QLoRA: trainable parameters and the memory of one step")
    _add_model_arguments(f)
    f.add_argument("--lora-rank", type=_integer("lora_rank"), required=True, help="rank r of every adapter")
    f.add_argument("--lora-targets", required=True, help="module names as peft matches them (q_proj,v_proj) or all-linear")
    f.add_argument("--quant", default=None, help="nf4: the frozen base in NF4 with double quantization (QLoRA)")
    f.add_argument("--dora", action="store_true", help="DoRA: a magnitude vector per adapted layer")
    f.add_argument("--paged", action="store_true", help="paged optimizer states (bitsandbytes)")
    f.add_argument("--batch", type=_integer("batch"), default=1, help="batch size B (default 1)")
    f.add_argument("--seq", type=_integer("seq"), default=512, help="sequence length S (default 512)")
    f.add_argument("--dtype", default="fp32", help=f"{', '.join(COMPUTE_DTYPES)}: the frozen base's dtype (default fp32)")
    f.add_argument("--attention", default="eager", help=f"{', '.join(ATTENTIONS)} (default eager)")
    f.add_argument("--optimizer", default="adamw", help=f"{', '.join(OPTIMIZERS)} (default adamw)")
    f.add_argument("--json", action="store_true",
                   help="one JSON object: trainable_parameters (as peft counts them), peak and the parts")
    f.set_defaults(run=_finetune)
    c = sub.add_parser("checkpoint", help="the formula against a model folder's safetensors headers (no data read)")
    c.add_argument("folder", help="a model folder: config.json and model.safetensors, or the shards of "
                                  "model.safetensors.index.json (or the index alone)")
    c.add_argument("--json", action="store_true", help="print one JSON object; 'equal' says whether they agree")
    c.set_defaults(run=_checkpoint)
    return parser


def _error(message: str) -> int:
    first = message.strip().splitlines()[0] if message.strip() else "unknown error"
    print(f"error: {first}", file=sys.stderr)
    return 2


def _write(text: str) -> int:
    """Write the answer; a closed or full stdout ends quietly with exit status 1."""
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        return 0
    except BrokenPipeError:
        _silence_stdout()
        return 1
    except OSError as error:
        _silence_stdout()
        print(f"error: cannot write the output: {error.strerror or error}", file=sys.stderr)
        return 1


def _silence_stdout() -> None:
    # Python flushes stdout again at exit; point it at /dev/null so that flush cannot fail.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (0; 2 for bad input; 1 if the output cannot be written; 3 a bug)."""
    try:
        args = build_parser().parse_args(argv)
    except _UsageError as error:
        return _error(str(error))
    except SystemExit as exit_:  # --help (0), already printed
        return exit_.code if isinstance(exit_.code, int) else 2
    except BrokenPipeError:  # --help into a closed pipe
        _silence_stdout()
        return 1
    try:
        text = args.run(args)
    except ValueError as error:
        return _error(str(error))
    except RecursionError:
        return _error("the input is nested too deeply")
    except MemoryError:
        return _error("the input is too large to evaluate")
    except (KeyError, TypeError, ArithmeticError) as error:  # a defect of the package, not of the input
        print(f"error: everybyte could not compute this ({type(error).__name__}: {error}); this is a bug, please "
              f"report it with the command line", file=sys.stderr)
        return 3
    return _write(text)


if __name__ == "__main__":
    sys.exit(main())
