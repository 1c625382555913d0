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


@pytest.mark.parametrize(
    "data, message",
    [
        ({"model_type": "bert"}, "model_type must be one of gpt2, llama, mistral, qwen2, gpt_neox, mixtral; got 'bert'"),
        ({}, "model_type must be one of"),
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
