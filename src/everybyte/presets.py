"""The book's presets: the article's example, and real models stored as config files.

Real models live in ``presets/*.json``, each the ``config.json`` a model's
authors published (``presets/index.json`` names the source of each); they are
read with :func:`everybyte.hf.from_hf_config` like any file a user brings.
The article's example is not a real model (no biases on attention, no
positions, no final norm), so it is defined here.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

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

_FOLDER = resources.files("everybyte") / "presets"


@lru_cache(maxsize=None)
def preset_sources() -> dict[str, dict[str, str]]:
    """``{name: {"file": ..., "source": ...}}`` for every file preset."""
    return json.loads((_FOLDER / "index.json").read_text(encoding="utf-8"))


def preset_path(name: str):
    """Path of the config file of the file preset ``name``."""
    check.choice("preset", name, preset_sources())
    return _FOLDER / preset_sources()[name]["file"]


def _load_presets() -> dict[str, ModelConfig]:
    presets = {ARTICLE_EXAMPLE.name: ARTICLE_EXAMPLE}
    for name, entry in preset_sources().items():
        data = json.loads((_FOLDER / entry["file"]).read_text(encoding="utf-8"))
        presets[name] = from_hf_config(data, name=name)
    return presets


#: Every preset by name.
PRESETS: dict[str, ModelConfig] = _load_presets()
#: GPT-2 small (Radford et al. 2019): 124,439,808 parameters in HF ``GPT2LMHeadModel``.
GPT2_SMALL = PRESETS["gpt2"]
#: GPT-3 175B, Table 2.1 of Brown et al. 2020, in GPT-2's layout.
GPT3_175B = PRESETS["gpt3-175b"]


def preset(name: str) -> ModelConfig:
    """Return the preset called ``name`` (see :data:`PRESETS`)."""
    check.choice("preset", name, PRESETS)
    return PRESETS[name]
