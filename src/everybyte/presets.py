"""The book's presets: the article's example, and real models stored as config files.

Real models live in ``presets/*.json``, each the ``config.json`` a model's
authors published (``presets/index.json`` names the source of each); they are
read with :func:`everybyte.hf.from_hf_config` like any file a user brings.
The article's example is not a real model (no biases on attention, no
positions, no final norm), so it is defined here.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache

from . import validation as check
from .config import ModelConfig
from .hf import from_hf_config

#: The article's example model (section "Example calculation"): no attention
#: biases, feed-forward biases, no learned positions, no final norm, and the
#: output layer left out of the total (i.e. tied).
ARTICLE_EXAMPLE = ModelConfig(
    name="article-example",
    vocab_size=50_000,
    d_model=768,
    n_layers=12,
    n_heads=12,
    d_ff=4 * 768,
    n_positions=0,
    attention_bias=False,
    mlp_bias=True,
    tied_embeddings=True,
    final_norm=False,
)

_FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "presets")


@lru_cache(maxsize=None)
def preset_sources() -> dict[str, dict[str, str]]:
    """``{name: {"file": ..., "source": ...}}`` for every file preset."""
    with open(os.path.join(_FOLDER, "index.json"), encoding="utf-8") as handle:
        return json.load(handle)


def preset_names() -> tuple[str, ...]:
    """Every preset's name: the article's example, then the file presets."""
    return (ARTICLE_EXAMPLE.name, *preset_sources())


def _preset_file(name: str) -> str:
    check.choice("preset", name, preset_sources())
    return os.path.join(_FOLDER, preset_sources()[name]["file"])


def preset_path(name: str):
    """Path (a :class:`pathlib.Path`) of the config file of the file preset ``name``."""
    from pathlib import Path

    return Path(_preset_file(name))


@lru_cache(maxsize=None)
def preset(name: str) -> ModelConfig:
    """Return the preset called ``name`` (see :func:`preset_names`); file presets are read on first use."""
    check.choice("preset", name, preset_names())
    if name == ARTICLE_EXAMPLE.name:
        return ARTICLE_EXAMPLE
    with open(_preset_file(name), encoding="utf-8") as handle:
        return from_hf_config(json.load(handle), name=name)


def __getattr__(name):
    # PRESETS (every preset by name), GPT2_SMALL and GPT3_175B are read on first use.
    if name == "PRESETS":
        return {n: preset(n) for n in preset_names()}
    if name == "GPT2_SMALL":
        return preset("gpt2")  # Radford et al. 2019: 124,439,808 parameters in HF GPT2LMHeadModel
    if name == "GPT3_175B":
        return preset("gpt3-175b")  # Brown et al. 2020, Table 2.1, in GPT-2's layout
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
