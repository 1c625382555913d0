"""The checkpoint cross-check: safetensors headers against the formula, on files the tests write.

Each checkpoint is written here with the ``safetensors`` package (through
transformers' ``save_pretrained`` or ``safetensors.torch.save_file``) from a
real model, so its shapes are the real code's; the package reads the headers
only.
"""

import json
import struct

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
from safetensors.torch import save_file  # noqa: E402

import everybyte as eb  # noqa: E402
from everybyte import checkpoint, measure  # noqa: E402
from everybyte.cli import main  # noqa: E402

LLAMA = {"model_type": "llama", "hidden_size": 48, "num_attention_heads": 4, "num_key_value_heads": 2,
         "intermediate_size": 70, "num_hidden_layers": 2, "vocab_size": 77, "tie_word_embeddings": True}
DEEPSEEK = {"model_type": "deepseek_v3", "hidden_size": 48, "num_attention_heads": 3, "num_key_value_heads": 3,
            "intermediate_size": 70, "num_hidden_layers": 3, "vocab_size": 77, "n_routed_experts": 4,
            "num_experts_per_tok": 2, "n_group": 2, "topk_group": 1, "moe_intermediate_size": 22,
            "n_shared_experts": 1, "first_k_dense_replace": 1, "q_lora_rank": 13, "kv_lora_rank": 11,
            "qk_nope_head_dim": 5, "qk_rope_head_dim": 6, "v_head_dim": 7, "pad_token_id": 0}


def _folder(tmp_path, data, name="model"):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({**data, "torch_dtype": "float32"}))
    return folder


def test_saved_model_single_file_and_shards_agree_with_the_formula(tmp_path):
    model = measure.build_model(LLAMA)
    model.save_pretrained(tmp_path / "one")
    model.save_pretrained(tmp_path / "shards", max_shard_size="20KB")
    total = sum(p.numel() for p in model.parameters())
    for folder in (tmp_path / "one", tmp_path / "shards"):
        result = checkpoint.compare(str(folder))
        assert result.equal and result.checkpoint_elements == total == result.formula_elements
    assert len(list((tmp_path / "shards").glob("model-*.safetensors"))) > 1


def test_index_alone_gives_the_total_from_its_size(tmp_path):
    model = measure.build_model(LLAMA)
    model.save_pretrained(tmp_path / "shards", max_shard_size="20KB")
    for shard in (tmp_path / "shards").glob("model-*.safetensors"):
        shard.unlink()
    result = checkpoint.compare(str(tmp_path / "shards"))
    assert result.index_only and result.equal
    assert result.checkpoint_elements == sum(p.numel() for p in model.parameters())
    assert result.tensor_names == len(model.state_dict()) - 1  # the tied lm_head is saved once


def test_buffers_tied_copies_and_extra_layers_are_named(tmp_path):
    model = measure.build_model({**DEEPSEEK, "tie_word_embeddings": True})
    tensors = {name: p.detach().clone() for name, p in model.named_parameters()}
    # what a DeepSeek-V3 checkpoint carries besides: the score-correction buffers, the output layer
    # although tied, and one multi-token-prediction layer beyond num_hidden_layers
    tensors.update({name: b.clone() for name, b in model.named_buffers() if "e_score" in name})
    tensors["lm_head.weight"] = model.get_input_embeddings().weight.detach().clone()
    tensors["model.layers.3.eh_proj.weight"] = torch.zeros(48, 96)
    folder = _folder(tmp_path, {**DEEPSEEK, "tie_word_embeddings": True})
    save_file(tensors, str(folder / "model.safetensors"))
    result = checkpoint.compare(str(folder))
    assert result.equal
    reasons = {reason.split(" (")[0]: (n, e) for reason, n, e in result.explained}
    assert reasons["buffers the checkpoint carries"] == (2, 2 * 4)  # two MoE layers, four experts
    assert reasons["the output layer stored although it is tied to the token embedding"] == (1, 77 * 48)
    assert reasons["layers beyond num_hidden_layers"] == (1, 48 * 96)
    assert result.counted_elements == sum(p.numel() for p in model.parameters())


def test_a_checkpoint_that_differs_names_the_tensors(tmp_path):
    model = measure.build_model(LLAMA)
    tensors = {name: p.detach().clone() for name, p in model.named_parameters()}
    del tensors["model.layers.1.mlp.down_proj.weight"]
    tensors["model.layers.1.mlp.extra.weight"] = torch.zeros(5, 7)
    folder = _folder(tmp_path, LLAMA)
    save_file(tensors, str(folder / "model.safetensors"))
    result = checkpoint.compare(str(folder))
    assert not result.equal
    assert result.unmatched_checkpoint == (("model.layers.1.mlp.extra.weight", 35),)
    assert result.unmatched_formula == (("mlp.down or mlp.gate or mlp.up", 70 * 48),)


def test_headers_are_read_without_the_data(tmp_path):
    path = tmp_path / "model.safetensors"
    save_file({"a": torch.zeros(3, 4), "b": torch.zeros(5, dtype=torch.bfloat16)}, str(path))
    with open(path, "r+b") as handle:  # overwrite the data: the header still reads
        handle.seek(0, 2)
        end = handle.tell()
        (length,) = struct.unpack("<Q", open(path, "rb").read(8))
        handle.seek(8 + length)
        handle.write(b"\xff" * (end - 8 - length))
    tensors = {t.name: t for t in checkpoint.read_header(str(path))}
    assert tensors["a"].shape == (3, 4) and tensors["a"].numel == 12 and tensors["b"].dtype == "BF16"


@pytest.mark.parametrize("content, message", [
    (b"\x01\x02", "shorter than its 8-byte header length"),
    (struct.pack("<Q", 10**12) + b"{}", "declares a header of 1,000,000,000,000 bytes"),
    (struct.pack("<Q", 4) + b"[1]!", "has no valid JSON header"),
    (struct.pack("<Q", 2) + b"[]", "its header must be a JSON object"),
    (struct.pack("<Q", 24) + b'{"x": {"dtype": "F32"}} ', "tensor 'x' has no valid dtype and shape"),
])
def test_bad_headers_are_refused(tmp_path, content, message):
    path = tmp_path / "model.safetensors"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        checkpoint.read_header(str(path))


def test_folders_without_a_checkpoint_are_refused(tmp_path):
    folder = _folder(tmp_path, LLAMA)
    with pytest.raises(ValueError, match="holds neither model.safetensors nor model.safetensors.index.json"):
        checkpoint.compare(str(folder))
    with pytest.raises(ValueError, match="is not a folder"):
        checkpoint.compare(str(folder / "config.json"))


def test_cli_checkpoint(tmp_path, capsys):
    measure.build_model(LLAMA).save_pretrained(tmp_path / "one")
    assert main(["checkpoint", str(tmp_path / "one"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["equal"] and data["formula"] == data["checkpoint_elements"]
    assert main(["checkpoint", str(tmp_path / "one")]) == 0
    assert ": equal" in capsys.readouterr().out
    assert main(["checkpoint", str(tmp_path / "absent")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "folder must be a model folder" in err and len(err.strip().splitlines()) == 1


def test_multimodal_config_counts_its_language_model(tmp_path, capsys):
    # Gemma 3's multimodal config.json nests its language model under text_config
    text = {"model_type": "gemma3_text", "hidden_size": 48, "num_attention_heads": 4, "num_key_value_heads": 2,
            "head_dim": 10, "intermediate_size": 70, "num_hidden_layers": 2, "vocab_size": 77, "pad_token_id": 0}
    data = {"model_type": "gemma3", "text_config": text, "vision_config": {"model_type": "siglip_vision_model"}}
    cfg = eb.from_hf_config(data)
    assert cfg.model_type == "gemma3_text" and "vision_config" in cfg.left_out
    real = measure.build_model(text, meta=True)
    assert eb.count_params(cfg).total == sum(p.numel() for p in real.parameters())
    folder = _folder(tmp_path, data)
    assert main(["params", str(folder), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["model_type"] == "gemma3_text" and "left out: vision_config" in out["left_out"]
    # the real multimodal model: its language model has the same parameters as the text model
    import transformers
    full = transformers.AutoConfig.for_model("gemma3", text_config=text, vision_config={
        "hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 1, "num_attention_heads": 2,
        "image_size": 28, "patch_size": 14})
    with torch.device("meta"):
        model = transformers.AutoModelForImageTextToText.from_config(full)
    language = sum(p.numel() for n, p in model.named_parameters() if n.startswith("model.language_model."))
    assert language + model.lm_head.weight.numel() * (not cfg.tied_embeddings) == eb.count_params(cfg).total
