"""The data tables of the browser calculator, exported from the package (``calculator/everybyte_data.js``).

The calculator (``calculator.md``, ``calculator/everybyte.js``) reads configs,
presets and setups exactly as the package does.  Its formulas are generated
(:mod:`everybyte.codegen`); the tables it needs besides (every model type's key
map, defaults, fixed fields and derive description, the families, the presets'
config files, dtypes, optimizers, accelerators, weight formats, LoRA modules and peft's rules,
the defaults of every option) are written here from the package's own objects,
never retyped.  :func:`javascript_source` is what ``make generate`` writes;
``tests/test_generated.py`` fails while the committed file differs from it.

Python values become JavaScript values the hand-written port reads as
:mod:`calculator/pyjson.js` decodes a config: ints as BigInt literals, floats
as ``F(x)`` (a ``pyjson.PyFloat``), tuples and lists as arrays, dicts as
objects, ``None`` as ``null``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

JAVASCRIPT_PATH = Path(__file__).resolve().parents[2] / "calculator" / "everybyte_data.js"


def _js(value) -> str:
    """``value`` as a JavaScript expression (see the module's docstring)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return f"{value}n"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot export the float {value!r}")
        return f"F({value!r})"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=True)
    if isinstance(value, (list, tuple, frozenset, set)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return "[" + ", ".join(_js(v) for v in items) + "]"
    if isinstance(value, dict) or hasattr(value, "items"):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_js(v)}" for k, v in value.items()) + "}"
    raise ValueError(f"cannot export {type(value).__name__} {value!r}")


def _commands() -> dict:
    """The command line's options of each command the calculator runs, from its own parser.

    ``{command: [[dest, flag, default, required, kind, name], ...]}`` in the parser's order; ``kind`` is
    ``int``, ``fraction`` (with the ``name`` its message uses), ``zero``, ``size``, ``str``, ``true``
    (``store_true``) or ``false`` (``store_false``).  The model given by its sizes (``--d-model``, ...) is
    left out: the calculator takes a config or a preset.
    """
    import argparse

    from . import cli

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    out = {}
    for command in ("params", "memory", "serve", "finetune", "train", "time"):
        rows = []
        for action in sub.choices[command]._actions:
            if action.dest in ("help", "source", "json", *cli._SIZES):
                continue
            kind, name, kind_of = "str", None, action.type
            if isinstance(action, argparse._StoreTrueAction):
                kind = "true"
            elif isinstance(action, argparse._StoreFalseAction):
                kind = "false"
            elif kind_of is not None:
                kind = {"_integer": "int", "_fraction": "fraction", "_zero": "zero", "_size": "size"}[
                    kind_of.__qualname__.split(".")[0]]
                if kind_of.__closure__:
                    name = kind_of.__closure__[0].cell_contents
            rows.append([action.dest, action.option_strings[0], action.default, action.required, kind, name])
        out[command] = rows
    return out


def data() -> dict:
    """Every table the calculator reads, by name."""
    from . import cli, config, families, hf, hardware, knobs, linear_names, options, pipeline, presets, ranks, units

    model_types = {}
    for name, entry in families.MODEL_TYPES.items():
        model_types[name] = {
            "family": entry.family,
            "keys": {field: [list(key.names), key.default] for field, key in entry.keys.items()},
            "fixed": dict(entry.fixed),
            "switches": dict(entry.switches),
            "inputs": {field: [list(key.names), key.default] for field, key in entry.inputs.items()},
            "derive": None if entry.derive is None else families.derive_spec(entry.derive),
            "no_activations": entry.no_activations,
        }
    file_presets = {}
    for name in presets.preset_sources():
        file_presets[name] = presets.preset_path(name).read_text(encoding="utf-8")
    article = presets.ARTICLE_EXAMPLE
    fields = config.ModelConfig._fields
    return {
        "FAMILIES": {name: f.as_dict() for name, f in families.FAMILIES.items()},
        "MODEL_TYPES": model_types,
        "SUPPORTED_MODEL_TYPES": families.SUPPORTED_MODEL_TYPES,
        "REFUSED": families.REFUSED,
        "FIELD_KINDS": families.FIELD_KINDS,
        "DEFAULT_SWITCHES": families.DEFAULT_SWITCHES,
        "ACTIVATION_SAVED_TENSORS": families.ACTIVATION_SAVED_TENSORS,
        "ACTIVATION_PARAMETERS": families.ACTIVATION_PARAMETERS,
        "ACTIVATION_BUFFERS": families.ACTIVATION_BUFFERS,
        "ATTENTION_KINDS": families._ATTENTION_KINDS,
        "BLOCKS": families._BLOCKS,
        "PATTERN_LETTERS": families._PATTERN_LETTERS,
        "MODEL_CONFIG_FIELDS": fields,
        "MODEL_CONFIG_DEFAULTS": {f: config.ModelConfig._defaults[f] for f in fields
                                  if f in config.ModelConfig._defaults},
        "CONFIG_SIZES": config._SIZES, "CONFIG_FLAGS": config._FLAGS, "CONFIG_RATES": config._RATES,
        "CONFIG_ZOO_SIZES": config._ZOO_SIZES, "CONFIG_ZOO_FLAGS": config._ZOO_FLAGS,
        "MIXERS": config.MIXERS, "FEED_FORWARDS": config.FEED_FORWARDS, "QK_NORMS": config.QK_NORMS,
        "OTHER_PARTS": hf._OTHER_PARTS,
        "MAX_CONFIG_BYTES": hf.MAX_CONFIG_BYTES,
        "MAX_CONFIG_DEPTH": hf.MAX_CONFIG_DEPTH,
        "PRESET_FILES": file_presets,
        "ARTICLE_EXAMPLE": {f: getattr(article, f) for f in fields},
        "PRESET_NAMES": presets.preset_names(),
        "DTYPE_BITS": options.DTYPE_BITS,
        "COMPUTE_DTYPES": options.COMPUTE_DTYPES,
        "ATTENTIONS": options.ATTENTIONS,
        "DEVICES": options.DEVICES,
        "OPTIMIZERS": {name: o.as_dict() for name, o in options.OPTIMIZERS.items()},
        "SETUP_DEFAULTS": {f: getattr(options.Setup(), f) for f in ("dtype", "attention", "device", "optimizer")},
        "COMPUTE_DEFAULTS": options.Compute().as_dict(),
        "PARALLEL_DEFAULTS": options.Parallelism().as_dict(),
        "RECOMPUTE": options.RECOMPUTE,
        "SCHEDULES": options.SCHEDULES,
        "PARAM_DTYPES": options.PARAM_DTYPES,
        "WEIGHT_FORMATS": knobs.WEIGHT_FORMATS,
        "KV_FLOAT_BYTES": knobs.KV_FLOAT_BYTES,
        "KV_QUANTIZED_BITS": knobs.KV_QUANTIZED_BITS,
        "KV_DTYPES": knobs.KV_DTYPES,
        "CACHE_KINDS": knobs.CACHE_KINDS,
        "SERVING_DEFAULTS": knobs.Serving().as_dict(),
        "LORA_DEFAULTS": knobs.LoRA().as_dict(),
        "LORA_ROLES": knobs.LORA_ROLES,
        "LORA_MODULES": knobs.LORA_MODULES,
        "ALL_LINEAR": knobs.ALL_LINEAR,
        "PAGEABLE": knobs.PAGEABLE,
        "PEFT_MAMBA": linear_names.PEFT_MAMBA,
        "PEFT_MOE_CONVERSION": linear_names.PEFT_MOE_CONVERSION,
        "LINEAR_ROUTERS": linear_names.LINEAR_ROUTERS,
        "ACCELERATORS": {name: a.as_dict() for name, a in hardware.ACCELERATORS.items()},
        "LINEAR_FAMILIES": pipeline.LINEAR_FAMILIES,
        "LINEAR_PREFIXES": pipeline._LINEAR_PREFIXES,
        "LORA_PREFIXES": pipeline._LORA_PREFIXES,
        "CHECKED_FORMATS": pipeline.CHECKED_FORMATS,
        "QLORA_ONLY": pipeline._QLORA_ONLY,
        "LORA_STEP_FAMILIES": families.LORA_STEP_FAMILIES,
        "KEPT": pipeline._KEPT,
        "REPORTED": ranks.REPORTED,
        "MAX_DIGITS": cli.MAX_DIGITS,
        "COMMANDS": _commands(),
        "UNITS": units.UNITS,
    }


def javascript_source() -> str:
    """The text of ``calculator/everybyte_data.js``."""
    lines = ["// Generated by everybyte.calcdata (run by everybyte.codegen) from the package's tables: do not edit.",
             "// Refresh with `make generate`; tests/test_generated.py fails while this file differs from a fresh one.",
             "(function (root) {",
             '  "use strict";',
             "  const F = (x) => new root.pyjson.PyFloat(x);",
             "  root.everybyteData = {"]
    for name, value in data().items():
        lines.append(f"    {name}: {_js(value)},")
    lines += ["  };", '})(typeof window !== "undefined" ? window : globalThis);', ""]
    return "\n".join(lines)
