"""A second check from the checkpoint itself: tensor shapes read from safetensors headers (chapter 14).

A safetensors file starts with 8 bytes (a little-endian length) and a JSON
header naming every tensor with its dtype and shape; the data follows.  This
module reads the headers only (never the data) of a model folder's
``model.safetensors``, or of the shards that ``model.safetensors.index.json``
lists, and compares what they hold with the package's count:

* the same total, or else which tensors differ, and why where it is known:
  buffers that checkpoints carry but transformers keeps as buffers
  (DeepSeek-V3's ``e_score_correction_bias``, old rotary ``inv_freq``), an
  output layer stored although tied to the embedding, layers beyond
  ``num_hidden_layers`` (DeepSeek-V3's multi-token-prediction layer), the
  parts of a multimodal model that are not its language model;
* with only the index (no shard on disk), the tensor names and the index's
  ``total_size`` in bytes, divided by the bytes of the config's dtype.

Reading headers needs neither torch nor NumPy; :func:`compare` evaluates the
tensor table with SymPy (:func:`everybyte.parameters.tensors`).  Files are read
with the same care as config files (regular files, bounded header sizes).
"""

from __future__ import annotations

import json
import os
import re
import stat
import struct
from collections import Counter

from .config import ModelConfig
from .records import Record

#: Largest safetensors header read (bytes); a header lists names and shapes only.
MAX_HEADER_BYTES = 100 * 2**20
#: Bytes per element of each safetensors dtype.
DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
               "F8_E4M3": 1, "F8_E5M2": 1, "U16": 2, "U32": 4, "U64": 8}
#: Bytes per element of a config's torch_dtype (for an index without shards).
TORCH_DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8}

#: Names of buffers some checkpoints carry (transformers does not count them as parameters).
BUFFER_NAMES = re.compile(r"(e_score_correction_bias$|rotary_emb\.inv_freq$|\.attn\.bias$|\.attn\.masked_bias$|"
                          r"mup_vector$|embed_scale$)")
#: Prefixes of the parts of a multimodal checkpoint outside its language model.
OTHER_PARTS = re.compile(r"^(model\.)?(vision_tower|vision_model|visual|multi_modal_projector|mm_projector|"
                         r"audio_tower|audio_model|embed_vision|embed_audio|vision_embed|image_newline|"
                         r"vision|audio)\b")
_LAYER = re.compile(r"\.layers\.(\d+)\.")


class CheckpointTensor(Record):
    """One tensor of a checkpoint: its name, shape, dtype and elements (from the header)."""

    name: str
    shape: tuple
    dtype: str
    numel: int


class Comparison(Record):
    """The checkpoint's tensors against the package's count of one config.

    ``explained``: (reason, tensor names, elements) for the tensors the count
    leaves out on purpose; ``unmatched_checkpoint`` and ``unmatched_formula``:
    (name, elements) of what is left on either side once sizes are matched
    (a formula tensor is named by every table entry of its size);
    ``equal``: nothing unmatched.  With only an index, ``tensors`` is empty
    and ``checkpoint_elements`` comes from ``total_size``.
    """

    source: str
    checkpoint_elements: int
    formula_elements: int
    counted_elements: int
    explained: tuple
    unmatched_checkpoint: tuple
    unmatched_formula: tuple
    index_only: bool = False
    tensor_names: int = 0

    @property
    def equal(self) -> bool:
        return not self.unmatched_checkpoint and not self.unmatched_formula and (
            self.counted_elements == self.formula_elements)


def _regular_file(path: str, what: str) -> int:
    try:
        info = os.stat(path)
    except OSError as error:
        raise ValueError(f"{what} {path} cannot be read: {error.strerror or error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{what} {path} is not a regular file")
    return info.st_size


def read_header(path: str) -> list[CheckpointTensor]:
    """The tensors a safetensors file holds, from its header (the data is not read)."""
    size = _regular_file(path, "safetensors file")
    with open(path, "rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            raise ValueError(f"safetensors file {path} is shorter than its 8-byte header length")
        (length,) = struct.unpack("<Q", head)
        if length > MAX_HEADER_BYTES or length > size - 8:
            raise ValueError(f"safetensors file {path} declares a header of {length:,} bytes "
                             f"(file {size:,} bytes, at most {MAX_HEADER_BYTES:,} read)")
        raw = handle.read(length)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(f"safetensors file {path} has no valid JSON header") from None
    if not isinstance(header, dict):
        raise ValueError(f"safetensors file {path}: its header must be a JSON object")
    tensors = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(entry, dict) or entry.get("dtype") not in DTYPE_BYTES or not isinstance(
                entry.get("shape"), list) or not all(isinstance(d, int) and d >= 0 for d in entry["shape"]):
            raise ValueError(f"safetensors file {path}: tensor {name!r} has no valid dtype and shape")
        numel = 1
        for dim in entry["shape"]:
            numel *= dim
        tensors.append(CheckpointTensor(name, tuple(entry["shape"]), entry["dtype"], numel))
    return tensors


def _index(folder: str) -> dict | None:
    path = os.path.join(folder, "model.safetensors.index.json")
    if not os.path.exists(path):
        return None
    if _regular_file(path, "safetensors index") > 64 * 2**20:
        raise ValueError(f"safetensors index {path} is larger than 64 MiB")
    with open(path, encoding="utf-8") as handle:
        try:
            index = json.load(handle)
        except json.JSONDecodeError as error:
            raise ValueError(f"safetensors index {path} is not valid JSON: {error.msg}") from None
    if not isinstance(index, dict) or not isinstance(index.get("weight_map"), dict):
        raise ValueError(f"safetensors index {path} has no weight_map")
    return index


def checkpoint_tensors(folder: str) -> tuple[list[CheckpointTensor], dict | None]:
    """Every tensor of the folder's checkpoint (single file or shards), and its index if it has one.

    With an index whose shards are not on disk, the tensor list is empty.
    """
    if not os.path.isdir(folder):
        raise ValueError(f"checkpoint folder {folder} is not a folder")
    single = os.path.join(folder, "model.safetensors")
    index = _index(folder)
    if index is None:
        if not os.path.exists(single):
            raise ValueError(f"checkpoint folder {folder} holds neither model.safetensors nor "
                             "model.safetensors.index.json")
        return read_header(single), None
    shards = sorted(set(index["weight_map"].values()))
    for shard in shards:
        if not isinstance(shard, str) or os.sep in shard or shard.startswith("."):
            raise ValueError(f"safetensors index of {folder}: shard names must be file names, got {shard!r}")
    present = [s for s in shards if os.path.exists(os.path.join(folder, s))]
    if not present:
        return [], index
    if len(present) < len(shards):
        missing = sorted(set(shards) - set(present))
        raise ValueError(f"checkpoint folder {folder} lacks the shards {', '.join(missing[:3])}"
                         f"{' ...' if len(missing) > 3 else ''} (give all of them, or only the index)")
    tensors = []
    for shard in present:
        tensors += read_header(os.path.join(folder, shard))
    return tensors, index


def _reason(name: str, numel: int, config: ModelConfig) -> str | None:
    if BUFFER_NAMES.search(name):
        return "buffers the checkpoint carries (transformers keeps them as buffers, not parameters)"
    if config.left_out and OTHER_PARTS.search(name):
        return "parts of the multimodal model outside its language model"
    layer = _LAYER.search(name)
    if layer and int(layer.group(1)) >= config.n_layers:
        return ("layers beyond num_hidden_layers (DeepSeek-V3 and GLM-4-MoE store a multi-token-prediction "
                "layer that transformers does not build)")
    if config.tied_embeddings and re.search(r"(^|\.)lm_head\.weight$", name) and numel == (
            config.vocab_size * (config.embedding_dim or config.d_model)):
        return "the output layer stored although it is tied to the token embedding"
    return None


def compare(folder: str, config: ModelConfig | None = None) -> Comparison:
    """The folder's checkpoint against the package's count of ``config`` (default: the folder's config.json)."""
    from .hf import from_hf_config
    from .parameters import tensors as table_tensors

    if config is None:
        config = from_hf_config(folder)
    tensors, index = checkpoint_tensors(folder)
    ours = [(name, numel) for name, _, numel in table_tensors(config)]
    formula = sum(n for _, n in ours)
    if not tensors:  # index only: names and total_size
        names = list(index["weight_map"])
        total_bytes = (index.get("metadata") or {}).get("total_size")
        data = json.loads(open(os.path.join(folder, "config.json"), encoding="utf-8").read()) if os.path.exists(
            os.path.join(folder, "config.json")) else {}
        dtype = data.get("torch_dtype") or data.get("dtype") or (data.get("text_config") or {}).get("torch_dtype")
        if not isinstance(total_bytes, int) or dtype not in TORCH_DTYPE_BYTES:
            raise ValueError(f"checkpoint folder {folder} has only an index: its metadata.total_size and the "
                             f"config's torch_dtype (one of {', '.join(TORCH_DTYPE_BYTES)}) are needed; got "
                             f"total_size={total_bytes!r}, torch_dtype={dtype!r}")
        elements, rest = divmod(total_bytes, TORCH_DTYPE_BYTES[dtype])
        explained = Counter()
        for name in names:
            reason = _reason(name, 0, config)
            if reason and "output layer" not in reason:
                explained[reason] += 1
        unmatched = () if elements == formula else (("total_size / dtype bytes", elements - formula),)
        return Comparison(folder, elements, formula, elements, tuple((r, n, None) for r, n in explained.items()),
                          unmatched, (), index_only=True, tensor_names=len(names))
    explained: dict[str, list] = {}
    counted = []
    for tensor in tensors:
        reason = _reason(tensor.name, tensor.numel, config)
        if reason:
            explained.setdefault(reason, []).append(tensor)
        else:
            counted.append(tensor)
    left = Counter(t.numel for t in counted)
    left.subtract(Counter(n for _, n in ours))
    unmatched_checkpoint, unmatched_formula = [], []
    spare = {size: count for size, count in left.items() if count > 0}
    wanting = {size: -count for size, count in left.items() if count < 0}
    for tensor in counted:
        if spare.get(tensor.numel, 0) > 0:
            spare[tensor.numel] -= 1
            unmatched_checkpoint.append((tensor.name, tensor.numel))
    for size in sorted(wanting):  # tensors of one size are told apart by size alone: name them all
        names = " or ".join(sorted({name for name, numel in ours if numel == size}))
        unmatched_formula += [(names, size)] * wanting[size]
    return Comparison(
        folder, sum(t.numel for t in tensors), formula, sum(t.numel for t in counted),
        tuple((reason, len(items), sum(t.numel for t in items)) for reason, items in explained.items()),
        tuple(unmatched_checkpoint), tuple(unmatched_formula), tensor_names=len(tensors))
