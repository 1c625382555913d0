"""Reading a Hugging Face ``config.json`` into a :class:`ModelConfig` (chapter 12).

The key map of every supported ``model_type`` lives in
:mod:`everybyte.families`; this module only reads files safely and applies the
map.  A key missing from the file takes the default of the transformers config
class of that type (transformers 5.x), exactly as
``AutoConfig.for_model(model_type, **file)`` would.  Nothing here imports
transformers or SymPy.

Files are read defensively: only regular files (not ``/dev/zero``, not a
FIFO), at most :data:`MAX_CONFIG_BYTES`, nested at most
:data:`MAX_CONFIG_DEPTH` deep, as UTF-8 JSON holding one object.  Every refusal
is a ``ValueError`` naming the file and what is allowed.
"""

from __future__ import annotations

import json
import numbers
import os
import re
import stat
from collections.abc import Mapping

from .config import ModelConfig
from .families import FIELD_KINDS, SUPPORTED_MODEL_TYPES, model_type_entry

#: Largest config file read (bytes); published config.json files are a few kB.
MAX_CONFIG_BYTES = 4 * 2**20
#: Deepest nesting of objects and arrays accepted in a config file.
MAX_CONFIG_DEPTH = 64

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def _nesting_depth(text: str) -> int:
    """Deepest nesting of ``[`` and ``{`` in JSON text, outside strings."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _read_text(path: str) -> str:
    if os.path.isdir(path):
        inner = os.path.join(path, "config.json")
        if not os.path.exists(inner):
            raise ValueError(f"config folder {path} holds no config.json")
        path = inner
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ValueError(f"config file not found: {path}") from None
    except OSError as error:
        raise ValueError(f"config file {path} cannot be read: {error.strerror or error}") from None
    except ValueError as error:  # a NUL byte in the path
        raise ValueError(f"config file path is not valid: {error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"config file {path} is not a regular file")
    if info.st_size > MAX_CONFIG_BYTES:
        raise ValueError(f"config file {path} is larger than {MAX_CONFIG_BYTES:,} bytes")
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise ValueError(f"config file {path} cannot be read: {error.strerror or error}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ValueError(f"config file {path} is larger than {MAX_CONFIG_BYTES:,} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"config file {path} is not UTF-8 text (byte {error.start})") from None


def parse_config_text(text: str, origin: str = "config") -> dict:
    """The JSON object in ``text``, with the size and depth limits of config files."""
    if not isinstance(text, str):
        raise ValueError(f"{origin} must be JSON text, got {type(text).__name__}")
    if len(text) > MAX_CONFIG_BYTES:
        raise ValueError(f"{origin} is larger than {MAX_CONFIG_BYTES:,} characters")
    if _nesting_depth(text) > MAX_CONFIG_DEPTH:
        raise ValueError(f"{origin} is nested more than {MAX_CONFIG_DEPTH} levels deep")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{origin} is not valid JSON: {error.msg} at line {error.lineno}") from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise ValueError(f"{origin} is nested too deeply") from None
    if not isinstance(data, dict):
        raise ValueError(f"{origin} must hold a JSON object, got {type(data).__name__}")
    return data


def load_config_dict(source) -> dict:
    """The ``config.json`` object of a path (file, or folder holding one) or a dict."""
    if isinstance(source, Mapping):
        return dict(source)
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not isinstance(path, str):
            raise ValueError("config path must be text, not bytes")
        return parse_config_text(_read_text(path), origin=f"config file {path}")
    raise ValueError(f"source must be a path to a config.json or a dict, got {type(source).__name__}")


_MISSING = object()


def _lookup(data: Mapping, dotted: str):
    node: object = data
    for i, part in enumerate(dotted.split(".")):
        if i and node is None:
            return _MISSING
        if not isinstance(node, Mapping):
            parent = dotted.rsplit(".", 1)[0]
            raise ValueError(f"{parent} must be an object, got {node!r}")
        if part not in node:
            return _MISSING
        node = node[part]
    return node


def _resolve(data: Mapping, key) -> tuple[str, object]:
    """The first of ``key``'s names present in ``data`` and its value, or the first name and the default."""
    for dotted in key.names:
        value = _lookup(data, dotted)
        if value is not _MISSING:
            return dotted, value
    return key.names[0], key.default


def _field(model_type: str, field_name: str, key: str, value):
    """Check one value read from ``key`` for ``field_name`` (its kind comes from FIELD_KINDS)."""
    kind = FIELD_KINDS[field_name]
    if kind in ("count", "count_or_none"):
        if value is None and kind == "count_or_none":
            return None
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{model_type} config: {key} must be a positive integer, got {value!r}")
        return int(value)
    if kind == "present":  # a soft cap: a positive number, or null for none
        if value is None:
            return False
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
            raise ValueError(f"{model_type} config: {key} must be a positive number or null, got {value!r}")
        return True
    if kind == "size":
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"{model_type} config: {key} must be a non-negative integer, got {value!r}")
        return int(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{model_type} config: {key} must be true or false, got {value!r}")
        return value
    if kind == "str":
        if not isinstance(value, str):
            raise ValueError(f"{model_type} config: {key} must be a string, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        bounds = "0 <= x < 1" if kind == "rate" else "0 < x <= 1"
        raise ValueError(f"{model_type} config: {key} must be a number with {bounds}, got {value!r}")
    if kind == "rate" and not 0 <= value < 1:
        raise ValueError(f"{model_type} config: {key} must be a number with 0 <= x < 1, got {value!r}")
    if kind == "fraction" and not 0 < value <= 1:
        raise ValueError(f"{model_type} config: {key} must be a number with 0 < x <= 1, got {value!r}")
    return float(value)


#: Keys of a multimodal config that hold the parts other than the language model.
_OTHER_PARTS = ("vision_config", "audio_config", "speech_config", "vision_tower_config", "projector_config",
                "perceiver_config", "encoder_config", "image_config", "video_config", "talker_config")


def _language_model(data: dict) -> tuple[dict, str]:
    """The config of the language model, and what a multimodal config's count leaves out ("" if nothing).

    A multimodal ``config.json`` (Gemma 3, LLaVA, Qwen2-VL, ...) nests its
    language model under ``text_config``; its count is that model's (token
    embedding, layers, final norm, output layer), and the note names the
    parts left out.
    """
    model_type = data.get("model_type")
    text = data.get("text_config")
    if (isinstance(model_type, str) and model_type in SUPPORTED_MODEL_TYPES) or not isinstance(text, Mapping):
        return data, ""
    text = dict(text)
    if not isinstance(text.get("model_type"), str):
        raise ValueError(f"{model_type} config: its text_config has no model_type; it must be one of "
                         f"{', '.join(SUPPORTED_MODEL_TYPES)}")
    if "tie_word_embeddings" not in text and isinstance(data.get("tie_word_embeddings"), bool):
        text["tie_word_embeddings"] = data["tie_word_embeddings"]  # the outer model ties its output layer
    others = [key for key in data if key in _OTHER_PARTS or (key.endswith("_config") and key != "text_config"
                                                             and isinstance(data[key], Mapping))]
    parts = ", ".join(others) if others else "the parts outside text_config"
    note = (f"{model_type} is multimodal: only its language model (text_config, {text['model_type']}) is counted; "
            f"left out: {parts} (and any projector between them)")
    return text, note


def from_hf_config(source, name: str | None = None) -> ModelConfig:
    """A :class:`ModelConfig` from a Hugging Face ``config.json`` (a path, a folder or a dict).

    A multimodal config is read through its ``text_config`` (the language
    model); :attr:`ModelConfig.left_out` says what is not counted.  Raises
    ``ValueError`` naming the problem for an unsupported ``model_type``, a file
    that is missing, too large, too deep or not JSON, or a key of the wrong type.
    """
    data = load_config_dict(source)
    if "model_type" not in data:
        raise ValueError(f"config has no model_type; it must be one of {', '.join(SUPPORTED_MODEL_TYPES)}")
    outer_name = data.get("_name_or_path")
    data, left_out = _language_model(data)
    model_type = data.get("model_type")
    if not isinstance(model_type, str):
        raise ValueError(f"model_type must be a string, one of {', '.join(SUPPORTED_MODEL_TYPES)}; "
                         f"got {model_type!r}")
    entry = model_type_entry(model_type)
    name = name if name is not None else outer_name or data.get("_name_or_path") or model_type
    if not isinstance(name, str):
        raise ValueError(f"name must be a string, got {name!r}")
    fields: dict[str, object] = dict(entry.fixed)
    try:
        for field_name, key in entry.keys.items():
            found, value = _resolve(data, key)
            fields[field_name] = _field(model_type, field_name, found, value)
        if entry.derive is not None:
            resolved = {input_name: _resolve(data, key) for input_name, key in entry.inputs.items()}
            inputs = {input_name: value for input_name, (_, value) in resolved.items()}
            try:
                derived = entry.derive(inputs, dict(fields))
            except (TypeError, ArithmeticError, AttributeError, IndexError, KeyError):  # a value of the wrong kind
                present = sorted(found for found, value in resolved.values() if _lookup(data, found) is not _MISSING)
                raise ValueError(f"{model_type} config: its layout cannot be read from "
                                 f"{', '.join(present) if present else 'its defaults'} (a value of the wrong kind: "
                                 "numbers, lists and null as transformers has them)") from None
            fields.update(derived)
        if left_out:
            fields["left_out"] = left_out
        return ModelConfig(name=name, model_type=model_type, **fields)
    except ValueError as error:
        message = str(error)
        raise ValueError(message if message.startswith(model_type) else f"{model_type} config: {message}") from None
