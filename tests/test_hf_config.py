"""from_hf_config: what it accepts, and one clear error for everything it refuses."""

import json

import pytest

import everybyte as eb
from everybyte.cli import main


def test_path_and_dict_give_the_same_config(tmp_path):
    data = {"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2,
            "intermediate_size": 100, "vocab_size": 50}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    assert eb.from_hf_config(path) == eb.from_hf_config(data)
    assert eb.from_hf_config(tmp_path) == eb.from_hf_config(data)  # a model folder holding config.json


@pytest.mark.parametrize(
    "data, message",
    [
        ({"model_type": "bert"}, "model_type must be one of gpt2, llama, mistral, qwen2, mixtral, gpt_neox, internlm3, "),
        ({}, "config has no model_type; it must be one of"),
        ({"model_type": []}, "model_type must be a string"),
        ({"model_type": None}, "model_type must be a string"),
        ({"model_type": "gpt_neox", "rope_parameters": "x"}, "rope_parameters must be an object"),
        ({"model_type": "gpt_neox", "rotary_pct": 0}, "rotary_pct must be a number with 0 < x <= 1"),
        ({"model_type": "gpt2", "embd_pdrop": 1.0}, "embd_pdrop must be a number with 0 <= x < 1"),
        ({"model_type": "llama", "hidden_size": "4096"}, "llama config: hidden_size must be a positive integer"),
        ({"model_type": "llama", "hidden_size": 0}, "hidden_size must be a positive integer"),
        ({"model_type": "llama", "num_hidden_layers": 2.5}, "num_hidden_layers must be a positive integer"),
        ({"model_type": "llama", "tie_word_embeddings": "yes"}, "tie_word_embeddings must be true or false"),
        ({"model_type": "gpt2", "n_embd": 100, "n_head": 3}, "n_heads must divide d_model"),
        ({"model_type": "mistral", "num_key_value_heads": 5}, "n_kv_heads must divide n_heads"),
        ({"model_type": "mixtral", "num_experts_per_tok": 9}, "experts_per_token must be at most n_experts=8"),
    ],
)
def test_refusals_name_the_problem(data, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        eb.from_hf_config(data)


def test_malformed_files(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"model_type": "gpt2",')
    with pytest.raises(ValueError, match="is not valid JSON"):
        eb.from_hf_config(broken)
    listing = tmp_path / "list.json"
    listing.write_text("[1, 2]")
    with pytest.raises(ValueError, match="must hold a JSON object, got list"):
        eb.from_hf_config(listing)
    with pytest.raises(ValueError, match="config file not found"):
        eb.from_hf_config(tmp_path / "absent.json")
    with pytest.raises(ValueError, match="source must be a path to a config.json or a dict"):
        eb.from_hf_config(42)


def test_refusals_of_files_that_cannot_be_config_files(tmp_path):
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    regular = tmp_path / "preset.json"
    regular.write_text("{}")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    deep_object = tmp_path / "deep_object.json"
    deep_object.write_text('{"model_type": "gpt2", "x": ' + '{"a": ' * 200 + "1" + "}" * 200 + "}")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b'{"model_type": "gpt2", "name": "\xff\xfe"}'.replace(b"\\x", b"\\x") + b"\xff")
    big = tmp_path / "big.json"
    big.write_text('{"model_type": "gpt2", "pad": "' + "x" * (4 * 2**20) + '"}')
    cases = [
        (loop, "cannot be read: Too many levels of symbolic links"),
        (regular / "config.json", "cannot be read: Not a directory"),
        (tmp_path / ("x" * 300 + ".json"), "cannot be read: File name too long"),
        (deep, "nested more than 64 levels deep"),
        (deep_object, "nested more than 64 levels deep"),
        (binary, "is not UTF-8 text"),
        (big, "is larger than 4,194,304 bytes"),
        ("/dev/zero", "is not a regular file"),
        (tmp_path, "holds no config.json"),
    ]
    for path, message in cases:
        with pytest.raises(ValueError, match=message):
            eb.from_hf_config(path)


def test_a_string_inside_json_does_not_count_toward_the_depth(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "gpt2", "note": "[" * 1000 + "{\\\"" * 10}))
    assert eb.count_params(eb.from_hf_config(path)).total == 124_439_808


def test_cli_reads_a_config_file(tmp_path, capsys):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "gpt2"}))
    assert main(["params", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 124_439_808


def test_cli_malformed_file_one_line(tmp_path, capsys):
    path = tmp_path / "config.json"
    path.write_text("{not json")
    assert main(["params", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and "is not valid JSON" in err


def test_gqa_kv_cache_uses_kv_heads():
    from everybyte import memory
    from everybyte.symbols import B, S

    cfg = eb.preset("llama-3-8b")  # 8 KV heads of 128: a quarter of d_model = 4096
    values = {**cfg.symbol_values(), B: 1, S: 8192, memory.b_param: 2}
    assert eb.exact(memory.kv_cache_expr(cfg), values) == 2 * 32 * 8192 * 8 * 128 * 2
    assert eb.estimate(cfg, eb.Workload(1, 8192), eb.Setup(dtype="bf16"))["kv_cache"] == 2 * 32 * 8192 * 8 * 128 * 2


@pytest.mark.parametrize("argv_tail, message", [
    (["loop.json"], "Too many levels of symbolic links"),
    (["array.json"], "must hold a JSON object, got list"),
    (["deep.json"], "nested more than 64 levels deep"),
    (["empty.json"], "config has no model_type"),
    (["listtype.json"], "model_type must be a string"),
    (["binary.json"], "is not UTF-8 text"),
])
def test_cli_refuses_each_bad_file_with_one_line(tmp_path, capsys, argv_tail, message):
    (tmp_path / "loop.json").symlink_to(tmp_path / "loop.json")
    (tmp_path / "array.json").write_text("[1, 2]")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "empty.json").write_text("{}")
    (tmp_path / "listtype.json").write_text('{"model_type": []}')
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe{}")
    assert main(["params", str(tmp_path / argv_tail[0])]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and message in err


def test_cli_refuses_dev_zero_at_once(capsys):
    assert main(["params", "/dev/zero"]) == 2
    assert "is not a regular file" in capsys.readouterr().err


def test_kv_cache_is_withheld_where_the_formula_does_not_hold():
    # Mamba caches no keys and values.  Mistral's layers keep a 4096-token window (transformers'
    # sliding-window cache): after a prefill every layer still holds all S tokens (a view), plus a
    # 0-d int64 window size per layer, below the window and beyond it (chapter 16 measures both).
    mamba = eb.estimate(eb.from_hf_config({"model_type": "mamba"}), eb.Workload(1, 64))
    assert "kv_cache" not in mamba and "fixed-size convolution and state cache" in mamba.kv_cache_note
    mistral = eb.preset("mistral-7b")
    for seq in (4095, 4096, 8000):
        est = eb.estimate(mistral, eb.Workload(1, seq), eb.Setup(dtype="bf16"))
        assert est["kv_cache"] == 2 * 32 * seq * 8 * 128 * 2 + 8 * 32 and est.kv_cache_note is None
    for model_type in ("deepseek_v3", "jamba", "qwen3_next"):
        est = eb.estimate(eb.from_hf_config({"model_type": model_type}), eb.Workload(1, 8))
        assert "kv_cache" not in est and est.kv_cache_note


def test_cli_memory_says_why_there_is_no_kv_cache(tmp_path, capsys):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "mamba"}))
    assert main(["memory", str(path), "--batch", "1", "--seq", "16"]) == 0
    assert "KV cache: not available (the KV cache of mamba is not this formula" in capsys.readouterr().out
    assert main(["memory", str(path), "--batch", "1", "--seq", "16", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kv_cache"] is None and data["kv_cache_note"]


def test_a_layout_value_of_the_wrong_kind_is_refused_by_name():
    # found by the calculator's random check: these reached the command line as exit-3 defects
    for data, key in (({"model_type": "lfm2", "block_ffn_dim_multiplier": {"a": 1}}, "block_ffn_dim_multiplier"),
                      ({"model_type": "ernie4_5_moe", "moe_layer_end_index": [1, 2]}, "moe_layer_end_index")):
        with pytest.raises(ValueError, match=f"layout cannot be read from {key} \\(a value of the wrong kind"):
            eb.from_hf_config(data)


def test_a_huge_layer_count_is_counted_without_a_tuple_of_layers():
    cfg = eb.from_hf_config({"model_type": "llama", "num_hidden_layers": 10**30})
    assert cfg.layer_counts()["L_full"] == 10**30
    small = eb.from_hf_config({"model_type": "llama", "num_hidden_layers": 2})
    assert eb.count_params(cfg).total - eb.count_params(small).total == \
        (10**30 - 2) * (eb.count_params(small).total - eb.count_params(
            eb.from_hf_config({"model_type": "llama", "num_hidden_layers": 1})).total)
