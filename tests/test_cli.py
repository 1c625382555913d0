"""The everybyte command line: answers, JSON, and one clear line for bad input."""

import json
import subprocess
import sys

import pytest

from everybyte.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_params_json_total_is_exact(capsys):
    code, out, err = run(capsys, "params", "gpt2", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["total"] == 124_439_808
    assert sum(data["breakdown"].values()) == data["total"]


def test_params_table(capsys):
    code, out, _ = run(capsys, "params", "gpt3-175b")
    assert code == 0
    assert "174,604,259,328" in out


def test_params_from_sizes(capsys):
    code, out, _ = run(capsys, "params", "--vocab-size", "50000", "--d-model", "768", "--n-layers", "12",
                       "--n-heads", "12", "--json")
    assert code == 0
    assert json.loads(out)["total"] == 50_000 * 768 + 12 * (12 * 768**2 + 13 * 768) + 2 * 768


def test_memory_json(capsys):
    code, out, _ = run(capsys, "memory", "gpt2", "--batch", "8", "--seq", "1024", "--dtype", "bf16", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["bytes"]["model memory (bf16)"] == 2 * 124_439_808
    assert data["bytes"]["training steady state, fp32 AdamW (16N + 8BS)"] == 16 * 124_439_808 + 8 * 8 * 1024


@pytest.mark.parametrize(
    "argv, message",
    [
        (["params", "gpt5"], "source must be a preset name"),
        (["params", "missing-dir/config.json"], "config file not found"),
        (["memory", "gpt2", "--batch", "0", "--seq", "8"], "batch must be a positive integer"),
        (["memory", "gpt2", "--batch", "-2", "--seq", "8"], "batch must be a positive integer"),
        (["memory", "gpt2", "--batch", "1.5", "--seq", "8"], "batch must be a positive integer"),
        (["memory", "gpt2", "--batch", "true", "--seq", "8"], "batch must be a positive integer"),
        (["memory", "gpt2", "--batch", "2", "--seq", "8", "--dtype", "fp8"], "dtype must be one of"),
        (["memory", "gpt2", "--batch", "2", "--seq", "8", "--precision", "x"], "precision must be one of"),
        (["params", "--vocab-size", "10", "--d-model", "10", "--n-layers", "1", "--n-heads", "3"], "n_heads must divide d_model"),
        (["params", "--vocab-size", "10", "--d-model", "0", "--n-layers", "1", "--n-heads", "1"], "d_model must be a positive integer"),
        (["params"], "give a preset"),
        (["params", "gpt2", "--d-model", "8"], "not both"),
        (["memory", "gpt2", "--seq", "8"], "--batch"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_one_line_nonzero_exit(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert message in err


def test_help_explains_options(capsys):
    code, out, _ = run(capsys, "memory", "--help")
    assert code == 0
    for option in ("--batch", "--seq", "--dtype", "--precision", "--json"):
        assert option in out


def test_console_script_exit_status():
    result = subprocess.run([sys.executable, "-m", "everybyte.cli", "params", "nope"], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: source must be a preset name")
