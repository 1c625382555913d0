"""llm_memory: parameter counts and memory of Transformer language models.

Every formula is a SymPy expression defined once in this package; the book's
chapters derive each one and assert that their derivation equals it.
"""

from . import memory, parameters, symbols, units
from .config import ModelConfig
from .presets import ARTICLE_EXAMPLE, GPT2_SMALL, GPT3_175B, PRESETS, preset
from .evaluate import exact, sweep
from .memory import model_memory_bytes
from .parameters import ParameterCount, count_params

__all__ = [
    "ARTICLE_EXAMPLE", "GPT2_SMALL", "GPT3_175B", "PRESETS", "ModelConfig", "ParameterCount",
    "article", "count_params", "efficiency", "exact", "memory", "model_memory_bytes",
    "parameters", "preset", "scaling", "sweep", "symbols", "units",
]
__version__ = "0.1.0"


def __getattr__(name):
    # Modules load on first use: ``lm.plotting`` (matplotlib), ``lm.measure``
    # (torch), and the chapters' own modules, so that the CLI starts fast.
    if name in ("plotting", "measure", "hf", "presets", "article", "efficiency", "scaling", "activations",
                "benchmark", "cli"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
