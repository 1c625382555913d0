"""Reading a Hugging Face ``config.json`` into a :class:`ModelConfig` (chapter 12).

Supported ``model_type`` values: gpt2, llama, mistral, qwen2, gpt_neox and
mixtral.  A key missing from the file takes the default of the transformers
config class of that type (transformers 5.x), exactly as
``AutoConfig.for_model(model_type, **file)`` would; the tests check every
default against the installed transformers.  Nothing here imports
transformers.
"""

from __future__ import annotations

import json
import numbers
import os
from typing import Any, Mapping

from .config import ModelConfig

#: Defaults of the transformers config classes, for the keys that shape parameters.
DEFAULTS: dict[str, dict[str, Any]] = {
    "gpt2": {"vocab_size": 50257, "n_positions": 1024, "n_embd": 768, "n_layer": 12, "n_head": 12,
             "n_inner": None, "tie_word_embeddings": True, "activation_function": "gelu_new",
             "embd_pdrop": 0.1, "attn_pdrop": 0.1, "resid_pdrop": 0.1},
    "llama": {"vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
              "num_attention_heads": 32, "num_key_value_heads": None, "head_dim": None,
              "attention_bias": False, "mlp_bias": False, "tie_word_embeddings": False, "hidden_act": "silu", "attention_dropout": 0.0},
    "mistral": {"vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
                "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": None,
                "tie_word_embeddings": False, "hidden_act": "silu", "attention_dropout": 0.0},
    "qwen2": {"vocab_size": 151936, "hidden_size": 4096, "intermediate_size": 22016, "num_hidden_layers": 32,
              "num_attention_heads": 32, "num_key_value_heads": 32, "tie_word_embeddings": False, "hidden_act": "silu", "attention_dropout": 0.0},
    "gpt_neox": {"vocab_size": 50432, "hidden_size": 6144, "intermediate_size": 24576, "num_hidden_layers": 44,
                 "num_attention_heads": 64, "attention_bias": True, "use_parallel_residual": True,
                 "tie_word_embeddings": False, "hidden_act": "gelu", "attention_dropout": 0.0, "hidden_dropout": 0.0},
    "mixtral": {"vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
                "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": None,
                "num_local_experts": 8, "num_experts_per_tok": 2, "tie_word_embeddings": False, "hidden_act": "silu", "attention_dropout": 0.0},
}

SUPPORTED_MODEL_TYPES = tuple(DEFAULTS)


def _load(source) -> dict:
    if isinstance(source, Mapping):
        return dict(source)
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            raise ValueError(f"config file not found: {path}") from None
        except (IsADirectoryError, PermissionError, UnicodeDecodeError) as error:
            raise ValueError(f"config file {path} cannot be read: {error}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"config file {path} is not valid JSON: {error.msg} at line {error.lineno}") from None
        if not isinstance(data, dict):
            raise ValueError(f"config file {path} must hold a JSON object, got {type(data).__name__}")
        return data
    raise ValueError(f"source must be a path to a config.json or a dict, got {type(source).__name__}")


class _Reader:
    """Typed access to a config dict with the defaults of its model type."""

    def __init__(self, data: dict, model_type: str):
        self.data = data
        self.defaults = DEFAULTS[model_type]
        self.model_type = model_type

    def _raw(self, key):
        if key in self.data:
            return self.data[key]
        if key in self.defaults:
            return self.defaults[key]
        raise KeyError(key)

    def int(self, key, *, optional: bool = False):
        value = self._raw(key)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{self.model_type} config: {key} must be a positive integer, got {value!r}")
        return int(value)

    def rate(self, key):
        value = self._raw(key)
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
            raise ValueError(f"{self.model_type} config: {key} must be a number with 0 <= {key} < 1, got {value!r}")
        return float(value)

    def str(self, key):
        value = self._raw(key)
        if not isinstance(value, str):
            raise ValueError(f"{self.model_type} config: {key} must be a string, got {value!r}")
        return value

    def bool(self, key):
        value = self._raw(key)
        if not isinstance(value, bool):
            raise ValueError(f"{self.model_type} config: {key} must be true or false, got {value!r}")
        return value


def from_hf_config(source, name: str | None = None) -> ModelConfig:
    """A :class:`ModelConfig` from a Hugging Face ``config.json`` (path or dict).

    Raises ``ValueError`` naming the problem for an unsupported ``model_type``,
    a file that is missing or not JSON, or a key of the wrong type.
    """
    data = _load(source)
    model_type = data.get("model_type")
    if model_type not in DEFAULTS:
        raise ValueError(
            f"model_type must be one of {', '.join(SUPPORTED_MODEL_TYPES)}; got {model_type!r}"
        )
    r = _Reader(data, model_type)
    name = name or data.get("_name_or_path") or model_type
    if not isinstance(name, str):
        raise ValueError(f"name must be a string, got {name!r}")
    try:
        if model_type == "gpt2":
            d_model = r.int("n_embd")
            return ModelConfig(
                name=name, model_type=model_type, vocab_size=r.int("vocab_size"), d_model=d_model,
                n_layers=r.int("n_layer"), n_heads=r.int("n_head"),
                d_ff=r.int("n_inner", optional=True) or 4 * d_model, n_positions=r.int("n_positions"),
                tied_embeddings=r.bool("tie_word_embeddings"), activation=r.str("activation_function"),
                embedding_dropout=r.rate("embd_pdrop"), attention_dropout=r.rate("attn_pdrop"),
                residual_dropout=r.rate("resid_pdrop"),
            )
        common = dict(
            name=name, model_type=model_type, vocab_size=r.int("vocab_size"), d_model=r.int("hidden_size"),
            n_layers=r.int("num_hidden_layers"), n_heads=r.int("num_attention_heads"),
            d_ff=r.int("intermediate_size"), tied_embeddings=r.bool("tie_word_embeddings"),
            n_positions=0, final_norm=True, activation=r.str("hidden_act"), embedding_dropout=0.0,
            attention_dropout=r.rate("attention_dropout"),
            residual_dropout=r.rate("hidden_dropout") if model_type == "gpt_neox" else 0.0,
        )
        if model_type == "gpt_neox":
            bias = r.bool("attention_bias")
            rope = data.get("rope_parameters") or {}
            if not isinstance(rope, Mapping):
                raise ValueError(f"rope_parameters must be an object, got {rope!r}")
            fraction = rope.get("partial_rotary_factor", data.get("partial_rotary_factor", data.get("rotary_pct", 0.25)))
            if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) or not 0 < fraction <= 1:
                raise ValueError(f"partial_rotary_factor (rotary_pct) must be a number in (0, 1], got {fraction!r}")
            common["embedding_dropout"] = common["residual_dropout"]  # GPT-NeoX drops the embeddings with hidden_dropout
            return ModelConfig(**common, attention_bias=bias, output_bias=bias, mlp_bias=True,
                               parallel_residual=r.bool("use_parallel_residual"), rotary_fraction=float(fraction))
        heads = common["n_heads"]
        kv_key = "num_key_value_heads"
        kv = r.int(kv_key, optional=True) if kv_key in data or kv_key in DEFAULTS[model_type] else None
        head_dim = r.int("head_dim", optional=True) if "head_dim" in data or "head_dim" in r.defaults else None
        llama_like = dict(n_kv_heads=kv if kv is not None else heads, head_dim=head_dim, gated_mlp=True,
                          norm="rmsnorm")
        if model_type == "llama":
            return ModelConfig(**common, **llama_like, attention_bias=r.bool("attention_bias"),
                               mlp_bias=r.bool("mlp_bias"))
        if model_type == "qwen2":
            return ModelConfig(**common, **llama_like, attention_bias=True, output_bias=False, mlp_bias=False)
        if model_type == "mistral":
            return ModelConfig(**common, **llama_like, attention_bias=False, mlp_bias=False)
        # mixtral
        return ModelConfig(**common, **llama_like, attention_bias=False, mlp_bias=False,
                           n_experts=r.int("num_local_experts"), experts_per_token=r.int("num_experts_per_tok"))
    except ValueError as error:
        message = str(error)
        raise ValueError(message if message.startswith(model_type) else f"{model_type} config: {message}") from None
