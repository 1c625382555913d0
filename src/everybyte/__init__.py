"""everybyte: parameter counts and memory of Transformer language models.

Every formula is a SymPy expression defined once in this package; the book's
chapters derive each one and assert that their derivation equals it.  One
entry point evaluates them all::

    import everybyte as eb
    est = eb.estimate(eb.preset("gpt2"), eb.Workload(batch=8, seq=1024), eb.Setup(dtype="bf16"))
    est["training_peak"], est["activations"], est["kv_cache"]

Importing the package loads nothing heavy: the modules that need SymPy, NumPy,
matplotlib or torch load on first use, so the command line starts fast.
"""

from __future__ import annotations

import importlib
import os

__version__ = "0.2.0"

# name -> (module, attribute); attribute None means the module itself.
_LAZY = {
    "ModelConfig": ("config", "ModelConfig"),
    "Workload": ("options", "Workload"),
    "Setup": ("options", "Setup"),
    "estimate": ("pipeline", "estimate"),
    "Estimate": ("pipeline", "Estimate"),
    "count_params": ("pipeline", "count_params"),
    "ParameterCount": ("pipeline", "ParameterCount"),
    "from_hf_config": ("hf", "from_hf_config"),
    "preset": ("presets", "preset"),
    "PRESETS": ("presets", "PRESETS"),
    "ARTICLE_EXAMPLE": ("presets", "ARTICLE_EXAMPLE"),
    "GPT2_SMALL": ("presets", "GPT2_SMALL"),
    "GPT3_175B": ("presets", "GPT3_175B"),
    "exact": ("evaluate", "exact"),
    "sweep": ("evaluate", "sweep"),
    "model_memory_bytes": ("memory", "model_memory_bytes"),
}
#: Every module of the package (loaded on first use as ``everybyte.<name>``).
_MODULES = {name[:-3] for name in os.listdir(os.path.dirname(os.path.abspath(__file__)))
            if name.endswith(".py") and not name.startswith("_")}

__all__ = sorted([*_LAZY, *_MODULES])


def __getattr__(name):
    if name in _LAZY:
        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    elif name in _MODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return __all__
