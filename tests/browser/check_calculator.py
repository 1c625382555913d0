#!/usr/bin/env python3
"""The calculator page's API against the command line, in headless Chromium, offline.

Usage: python tests/browser/check_calculator.py [_build/html] [--seed N] [--cases N] [--node]

Draws seeded random cases: the odd configs of every model type in
``tests/zoo_cases.py`` with their sizes redrawn (now and then one key set to a
value of another kind, a nested ``rope_parameters``, a multimodal wrapper), the
presets, random workloads and setups of ``memory`` (dtype, attention, device,
optimizer, --article), ``train``, ``serve``, ``finetune`` and ``time``, and a
sample of bad inputs (broken JSON, unsupported model types, bad fields, bad
options).  For each, Python runs ``everybyte.cli.main`` (``COMMAND ... --json``)
on a temporary config file and the page's ``window.everybyte.params`` or
``window.everybyte.estimate`` must give the same object (ints compared as
decimal strings with the BigInts) or throw the same message (without
``error: ``); where the package itself fails (exit status 3, a defect) the page
must refuse too.  Every family of ``everybyte.families.FAMILIES`` must be among
the cases.  Then the form is used by keyboard (preset, workload, card, then the
serve command) and must draw the bars and the verdicts; the page must log no
console error (but the theme's own message on a fresh profile, see THEME_MODE)
and raise no uncaught error; every non-file request is aborted and reported.

``--node`` runs the API cases in node instead (no page, no UI): for development.
Prints the seed; a failure prints the case (its argv and config) to rerun it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(HERE))

from everybyte import calcdata, cli, families, knobs, options, pipeline, presets  # noqa: E402
from zoo_cases import ODD  # noqa: E402

from check_html import offline_page  # noqa: E402  (tests/browser: the same offline browser)

#: The one console error not of the calculator: pydata-sphinx-theme logs it on every page of the book in a fresh
#: browser profile (no theme mode stored yet), then stores "auto".
THEME_MODE = "Got invalid theme mode: . Resetting to auto."

_WIDTH_KEYS = ("hidden_size", "n_embd", "d_model")
_LAYER_KEYS = ("num_hidden_layers", "n_layer", "num_layers", "n_layers")
_FF_KEYS = ("intermediate_size", "n_inner", "ffn_hidden_size", "moe_intermediate_size")


def _has_lists(config: dict) -> bool:
    return any(isinstance(v, list) for v in config.values())


def redraw(rng: random.Random, config: dict) -> dict:
    """``config`` with its sizes redrawn: width scaled (head counts still divide it), vocabulary, layers, widths."""
    out = json.loads(json.dumps(config))
    if rng.random() < 0.25:
        return out
    factor = rng.choice([1, 2, 3, 7, 16, 64, 1000])
    for key in _WIDTH_KEYS:
        if isinstance(out.get(key), int) and not isinstance(out.get(key), bool):
            out[key] *= factor
    for key in _FF_KEYS:
        if isinstance(out.get(key), int) and not isinstance(out.get(key), bool):
            out[key] = rng.randint(1, 5000) * rng.choice([1, 1, 64])
    if "vocab_size" in out:
        out["vocab_size"] = rng.choice([rng.randint(1, 1000), rng.randint(1000, 300_000), 2**40 + rng.randint(0, 99)])
    if not _has_lists(out) and out.get("model_type") not in ("nemotron_h",):
        for key in _LAYER_KEYS:
            if key in out:
                out[key] = rng.randint(1, 12)
    if rng.random() < 0.15:  # one key the type reads set to a value of another kind: the same refusal, or not
        entry = families.MODEL_TYPES[out["model_type"]]
        names = [n for key in (*entry.keys.values(), *entry.inputs.values()) for n in key.names if "." not in n]
        key = rng.choice(names)
        # (10**30 layers: Python's layer patterns would count to it)
        out[key] = rng.choice([v for v in _ODD_VALUES if key not in _LAYER_KEYS or v != 10**30])
    if rng.random() < 0.05:  # a nested key (rope_parameters.partial_rotary_factor), as an object or not
        out["rope_parameters"] = rng.choice([{"partial_rotary_factor": rng.choice([0.25, 0.5, 1.0, 1.5])}, None, 5, {}])
    if rng.random() < 0.06:  # a multimodal config: the language model under text_config
        outer = {"model_type": rng.choice(["llava", "gemma3", "qwen2_vl"]), "text_config": out,
                 "vision_config": {"hidden_size": 8}}
        if rng.random() < 0.5:
            outer["tie_word_embeddings"] = rng.choice([True, False])
        if rng.random() < 0.3:
            outer["audio_config"] = {"d": 1}
        out = outer
    return out


_ODD_VALUES = [-1, 0, 1, 2, 3, True, False, None, "x", "auto", 1.5, 0.5, 2.0, [1], [0, 2], {"a": 1}, 10**30]


def model_cases(rng: random.Random) -> list[tuple[str, dict]]:
    out = []
    for model_type, configs in ODD.items():
        for config in configs:
            out.append((model_type, {"model_type": model_type, **config}))
    return out


def workload(rng: random.Random) -> dict:
    return {"batch": rng.choice([1, 2, 3, 8, rng.randint(1, 4096)]),
            "seq": rng.choice([1, 7, 128, 2048, rng.randint(1, 200_000)]),
            "dtype": rng.choice(options.COMPUTE_DTYPES), "attention": rng.choice(options.ATTENTIONS),
            "device": rng.choice(options.DEVICES), "optimizer": rng.choice(list(options.OPTIMIZERS)),
            "article": rng.random() < 0.2}


OPTIONS = calcdata._commands()


def serve_options(rng: random.Random) -> dict:
    out = {"command": "serve", "batch": rng.choice([1, 2, 4, rng.randint(1, 512)]),
           "context": rng.choice([1, 64, 4096, rng.randint(1, 100_000)])}
    for key, values in (("dtype", options.COMPUTE_DTYPES), ("attention", options.ATTENTIONS),
                        ("weights", ["auto", "auto", *knobs.WEIGHT_FORMATS]), ("kv_dtype", knobs.KV_DTYPES),
                        ("cache", knobs.CACHE_KINDS)):
        if rng.random() < 0.7:
            out[key] = rng.choice(list(values))
    if rng.random() < 0.3:
        out["kv_group_size"] = rng.choice([16, 32, 64, 128, 7])
    if rng.random() < 0.2:
        out["max_cache_len"] = rng.choice([out["context"], out["context"] * 2, 8])
    if rng.random() < 0.2:
        out["block_size"] = rng.choice([8, 16, 32])
    if rng.random() < 0.4:
        out["gpu_memory"] = rng.choice(["24GiB", "80GB", "1GB", "12.5 GiB", "100MB"])
    return out


def finetune_options(rng: random.Random, family: str) -> dict:
    modules = list(knobs.LORA_MODULES.get(family, knobs.LORA_MODULES["llama"]))
    targets = rng.choice(["all-linear", ",".join(rng.sample(modules, rng.randint(1, len(modules))))])
    out = {"command": "finetune", "lora_rank": rng.choice([1, 4, 8, 16, 64]), "lora_targets": targets,
           "batch": rng.choice([1, 2, 4]), "seq": rng.choice([16, 128, 512])}
    for key in ("dora", "paged"):
        if rng.random() < 0.3:
            out[key] = True
    if rng.random() < 0.3:
        out["quant"] = "nf4"
    for key, values in (("dtype", options.COMPUTE_DTYPES), ("attention", options.ATTENTIONS),
                        ("optimizer", list(options.OPTIMIZERS))):
        if rng.random() < 0.6:
            out[key] = rng.choice(values)
    return out


def train_options(rng: random.Random, layers: int) -> dict:
    out = {"command": "train", "batch": rng.choice([1, 2, 4]), "seq": rng.choice([16, 64, 256]),
           "dtype": rng.choice(options.COMPUTE_DTYPES), "attention": rng.choice(options.ATTENTIONS)}
    out["dp"] = rng.choice([1, 1, 2, 4])
    out["zero"] = rng.choice([0, 1, 2, 3])
    if rng.random() < 0.4:
        out["tp"] = rng.choice([1, 2, 3])
    if rng.random() < 0.4:
        out["pp"] = rng.choice([d for d in (1, 2, 3) if layers % d == 0] or [1])
    if rng.random() < 0.2:
        out["sp"] = True
    if rng.random() < 0.2:
        out["cp"] = rng.choice([1, 2])
    out["recompute"] = rng.choice(list(options.RECOMPUTE))
    if rng.random() < 0.3:
        out["microbatches"] = rng.choice([1, 2, 4])
    if rng.random() < 0.2:
        out["offload"] = True
    if rng.random() < 0.2:
        out["reshard"] = False
    if rng.random() < 0.2:
        out["param_dtype"] = "bf16"
    if rng.random() < 0.4:
        out["gpu_memory"] = rng.choice(["1GiB", "80GB", "100MB"])
    return out


def time_options(rng: random.Random) -> dict:
    out = {"command": "time", "seq": rng.choice([1, 128, 4096, rng.randint(1, 10**6)]),
           "batch": rng.choice([1, 8, 64]), "gpu": rng.choice(list(calcdata.data()["ACCELERATORS"])),
           "dtype": rng.choice(["bf16", "fp16", "fp32"])}
    if rng.random() < 0.5:
        out["mfu"] = rng.choice([0.4, 0.5, 0.35, 1, 0.1234])
    if rng.random() < 0.5:
        out["tokens"] = rng.choice([10**9, 3 * 10**11, 1])
    if rng.random() < 0.3:
        out["devices"] = rng.choice([8, 1024])
    return out


def argv_of(kind: str, source: str, opts: dict) -> list[str]:
    """The command line of a case: the options in their order, by the flags of the command's parser."""
    command = opts.get("command", "memory") if kind == "memory" else kind
    argv = [command, source]
    rows = {row[0]: row for row in OPTIONS[command]}
    for key, value in opts.items():
        if key in ("name", "path", "command") or value is None:
            continue
        flag, action = rows[key][1], rows[key][4]
        if action == "true":
            argv += [flag] if value is True else []
        elif action == "false":
            argv += [flag] if value is False else []
        else:
            argv += [flag, str(value)]
    return argv + ["--json"]


def run_cli(argv: list[str]) -> dict:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    if code == 0:
        return {"ok": _tagged(json.loads(out.getvalue()))}
    message = err.getvalue().strip()
    if code == 3:  # a defect of the package on this input: the page must refuse it too (its wording may differ)
        return {"bug": message[len("error: "):]}
    assert code == 2 and message.startswith("error: "), (argv, code, message)
    return {"error": message[len("error: "):]}


def _tagged(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return {"$int": str(value)}
    if isinstance(value, float):
        return {"$float": repr(value)}
    if isinstance(value, list):
        return [_tagged(v) for v in value]
    return {k: _tagged(v) for k, v in value.items()}


BAD_TEXTS = [
    "{", "[1, 2]", "", "{\"model_type\": \"llama\",}", "{\"model_type\": 5}", "{\"hidden_size\": 4}",
    "{\"model_type\": \"gemma3n_text\"}", "{\"model_type\": \"bert\"}", "{\"model_type\": \"llama\", \"hidden_size\": -1}",
    "{\"model_type\": \"llama\", \"hidden_size\": true}", "{\"model_type\": \"llama\", \"hidden_size\": 4.0}",
    "{\"model_type\": \"llama\", \"num_attention_heads\": 7}", "{\"model_type\": \"gpt_neox\", \"rope_parameters\": 5}",
    "{\"model_type\": \"llava\", \"text_config\": {\"hidden_size\": 8}}", "[" * 70 + "]" * 70,
    "{\"model_type\": \"llama\", \"vocab_size\": 1" + "0" * 5000 + "}", "{\"model_type\": \"llama\", \"attention_dropout\": 1.5}",
    "{\"model_type\": \"qwen2\", \"layer_types\": [\"full_attention\"]}", "{\"model_type\": \"gpt2\", \"n_embd\": NaN}",
    "{\"model_type\": \"nemotron_h\", \"hybrid_override_pattern\": \"MX\"}", "\ufeff{}", "{\"a\": \"\\x\"}",
]
BAD_OPTIONS = [{"batch": 0, "seq": 3}, {"batch": "x1", "seq": 3}, {"seq": 3}, {"batch": 2}, {"batch": -4, "seq": 1},
               {"batch": 1, "seq": 1, "dtype": "fp8"}, {"batch": 1, "seq": 1, "attention": "flash"},
               {"batch": 1, "seq": 1, "device": "tpu"}, {"batch": 1, "seq": 1, "optimizer": "lion"},
               {"batch": "+-3", "seq": 1}, {"batch": " 12 ", "seq": "+5"},
               {"command": "train", "batch": 1, "seq": 8, "zero": 5}, {"command": "train", "batch": 1, "seq": 8, "tp": 7},
               {"command": "train", "batch": 1, "seq": 8, "gpu_memory": "0GB"},
               {"command": "train", "batch": 1, "seq": 8, "virtual": 2}, {"command": "train", "batch": 1, "seq": 8, "dp": 2, "ep": 4},
               {"command": "serve", "batch": 1, "context": 8, "gpu_memory": "lots"},
               {"command": "serve", "batch": 1, "context": 8, "kv_dtype": "int4", "cache": "static"},
               {"command": "serve", "batch": 1, "context": 9, "kv_dtype": "int2", "kv_group_size": 5},
               {"command": "serve", "batch": 1, "context": 64, "cache": "static", "max_cache_len": 8},
               {"command": "serve", "batch": 1}, {"command": "serve", "batch": 1, "context": 8, "weights": "q4"},
               {"command": "finetune", "lora_rank": 4, "lora_targets": "nope"}, {"command": "finetune", "lora_rank": 4},
               {"command": "finetune", "lora_rank": 4, "lora_targets": "all-linear,q_proj"},
               {"command": "finetune", "lora_rank": 4, "lora_targets": "c_attn"},
               {"command": "finetune", "lora_rank": 4, "lora_targets": "q_proj", "quant": "nf8"},
               {"command": "time", "seq": 8, "mfu": "2"}, {"command": "time", "seq": 8, "mfu": "x"},
               {"command": "time", "seq": 8, "mfu": "0.12345"}, {"command": "time", "seq": 8, "gpu": "tpu-v4", "dtype": "fp16"},
               {"command": "time", "seq": 8, "gpu": "v100"}, {"command": "time", "batch": 2}]


def cases(seed: int, n: int, tmp: Path) -> list[dict]:
    rng = random.Random(seed)
    base = model_cases(rng)
    out = []

    def add(kind, text, opts, source=None):
        i = len(out)
        if kind == "params":
            opts = {}
        if source is None:
            path = tmp / f"case{i}_{rng.randint(0, 999)}.json"
            path.write_text(text, encoding="utf-8")
            opts = {**opts, "path": str(path)}
            source = str(path)
        expect = run_cli(argv_of(kind, source, opts))
        out.append({"kind": kind, "text": text if text is not None else source, "options": opts,
                    "argv": argv_of(kind, source, opts), "expect": expect})

    # every model type's odd configs once as they are, then redrawn at random
    for model_type, config in base:
        add(rng.choice(["params", "memory"]), json.dumps(config), workload(rng))
    while len(out) < n:
        model_type, config = rng.choice(base)
        add(rng.choice(["params", "memory", "memory"]), json.dumps(redraw(rng, config)), workload(rng))
    # the other commands: every family once (the families outside the layouts of chapters 15-17 are refused
    # LoRA, quantized weights and tensor or pipeline parallelism with the package's note), then at random
    chosen = {}
    for model_type, config in base:
        chosen.setdefault(families.MODEL_TYPES[model_type].family, []).append((model_type, config))
    mapped = [(t, c) for t, c in base if families.MODEL_TYPES[t].family in pipeline.LINEAR_FAMILIES]
    picks = [rng.choice(group) for group in chosen.values()]
    picks += [rng.choice(mapped if rng.random() < 0.75 else base) for _ in range(max(0, n // 3))]
    for i, (model_type, config) in enumerate(picks):
        family = families.MODEL_TYPES[model_type].family
        config = config if i < len(chosen) else redraw(rng, config)
        layers = next((config[k] for k in _LAYER_KEYS if isinstance(config.get(k), int)), 2)
        opts = rng.choice([serve_options(rng), finetune_options(rng, family), train_options(rng, layers),
                           time_options(rng)])
        add("memory", json.dumps(config), opts)
    for name in presets.preset_names():
        family = presets.preset(name).family.name
        for opts in (serve_options(rng), finetune_options(rng, family), train_options(rng, 12), time_options(rng)):
            add("memory", None, opts, source=name)
    for name in presets.preset_names():
        add("memory", None, workload(rng), source=name)
        add("params", None, {}, source=name)
    for text in BAD_TEXTS:
        add(rng.choice(["params", "memory"]), text, {"batch": 1, "seq": 8})
    for bad in BAD_OPTIONS:
        add("memory", json.dumps(base[1][1]), bad)
    return out


def families_covered(all_cases: list[dict]) -> set[str]:
    seen = set()
    for case in all_cases:
        if "ok" in case["expect"]:
            seen.add(families.family_of(_untag(case["expect"]["ok"])["model_type"]).name)
    return seen


def _untag(v):
    if isinstance(v, dict):
        if set(v) == {"$int"}:
            return int(v["$int"])
        return {k: _untag(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_untag(x) for x in v]
    return v


# Runs every case in the page (or node) and returns what differs.  BigInts are tagged as the Python side tags ints.
RUN_JS = r"""
(cases) => {
  const tag = (v) => {
    if (typeof v === "bigint") return {"$int": v.toString()};
    if (v instanceof globalThis.pyjson.PyFloat) return {"$float": globalThis.pyjson.repr(v)};
    if (Array.isArray(v)) return v.map(tag);
    if (v !== null && typeof v === "object") {
      const o = {}; for (const [k, x] of Object.entries(v)) o[k] = tag(x); return o;
    }
    if (typeof v === "number") return {"$number": v};
    return v;
  };
  return cases.map((c) => {
    try {
      const api = globalThis.everybyte;
      const got = c.kind === "params" ? api.params(c.text, c.options) : api.estimate(c.text, c.options);
      return {"ok": tag(got)};
    } catch (error) {
      return {"error": String(error && error.message)};
    }
  });
}
"""


def compare(all_cases, results) -> list[str]:
    problems = []
    for case, got in zip(all_cases, results):
        if "bug" in case["expect"] and str(got.get("error", "")).startswith("everybyte could not compute this"):
            continue
        if got != case["expect"]:
            problems.append(f"argv {case['argv']}\n  config: {case['text'][:300]!r}\n  python: "
                            f"{json.dumps(case['expect'])[:800]}\n  page:   {json.dumps(got)[:800]}")
    return problems


def run_node(all_cases) -> list:
    script = ("const fs=require('fs');" + "".join(f"require({json.dumps(str(REPO / 'calculator' / f))});"
                                                  for f in ("pyjson.js", "everybyte_data.js", "everybyte_terms.js",
                                                            "everybyte.js"))
              + f"const run={RUN_JS};const cases=JSON.parse(fs.readFileSync(0,'utf8'));"
              "process.stdout.write(JSON.stringify(run(cases)));")
    done = subprocess.run(["node", "-e", script], input=json.dumps(all_cases), capture_output=True, text=True,
                          check=False)
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout)


async def run_page(html: Path, all_cases) -> tuple[list, list[str]]:
    from playwright.async_api import async_playwright

    problems: list[str] = []
    async with async_playwright() as pw:
        browser, page = await offline_page(
            pw, lambda request: problems.append(f"network request {request.resource_type} {request.url}"))
        page.on("pageerror", lambda exc: problems.append(f"uncaught error: {str(exc)[:300]}"))
        page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text[:300]}")
                if msg.type in ("error", "warning") and not msg.text.startswith(THEME_MODE) else None)
        page.on("requestfailed", lambda r: problems.append(f"missing file {r.url}") if r.url.startswith("file://")
                else None)
        await page.goto(html.as_uri(), wait_until="load")
        await page.wait_for_function("() => window.everybyte && document.querySelector('#eb-calculator')")
        results = await page.evaluate(RUN_JS, all_cases)
        problems += await exercise_ui(page)
        await browser.close()
    return results, problems


async def exercise_ui(page) -> list[str]:
    """Use the form by keyboard: a preset, the workload, a card, then the serve command; bars and verdicts must show."""
    problems = []
    await page.focus("#eb-preset")
    await page.keyboard.press("Home")  # the first preset, then down to gpt2-medium
    target = "gpt2-medium"
    names = await page.eval_on_selector("#eb-preset", "s => [...s.options].map(o => o.value)")
    for _ in range(names.index(target)):
        await page.keyboard.press("ArrowDown")
    for selector, value in (("#eb-batch", "4"), ("#eb-seq", "1024")):
        await page.focus(selector)
        await page.keyboard.press("Control+A")
        await page.keyboard.type(value)
    await page.focus("#eb-card")
    await page.keyboard.press("Home")
    await page.keyboard.press("Tab")  # leaving a field updates the result
    await page.wait_for_timeout(100)
    state = await page.evaluate("""() => ({
        bars: document.querySelectorAll('#eb-bar svg rect[data-key]').length,
        labels: [...document.querySelectorAll('#eb-legend li')].map(li => li.textContent),
        verdict: document.querySelector('#eb-verdict').textContent,
        model: document.querySelector('#eb-summary').textContent,
    })""")
    if state["bars"] < 3:
        problems.append(f"UI: the bar has {state['bars']} parts, expected weights, gradients, optimizer states, ...")
    if not any("gradients" in label for label in state["labels"]):
        problems.append(f"UI: no gradients in the legend: {state['labels']}")
    if "fits" not in state["verdict"]:
        problems.append(f"UI: no fit verdict: {state['verdict']!r}")
    if "gpt2-medium" not in state["model"]:
        problems.append(f"UI: the summary does not name gpt2-medium: {state['model']!r}")
    # then serving, by keyboard: memory -> train -> serve
    await page.focus("#eb-command")
    await page.keyboard.press("Home")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Tab")
    await page.wait_for_timeout(100)
    served = await page.evaluate("""() => ({
        command: document.querySelector('#eb-command').value,
        serving: !document.querySelector('#eb-weights').closest('fieldset').hidden,
        labels: [...document.querySelectorAll('#eb-legend li')].map(li => li.textContent),
        verdict: document.querySelector('#eb-verdict').textContent,
    })""")
    if served["command"] != "serve" or not served["serving"]:
        problems.append(f"UI: the keyboard did not reach the serve command and its fields: {served}")
    if not any(label.startswith("KV cache") for label in served["labels"]) or "fits" not in served["verdict"]:
        problems.append(f"UI: serving shows no KV cache or no verdict: {served}")
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("html", nargs="?", default="_build/html")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("CALCULATOR_SEED", "20251202")))
    parser.add_argument("--cases", type=int, default=240)
    parser.add_argument("--node", action="store_true")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        all_cases = cases(args.seed, args.cases, Path(tmp))
    missing = set(families.FAMILIES) - families_covered(all_cases)
    problems = [f"no case of the family {name}" for name in sorted(missing)]
    prepared = time.monotonic()
    if args.node:
        results, page_problems = run_node(all_cases), []
    else:
        html = (Path(args.html) / "calculator.html").resolve()
        if not html.is_file():
            print(f"calculator check: {html} is missing (build the book first)", file=sys.stderr)
            return 1
        results, page_problems = asyncio.run(run_page(html, all_cases))
    problems += compare(all_cases, results) + page_problems
    n_ok = sum("ok" in c["expect"] for c in all_cases)
    n_bug = sum("bug" in c["expect"] for c in all_cases)
    summary = (f"calculator check (seed {args.seed}): {len(all_cases)} cases ({n_ok} answers, "
               f"{len(all_cases) - n_ok - n_bug} refusals, {n_bug} package defects), {len(families_covered(all_cases))} families; Python "
               f"{prepared - started:.1f} s, {'node' if args.node else 'page'} {time.monotonic() - prepared:.1f} s")
    if problems:
        print(summary, file=sys.stderr)
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{len(problems)} problem(s); rerun with --seed {args.seed}", file=sys.stderr)
        return 1
    print(summary + ": all equal")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
