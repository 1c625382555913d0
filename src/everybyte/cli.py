"""The ``everybyte`` command line.

    everybyte params gpt2
    everybyte params path/to/config.json --json
    everybyte memory llama-3-8b --batch 1 --seq 8192 --dtype bf16
    everybyte activations gpt2 --batch 8 --seq 1024 --dtype bf16 --attention sdpa --json
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

from . import presets
from .config import ModelConfig
from .hf import from_hf_config
from .options import ATTENTIONS, COMPUTE_DTYPES, DEVICES, DTYPE_BITS, OPTIMIZERS, Setup, Workload
from .pipeline import Estimate, count_params, estimate
from .units import format_bytes

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


def _header(cfg: ModelConfig, est: Estimate) -> str:
    return (f"{cfg.name} ({cfg.model_type}): {est['parameters']:,} parameters; "
            f"batch {est.workload.batch}, sequence {est.workload.seq}\n"
            f"assumed: {est.setup.describe()}")


def _bytes_row(label: str, n: int):
    return (label, f"{n:,}", format_bytes(n), format_bytes(n, binary=True))


def _memory_json(cfg: ModelConfig, est: Estimate, article: bool) -> dict:
    out = {"model": cfg.name, "model_type": cfg.model_type, "batch": est.workload.batch, "seq": est.workload.seq,
           **est.setup.as_dict(), "parameters": est["parameters"], "weights": est["weights"],
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
                           "seq": est.workload.seq, **est.setup.as_dict(), "total": total,
                           "breakdown": breakdown})
    rows = [(est.label(f"activations/{k}"), f"{n:,}", _share(n, total)) for k, n in breakdown.items()]
    rows.append(("total saved for backward", f"{total:,}", "100.00 %"))
    return "\n".join([_header(cfg, est), _table(rows, ("saved tensor (whole model)", "bytes", "share"))])


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
    """Run the command line; return the exit status (0; 2 for bad input; 1 if the output cannot be written)."""
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
    return _write(text)


if __name__ == "__main__":
    sys.exit(main())
