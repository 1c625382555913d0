"""The ``llm-memory`` command line.

    llm-memory params gpt2
    llm-memory params --vocab-size 50000 --d-model 768 --n-layers 12 --n-heads 12
    llm-memory memory gpt2 --batch 8 --seq 1024 --dtype bf16 --json

Bad input ends with one line on stderr naming the argument and what is
allowed, and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import memory
from .config import ModelConfig
from .presets import PRESETS, preset
from .evaluate import exact
from .parameters import count_params
from .units import format_bytes


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one clear line, exit 2
        raise SystemExit(_fail(f"{self.prog}: {message}"))


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _integer(name: str):
    def parse(text: str) -> int:
        try:
            return int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a positive integer, got {text!r}") from None

    return parse


_SIZES = ("vocab_size", "d_model", "n_layers", "n_heads", "d_ff", "n_positions")


def _add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", nargs="?",
                        help=f"a preset name ({', '.join(PRESETS)}) or a path to a Hugging Face config.json")
    group = parser.add_argument_group("a model given by its sizes (instead of a preset)")
    for size in _SIZES:
        flag = "--" + size.replace("_", "-")
        helptext = "default 4 * d_model" if size == "d_ff" else ("default 0 (none)" if size == "n_positions" else None)
        group.add_argument(flag, dest=size, type=_integer(size), help=helptext)
    group.add_argument("--untied", action="store_true", help="a separate output layer (default: tied to the embedding)")


def _add_workload_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch", type=_integer("batch"), required=True, help="batch size B (sequences)")
    parser.add_argument("--seq", type=_integer("seq"), required=True, help="sequence length S (tokens)")


def _config(args) -> ModelConfig:
    given = {s: getattr(args, s) for s in _SIZES if getattr(args, s) is not None}
    if args.source is not None:
        if given:
            raise ValueError("give either a preset name or sizes (--d-model, ...), not both")
        if args.source in PRESETS:
            return preset(args.source)
        if args.source.endswith(".json") or os.path.exists(args.source):
            # A file named config.json is named after its folder (as on the Hub).
            path = os.path.abspath(args.source)
            stem = os.path.splitext(os.path.basename(path))[0]
            name = os.path.basename(os.path.dirname(path)) if stem == "config" else stem
            return ModelConfig.from_hf_config(args.source, name=name or None)
        raise ValueError(
            f"source must be a preset name ({', '.join(PRESETS)}) or a path to a config.json; got {args.source!r}"
        )
    missing = [s for s in ("vocab_size", "d_model", "n_layers", "n_heads") if s not in given]
    if missing:
        raise ValueError(
            f"source: give a preset ({', '.join(PRESETS)}) or all of --vocab-size, --d-model, --n-layers, --n-heads"
        )
    given.setdefault("d_ff", 4 * given["d_model"])
    return ModelConfig(tied_embeddings=not args.untied, **given)


def _table(rows, headers) -> str:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    line = lambda r: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _params(args) -> int:
    cfg = _config(args)
    count = count_params(cfg)
    if args.json:
        print(json.dumps({"model": cfg.name, "model_type": cfg.model_type, "total": count.total,
                          "active": count.active, "breakdown": count.breakdown}))
        return 0
    rows = [(name, f"{n:,}", f"{100 * n / count.total:.2f} %") for name, n in count.breakdown.items()]
    rows.append(("total", f"{count.total:,}", "100.00 %"))
    if count.active != count.total:
        rows.append(("active per token", f"{count.active:,}", f"{100 * count.active / count.total:.2f} %"))
    print(f"{cfg.name} ({cfg.model_type}): parameters")
    print(_table(rows, ("component", "parameters", "share")))
    return 0


def _memory(args) -> int:
    cfg = _config(args)
    values = memory.workload_values(cfg, args.batch, args.seq)
    n_params = values[memory.N]
    estimates = {
        f"model memory ({args.dtype})": memory.model_memory_bytes(n_params, args.dtype),
        "inference working memory (article's 2x rule)": 2 * memory.model_memory_bytes(n_params, args.dtype),
        f"KV cache ({args.dtype}, B={args.batch}, S={args.seq})": _whole(
            exact(memory.kv_cache_expr(cfg), {**values, memory.b_param: memory.bytes_per_param(args.dtype)})),
        "training steady state, fp32 AdamW (16N + 8BS)": exact(memory.steady_state_memory, values),
    }
    if cfg.model_type == "gpt2":  # the per-tensor accounting of chapter 8 is GPT-2's layout
        estimates.update({
            f"activations saved for backward ({args.precision})": exact(memory.activation_memory(args.precision), values),
            f"training peak ({args.precision}, AdamW)": exact(memory.peak_memory(args.precision), values),
        })
    estimates["training peak, the article's formula"] = exact(memory.ARTICLE_PEAK_MEMORY, values)
    if args.json:
        print(json.dumps({"model": cfg.name, "n_params": n_params, "batch": args.batch, "seq": args.seq,
                          "dtype": args.dtype, "precision": args.precision, "bytes": estimates}))
        return 0
    rows = [(k, f"{v:,}", format_bytes(v), format_bytes(v, binary=True)) for k, v in estimates.items()]
    print(f"{cfg.name}: {n_params:,} parameters, batch {args.batch}, sequence {args.seq}")
    print(_table(rows, ("estimate", "bytes", "decimal", "binary")))
    return 0


def _activations(args) -> int:
    from . import activations

    cfg = _config(args)
    regime = activations.Regime(dtype=args.dtype, attention=args.attention, device=args.device)
    breakdown = activations.predict_breakdown(cfg, args.batch, args.seq, regime)
    total = sum(breakdown.values())
    if args.json:
        print(json.dumps({"model": cfg.name, "model_type": cfg.model_type, "batch": args.batch, "seq": args.seq,
                          "dtype": args.dtype, "attention": args.attention, "device": args.device,
                          "total": total, "breakdown": breakdown}))
        return 0
    rows = [(name, f"{n:,}", f"{100 * n / total:.2f} %") for name, n in breakdown.items()]
    rows.append(("total saved for backward", f"{total:,}", "100.00 %"))
    print(f"{cfg.name} ({cfg.model_type}): batch {args.batch}, sequence {args.seq}, {args.dtype}, "
          f"{args.attention} attention, {args.device}")
    print(_table(rows, ("saved tensor (whole model)", "bytes", "share")))
    return 0


def _whole(value) -> int:
    return int(value) if isinstance(value, int) else -(-value.numerator // value.denominator)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="llm-memory", description="Parameter counts and memory of Transformer language models.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("params", help="exact parameter count with a per-component breakdown")
    _add_model_arguments(p)
    p.add_argument("--json", action="store_true", help="print one JSON object; its 'total' is the exact count")
    p.set_defaults(run=_params)

    m = sub.add_parser("memory", help="model, inference and training memory estimates (bytes)")
    _add_model_arguments(m)
    _add_workload_arguments(m)
    m.add_argument("--dtype", default="fp32", help=f"storage type of the weights: {', '.join(memory.DTYPE_BITS)} (default fp32)")
    m.add_argument("--precision", default="gpu-mixed",
                   help=f"training precision for activations: {', '.join(memory.PRECISIONS)} (default gpu-mixed)")
    m.add_argument("--json", action="store_true", help="print one JSON object of byte counts")
    m.set_defaults(run=_memory)

    a = sub.add_parser("activations", help="bytes saved for backward by one training forward pass, per tensor")
    _add_model_arguments(a)
    _add_workload_arguments(a)
    a.add_argument("--dtype", default="fp32", help="fp32, or bf16/fp16 autocast with fp32 weights (default fp32)")
    a.add_argument("--attention", default="eager", help="attention implementation: eager or sdpa (default eager)")
    a.add_argument("--device", default="cpu", help="cpu or cuda: dropout masks are 1 byte on cuda (default cpu)")
    a.add_argument("--json", action="store_true",
                   help="print one JSON object; its 'total' is the predicted bytes saved for backward")
    a.set_defaults(run=_activations)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (0, or 2 for bad input)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help (0) or a usage error (2), already printed
        return exit_.code if isinstance(exit_.code, int) else 2
    try:
        if args.command == "memory":
            memory.bytes_per_param(args.dtype)
            memory.precision(args.precision)
        if args.command == "activations":
            from .activations import Regime

            Regime(dtype=args.dtype, attention=args.attention, device=args.device)
        return args.run(args)
    except ValueError as error:
        return _fail(str(error))


if __name__ == "__main__":
    sys.exit(main())
