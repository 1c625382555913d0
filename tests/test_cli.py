"""The everybyte command line: answers, JSON, agreement between commands, and one clear line for bad input."""

import json
import os
import subprocess
import sys

import pytest

import everybyte as eb
from everybyte.cli import main

CLI = [sys.executable, "-m", "everybyte.cli"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_params_json_total_is_exact(capsys):
    code, out, err = run(capsys, "params", "gpt2", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["total"] == 124_439_808  # HF GPT2LMHeadModel, sum of numel()
    assert sum(data["breakdown"].values()) == data["total"]
    assert data["breakdown"]["position_embedding"] == 1024 * 768


def test_params_table(capsys):
    code, out, _ = run(capsys, "params", "gpt3-175b")
    assert code == 0
    assert "174,604,259,328" in out  # chapter 11: GPT-2's layout at GPT-3's sizes, by state-dict shapes


def test_params_from_sizes(capsys):
    code, out, _ = run(capsys, "params", "--vocab-size", "50000", "--d-model", "768", "--n-layers", "12",
                       "--n-heads", "12", "--json")
    assert code == 0
    assert json.loads(out)["total"] == 50_000 * 768 + 12 * (12 * 768**2 + 13 * 768) + 2 * 768


@pytest.mark.parametrize("source", ["gpt2", "llama-2-7b"])
def test_untied_applies_to_presets(capsys, source):
    tied = json.loads(run(capsys, "params", source, "--json")[1])
    untied = json.loads(run(capsys, "params", source, "--untied", "--json")[1])
    cfg = eb.preset(source)
    extra = 0 if not cfg.tied_embeddings else cfg.vocab_size * cfg.d_model
    assert untied["total"] - tied["total"] == extra


def test_untied_applies_to_files(capsys, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "gpt2"}))
    untied = json.loads(run(capsys, "params", str(path), "--untied", "--json")[1])
    assert untied["total"] == 124_439_808 + 50_257 * 768
    assert untied["breakdown"]["output_layer"] == 50_257 * 768


def test_memory_json_keys_and_bytes(capsys):
    code, out, _ = run(capsys, "memory", "gpt2", "--batch", "8", "--seq", "1024", "--dtype", "bf16", "--json")
    assert code == 0
    data = json.loads(out)
    for key in ("parameters", "weights", "kv_cache", "activations", "training_peak"):
        assert isinstance(data[key], int) and not isinstance(data[key], bool), key
    assert data["parameters"] == 124_439_808
    assert data["weights"] == 2 * 124_439_808  # bf16: two bytes a parameter
    assert data["weights_by_dtype"]["int4"] == 124_439_808 // 2
    assert data["kv_cache"] == 2 * 12 * 8 * 1024 * 768 * 2  # 2 L B S d_model, 2 bytes
    assert data["training_peak"] == max(data["training_peak_moments"].values())
    assert "article" not in data


@pytest.mark.parametrize("args", [
    ["gpt2", "--batch", "8", "--seq", "1024", "--dtype", "bf16"],
    ["gpt2", "--batch", "1", "--seq", "77", "--attention", "sdpa"],
    ["llama-3-8b", "--batch", "2", "--seq", "512", "--dtype", "bf16", "--attention", "sdpa", "--device", "cuda"],
    ["mistral-7b", "--batch", "3", "--seq", "100", "--optimizer", "sgd"],
])
def test_memory_activations_equal_the_activations_total(capsys, args):
    memory = json.loads(run(capsys, "memory", *args, "--json")[1])
    activations = json.loads(run(capsys, "activations", *args, "--json")[1])
    assert memory["activations"] == activations["total"] == sum(activations["breakdown"].values())


def test_memory_text_says_what_it_assumed_and_shows_the_article_only_when_asked(capsys):
    code, out, _ = run(capsys, "memory", "llama-2-7b", "--batch", "1", "--seq", "4096", "--dtype", "bf16",
                       "--attention", "sdpa")
    assert code == 0
    assert "bf16 autocast" in out and "sdpa attention" in out and "cpu" in out
    assert "training-step peak" in out and "article" not in out
    code, out, _ = run(capsys, "memory", "llama-2-7b", "--batch", "1", "--seq", "4096", "--article")
    assert code == 0 and "the article's 2x rule" in out and "the article's formula" in out


def test_memory_of_a_mixture_of_experts_says_why_it_has_no_activations(capsys):
    code, out, _ = run(capsys, "memory", "mixtral-8x7b", "--batch", "1", "--seq", "128", "--json")
    data = json.loads(out)
    assert code == 0 and data["activations"] is None and data["training_peak"] is None
    assert "router" in data["note"]
    assert data["parameters"] == 46_702_792_704


@pytest.mark.parametrize(
    "argv, message",
    [
        (["params", "gpt5"], "source must be a preset name"),
        (["params", "missing-dir/config.json"], "config file not found"),
        (["memory", "gpt2", "--batch", "0", "--seq", "8"], "batch must be a positive integer"),
        (["memory", "gpt2", "--batch", "-2", "--seq", "8"], "batch must be a positive integer"),
        (["memory", "gpt2", "--batch", "1.5", "--seq", "8"], "batch must be a positive integer"),
        (["memory", "gpt2", "--batch", "true", "--seq", "8"], "batch must be a positive integer"),
        (["memory", "gpt2", "--batch", "9" * 2000, "--seq", "8"], "batch must be a positive integer"),
        (["memory", "gpt2", "--batch", "2", "--seq", "8", "--dtype", "fp8"], "dtype must be one of"),
        (["memory", "gpt2", "--batch", "2", "--seq", "8", "--optimizer", "x"], "optimizer must be one of"),
        (["memory", "gpt2", "--batch", "2", "--seq", "8", "--precision", "gpu-mixed"], "unrecognized arguments"),
        (["params", "--vocab-size", "10", "--d-model", "10", "--n-layers", "1", "--n-heads", "3"], "n_heads must divide d_model"),
        (["params", "--vocab-size", "10", "--d-model", "0", "--n-layers", "1", "--n-heads", "1"], "d_model must be a positive integer"),
        (["params"], "give a preset"),
        (["params", "gpt2", "--d-model", "8"], "not both"),
        (["memory", "gpt2", "--seq", "8"], "--batch"),
        (["frobnicate"], "invalid choice"),
        (["activations", "mixtral-8x7b", "--batch", "1", "--seq", "8"], "no activation accounting for mixtral"),
    ],
)
def test_bad_input_one_line_nonzero_exit(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert message in err


def test_a_200_digit_batch_is_answered_exactly(capsys):
    batch = 10**200 + 7
    code, out, err = run(capsys, "memory", "gpt2", "--batch", str(batch), "--seq", "3", "--json")
    assert code == 0 and err == ""
    assert json.loads(out)["kv_cache"] == 2 * 12 * batch * 3 * 768 * 4
    code, out, err = run(capsys, "memory", "gpt2", "--batch", str(batch), "--seq", "3")
    assert code == 0 and "e+" in out


def test_a_400_digit_hidden_size_is_answered_exactly(capsys, tmp_path):
    d = 3 * 10**400
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({"model_type": "gpt_neox", "hidden_size": d, "num_attention_heads": 3,
                                "intermediate_size": 70, "num_hidden_layers": 2, "vocab_size": 97}))
    code, out, err = run(capsys, "activations", str(path), "--batch", "2", "--seq", "3", "--json")
    assert code == 0 and err == ""
    assert json.loads(out)["breakdown"]["layer/norm_1/statistics"] == 2 * 8 * 2 * 3  # independent of d
    code, out, err = run(capsys, "activations", str(path), "--batch", "2", "--seq", "3")
    assert code == 0


def test_help_explains_options(capsys):
    code, out, _ = run(capsys, "memory", "--help")
    assert code == 0
    for option in ("--batch", "--seq", "--dtype", "--attention", "--device", "--optimizer", "--article", "--json"):
        assert option in out


def test_console_script_exit_status():
    result = subprocess.run([*CLI, "params", "nope"], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: source must be a preset name")


def test_the_command_line_imports_neither_sympy_nor_numpy():
    code = ("import sys, everybyte.cli; everybyte.cli.main(['memory', 'gpt2', '--batch', '2', '--seq', '8']); "
            "print(sorted(m for m in ('sympy', 'numpy', 'torch', 'matplotlib') if m in sys.modules), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr.strip() == "[]"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_full_stdout_ends_quietly_with_nonzero_exit():
    with open("/dev/full", "w") as full:
        result = subprocess.run([*CLI, "params", "gpt2"], stdout=full, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) <= 1


def test_closed_stdout_ends_quietly_with_nonzero_exit():
    process = subprocess.Popen([*CLI, "memory", "gpt2", "--batch", "2", "--seq", "8"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdout.close()  # as `| head -0` does
    _, err = process.communicate()
    assert process.returncode == 1
    assert b"Traceback" not in err and err.strip() == b""


# --- serve and finetune (chapters 16 and 17) ---------------------------------------------

SMALL_LLAMA = {"model_type": "llama", "hidden_size": 96, "num_attention_heads": 6, "num_key_value_heads": 2,
               "head_dim": 20, "intermediate_size": 64, "num_hidden_layers": 3, "vocab_size": 101}


def test_serve_json_kv_cache_is_the_real_caches_bytes(capsys, tmp_path):
    pytest.importorskip("torch")
    from everybyte import measure_serving as ms

    capsys.readouterr()
    path = tmp_path / "config.json"
    path.write_text(json.dumps(SMALL_LLAMA))
    measured = {dtype: ms.kv_cache_bytes(ms.serving_model(SMALL_LLAMA, dtype), 3, 11) for dtype in ("bf16", "fp32")}
    capsys.readouterr()  # importing transformers may log to stderr
    for dtype in ("bf16", "fp32"):
        code, out, err = run(capsys, "serve", str(path), "--batch", "3", "--context", "11", "--dtype", dtype, "--json")
        assert code == 0 and err == ""
        data = json.loads(out)
        for key in ("weights", "kv_cache", "activations", "total"):
            assert isinstance(data[key], int) and not isinstance(data[key], bool), key
        assert data["kv_cache"] == measured[dtype]
        assert data["total"] == data["weights"] + data["kv_cache"] + data["activations"]


def test_serve_largest_batch_and_context_fit_and_one_more_does_not(capsys):
    code, out, _ = run(capsys, "serve", "llama-3-8b", "--batch", "4", "--context", "8192", "--weights", "nf4",
                       "--gpu-memory", "24GiB", "--json")
    data = json.loads(out)
    assert code == 0 and data["gpu_memory"] == 24 * 2**30
    cfg = eb.preset("llama-3-8b")
    setup = eb.Setup("bf16", "sdpa", serving=eb.knobs.Serving(weights="nf4"))
    fits = lambda b, s: eb.estimate(cfg, eb.Workload(b, s), setup)["serving/peak"] <= 24 * 2**30  # noqa: E731
    assert fits(data["max_batch"], 8192) and not fits(data["max_batch"] + 1, 8192)
    assert fits(4, data["max_context"]) and not fits(4, data["max_context"] + 1)


def test_finetune_json_trainable_parameters_are_pefts(capsys):
    pytest.importorskip("peft")
    from everybyte import measure_serving as ms

    capsys.readouterr()  # importing peft (and torchao through it) logs to stderr

    code, out, err = run(capsys, "finetune", "llama-2-7b", "--lora-rank", "16", "--lora-targets", "q_proj,v_proj",
                         "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["trainable_parameters"] == ms.trainable_parameters(eb.measure.hf_config_dict("llama-2-7b"), 16,
                                                                   ["q_proj", "v_proj"])
    assert data["peak"] > data["base_weights"] + data["activations"]  # ints: the base and what the step saves
    code, out, _ = run(capsys, "finetune", "gpt2", "--lora-rank", "4", "--lora-targets", "all-linear", "--quant",
                       "nf4", "--json")
    data = json.loads(out)
    assert data["trainable_parameters"] == ms.trainable_parameters("gpt2", 4, "all-linear")


@pytest.mark.parametrize("argv, message", [
    (["serve", "gpt2", "--batch", "1", "--context", "8", "--weights", "q4"], "weights must be one of"),
    (["serve", "gpt2", "--batch", "1", "--context", "8", "--kv-dtype", "fp8"], "kv_dtype must be one of"),
    (["serve", "gpt2", "--batch", "1", "--context", "8", "--gpu-memory", "lots"], "gpu-memory must be a number"),
    (["serve", "gpt2", "--batch", "1", "--context", "8", "--cache", "static", "--max-cache-len", "4"],
     "max_cache_len must be at least"),
    (["serve", "gpt2", "--batch", "1", "--context", "8", "--kv-dtype", "int4", "--kv-group-size", "7"],
     "kv_group_size must divide"),
    (["serve", "gpt2", "--batch", "0", "--context", "8"], "batch must be a positive integer"),
    (["finetune", "gpt2", "--lora-rank", "8", "--lora-targets", "q_proj"], "match no module of the gpt2 family"),
    (["finetune", "gpt2", "--lora-rank", "0", "--lora-targets", "c_attn"], "lora_rank must be a positive integer"),
    (["finetune", "gpt2", "--lora-rank", "8", "--lora-targets", "c_attn", "--quant", "int3"], "quant must be one of"),
    (["finetune", "gpt2", "--lora-rank", "8", "--lora-targets", "all-linear,c_attn"], "all-linear stands alone"),
    (["finetune", "mixtral-8x7b", "--lora-rank", "8", "--lora-targets", "all-linear", "--dora"], "refuses DoRA"),
])
def test_serve_and_finetune_bad_input_one_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert message in err


def test_serve_and_finetune_import_neither_sympy_nor_torch():
    code = ("import sys, everybyte.cli as c; c.main(['serve', 'llama-3-8b', '--batch', '2', '--context', '64', "
            "'--gpu-memory', '24GiB']); c.main(['finetune', 'gpt2', '--lora-rank', '4', '--lora-targets', 'c_attn']); "
            "print(sorted(m for m in ('sympy', 'numpy', 'torch', 'peft') if m in sys.modules), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr.strip() == "[]"


def _zoo_file(tmp_path, model_type):
    sys.path.insert(0, os.path.dirname(__file__))
    from zoo_cases import ODD

    path = tmp_path / f"{model_type}.json"
    path.write_text(json.dumps({"model_type": model_type, **ODD[model_type][0]}), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("model_type", ["mamba", "deepseek_v3", "qwen3_moe", "olmo2"])
def test_serve_of_an_unmapped_family_gives_its_weights_and_says_what_is_missing(capsys, tmp_path, model_type):
    path = _zoo_file(tmp_path, model_type)
    code, out, err = run(capsys, "serve", path, "--batch", "2", "--context", "3", "--json")
    assert code == 0 and err == "", err
    data = json.loads(out)
    params = eb.count_params(eb.from_hf_config(json.loads(open(path, encoding="utf-8").read()))).total
    assert data["weights"] == 2 * params  # bf16
    assert data["activations"] is None and data["total"] is None and "not yet mapped" in data["note"]
    assert (data["kv_cache"] is None) == (model_type in ("mamba", "deepseek_v3"))
    code, out, err = run(capsys, "serve", path, "--batch", "2", "--context", "3")
    assert code == 0 and "working memory: not available" in out


@pytest.mark.parametrize("argv, message", [
    (["serve", "{path}", "--batch", "1", "--context", "8", "--weights", "gptq-4bit"], "weights: not available"),
    (["serve", "{path}", "--batch", "1", "--context", "8", "--gpu-memory", "8GiB"], "gpu-memory: the serving peak"),
    (["train", "{path}", "--batch", "1", "--seq", "8", "--tp", "2"], "tp: not available"),
])
def test_unmapped_families_refuse_what_needs_the_linear_map_in_one_line(capsys, tmp_path, argv, message):
    path = _zoo_file(tmp_path, "qwen3")
    code, out, err = run(capsys, *[a.format(path=path) for a in argv])
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and message in err, err


@pytest.mark.parametrize("model_type", ["qwen3", "gemma3_text", "phi3", "deepseek_v3"])
def test_finetune_of_a_zoo_family_is_pefts_count(capsys, tmp_path, model_type):
    # LoRA's linear map comes from every family's tensor table: finetune works for chapter 14's families.
    pytest.importorskip("peft")
    from everybyte import measure_serving as ms

    path = _zoo_file(tmp_path, model_type)
    data = json.loads(open(path, encoding="utf-8").read())
    expected = ms.trainable_parameters(data, 4, "all-linear")
    capsys.readouterr()  # importing peft logs to stderr
    code, out, err = run(capsys, "finetune", path, "--lora-rank", "4", "--lora-targets", "all-linear", "--json")
    assert code == 0 and err == "", err
    result = json.loads(out)
    assert result["trainable_parameters"] == expected
    assert isinstance(result["base_weights"], int) and isinstance(result["optimizer_states"], int)
    code, out, err = run(capsys, "finetune", path, "--lora-rank", "4", "--lora-targets", "all-linear")
    assert code == 0 and "trainable" in out
    # QLoRA: the frozen base in NF4 with double quantization (bitsandbytes' format, checked for every family)
    code, out, err = run(capsys, "finetune", path, "--lora-rank", "4", "--lora-targets", "all-linear", "--quant",
                         "nf4", "--json")
    cfg = eb.from_hf_config(data)
    nf4 = eb.estimate(cfg, eb.Workload(1, 1), eb.Setup(serving=eb.knobs.Serving(weights="nf4-dq")))
    assert code == 0 and json.loads(out)["base_weights"] == nf4["quantized_weights/nf4-dq"]


@pytest.mark.parametrize("model_type, targets, message", [
    ("mamba", "all-linear", "refuses all-linear on mamba"),
    ("qwen3", "c_attn", "match no module of the qwen3 family; its linear layers are q_proj"),
    ("qwen3_moe", "gate_proj", "without also targeting up_proj"),
])
def test_finetune_refusals_are_one_line(capsys, tmp_path, model_type, targets, message):
    path = _zoo_file(tmp_path, model_type)
    code, out, err = run(capsys, "finetune", path, "--lora-rank", "4", "--lora-targets", targets)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and message in err, err


@pytest.mark.parametrize("model_type", ["qwen3", "gemma3_text"])
def test_serve_nf4_of_a_zoo_family_gives_the_quantized_weights(capsys, tmp_path, model_type):
    path = _zoo_file(tmp_path, model_type)
    code, out, err = run(capsys, "serve", path, "--batch", "2", "--context", "9", "--weights", "nf4", "--json")
    assert code == 0 and err == "", err
    data = json.loads(out)
    cfg = eb.from_hf_config(json.loads(open(path, encoding="utf-8").read()))
    est = eb.estimate(cfg, eb.Workload(2, 9), eb.Setup("bf16", "sdpa", serving=eb.knobs.Serving(weights="nf4")))
    assert data["weights"] == est["quantized_weights/nf4"] < 2 * eb.count_params(cfg).total
    assert data["total"] is None and "working memory: not available" in data["note"]
