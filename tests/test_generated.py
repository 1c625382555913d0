"""The generated evaluators equal SymPy's exact evaluation, and the committed file is fresh.

The command line evaluates the package's terms through ``everybyte/_generated.py``,
printed from the SymPy expressions by ``everybyte.codegen``.  Here hypothesis
draws values for every symbol a family's terms use (sizes from 1 to far past
int64, every 0/1 switch, B = 1 and B > 1) and checks every term against
``everybyte.exact`` of its own expression; and it draws real configurations
(every model type, dtype, attention kernel, device and optimizer) and checks
the estimate end to end.
"""

import functools

import sympy as sp
from sympy.printing.pycode import SymPyPrinter
from hypothesis import given, settings
from hypothesis import strategies as st

import everybyte as eb
from everybyte import _generated, codegen, families
from everybyte.accounting import RUN_SYMBOLS, family_terms
from everybyte.terms import ref, ref_key

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from zoo_cases import ODD  # noqa: E402

SWITCHES = {"beta_qkv", "beta_o", "beta_ff", "gamma", "rho", "pi", "phi", "tau", "f_qkv", "f_exp", "x_par", "x_kv1",
            "p_embd", "p_attn", "p_resid", "x_auto", "x_sdpa", "x_cuda",
            # parallelism (everybyte.parallel)
            "z_1", "z_2", "z_3", "x_reshard", "x_sp", "r_full", "r_sel", "x_gpipe", "x_interleaved", "x_offload",
            "x_opt8",
            # serving and fine-tuning (chapters 16 and 17)
            "l_q", "l_k", "l_v", "l_qkv", "l_o", "l_gate", "l_up", "l_down", "l_router", "l_experts", "x_dora",
            "x_qlora", "x_paged", "x_qc", "x_qk2d",
            # chapter 14's layout switches and buffer switches
            "x_nw", "x_nb", "x_qkh", "x_qkf", "x_qks", "x_qkb", "f_gu", "x_sink", "x_rscore", "beta_lm", "x_embnorm",
            "x_proj", "x_shexp", "x_shgate", "beta_router", "beta_exp", "beta_conv", "beta_ssm",
            "beta_ssmo", "x_ssmnorm", "x_m2", "x_dtn", "x_qgate", "f_lin", "x_lat", "x_sincos", "x_mask", "x_escale",
            "x_escore", "x_mup", "x_acap", "x_lcap"}
SMALL = {"nu": (0, 2), "n_act": (1, 4), "b_opt": (0, 8), "b_opt_tensor": (0, 4), "n_opt_tmp": (0, 2),
         "b_res": (2, 4), "b_soft": (2, 4), "b_dtype": (2, 4), "d_rot": (0, 300), "n_norm": (0, 4), "n_actp": (0, 2),
         "n_rot": (0, 2), "n_lscal": (0, 2),
         # devices and the rank a per-device term is evaluated for: a rank index may lie past the last
         # device (the terms stay defined), and device counts may exceed the sizes they divide
         "b_gather": (2, 4), "i_dp": (0, 70), "i_pp": (0, 9), "N_d": (1, 70), "t": (1, 9), "N_pp": (1, 9),
         "N_cp": (1, 9), "N_ep": (1, 9), "n_micro": (1, 17), "n_virtual": (1, 5),
         # serving
         "b_kv": (1, 4), "kv_bits": (0, 4), "kv_kind": (0, 2), "w_fmt": (0, 18)}
#: Sizes that may be 0: counts of layers of a kind, optional widths.
MAYBE_ZERO = {"r_q", "d_shared", "d_nope", "d_rope", "w_slide", "w_chunk", "V_ple", "d_ple", "P_max"}


def test_committed_file_is_fresh():
    assert codegen.GENERATED_PATH.read_text(encoding="utf-8") == codegen.python_source(), \
        "everybyte/_generated.py is stale: run `make generate`"


def _inputs(family):
    names = set()
    for term in family_terms(family):
        names |= {s.name for s in term.expr.free_symbols if ref_key(s) is None}
    return sorted(names)


@st.composite
def symbol_values(draw):
    family = draw(st.sampled_from(sorted(families.FAMILIES)))
    values = {}
    for name in _inputs(family):
        if name in SWITCHES:
            values[name] = draw(st.integers(0, 1))
        elif name in SMALL:
            values[name] = draw(st.integers(*SMALL[name]))
        elif name == "B":
            values[name] = draw(st.one_of(st.just(1), st.integers(1, 10**6)))
        elif name.startswith("L_") or name in MAYBE_ZERO:
            values[name] = draw(st.one_of(st.just(0), st.integers(0, 300), st.integers(0, 10**30)))
        else:
            values[name] = draw(st.one_of(st.integers(1, 300), st.integers(1, 10**30)))
    return family, values


class _ExactSymPyPrinter(SymPyPrinter):
    # lambdify's SymPy printer writes 1/2 as a Python float division; keep it a Rational.
    def _print_Rational(self, expr):
        return f"Rational({expr.p}, {expr.q})"

    _print_Half = _print_Rational


@functools.lru_cache(maxsize=None)
def _sympy_evaluators(family):
    """Each term as a function of its symbols and references, printed by SymPy's own lambdify.

    An independent printer of the same expressions, evaluating with SymPy's exact
    Integer, Rational, floor, ceiling, Piecewise and Max/Min: not with our code.
    """
    evaluators = []
    for term in family_terms(family):
        arguments = sorted(term.expr.free_symbols, key=lambda s: s.name)
        function = sp.lambdify(arguments, term.expr, modules=[{"sympy": sp, "Rational": sp.Rational}, "sympy"],
                               printer=_ExactSymPyPrinter)
        evaluators.append((term.key, [(s.name, ref_key(s)) for s in arguments], function))
    return evaluators


@settings(max_examples=250, deadline=None)
@given(symbol_values())
def test_every_generated_term_equals_exact_sympy_evaluation(case):
    family, values = case
    has_activations = families.FAMILIES[family].activations is not None
    generated = (_generated.ESTIMATE if has_activations else _generated.ESTIMATE_WITHOUT_ACTIVATIONS)[family](values)
    for key, arguments, function in _sympy_evaluators(family):
        if key not in generated:
            continue
        inputs = [sp.Integer(generated[k] if k else values[name]) for name, k in arguments]
        expected = function(*inputs)
        expected = sp.Integer(expected) if isinstance(expected, int) else expected
        assert expected.is_Integer, (key, expected)
        assert generated[key] == int(expected), key
        assert type(generated[key]) is int


def _model_type_configs():
    """A real config of every model type: one of the test configurations, with sizes redrawn where free."""
    cases = [(t, c) for t, cs in ODD.items() for c in cs]
    return st.fixed_dictionaries({
        "case": st.sampled_from(cases), "vocab": st.integers(1, 5000), "ff": st.integers(1, 40).map(lambda x: 3 * x),
        "tied": st.booleans(), "dropout": st.sampled_from([0.0, 0.1]), "rank": st.integers(1, 6),
        "activation": st.sampled_from(["gelu_new", "gelu", "gelu_pytorch_tanh", "silu"]),
        "weights": st.sampled_from(["auto", *eb.knobs.WEIGHT_FORMATS]),
        "kv_dtype": st.sampled_from(["auto", "fp32", "bf16"]), "cache": st.sampled_from(eb.knobs.CACHE_KINDS),
    })


#: Keys redrawn from the strategy where a case has them (none constrains another size).
_FREE = {"vocab_size": "vocab", "intermediate_size": "ff", "ffn_dim": "ff", "n_inner": "ff",
         "moe_intermediate_size": "ff", "tie_word_embeddings": "tied"}


def _hf_dict(d):
    model_type, case = d["case"]
    data = {"model_type": model_type, **case}
    for key, draw in _FREE.items():
        if key in data or (key == "tie_word_embeddings" and model_type != "nemotron_h"):
            data[key] = d[draw]
    keys = families.MODEL_TYPES[model_type].keys
    for field in ("attention_dropout", "residual_dropout", "embedding_dropout"):
        if field in keys and "." not in keys[field].names[0]:
            data[keys[field].names[0]] = d["dropout"]
    if model_type in ("gpt2", "gpt_neox"):
        data["activation_function" if model_type == "gpt2" else "hidden_act"] = d["activation"]
    if data.get("pad_token_id") is not None:
        data["pad_token_id"] = 0
    return data


@settings(max_examples=100, deadline=None)
@given(_model_type_configs(), st.integers(1, 9), st.integers(1, 300), st.sampled_from(eb.options.COMPUTE_DTYPES),
       st.sampled_from(eb.options.ATTENTIONS), st.sampled_from(eb.options.DEVICES),
       st.sampled_from(sorted(eb.options.OPTIMIZERS)))
def test_estimate_of_real_configs_equals_the_resolved_sympy_terms(d, batch, seq, dtype, attention, device, optimizer):
    cfg = eb.from_hf_config(_hf_dict(d))
    # LoRA and the quantized formats need the linear map: LoRA everywhere, some formats for chapter 14's families
    quantized = eb.pipeline.quantized_unavailable(cfg, d["weights"]) is None
    serving = eb.knobs.Serving(weights=d["weights"] if quantized else "auto", kv_dtype=d["kv_dtype"], cache=d["cache"])
    model_type = cfg.model_type
    targets = ("in_proj",) if model_type in eb.linear_names.PEFT_MAMBA else ("all-linear",)
    lora = eb.knobs.LoRA(rank=d["rank"], targets=targets,
                         dora=d["tied"] and model_type not in eb.linear_names.PEFT_MOE_CONVERSION)
    est = eb.estimate(cfg, eb.Workload(batch, seq),
                      eb.Setup(dtype, attention, device, optimizer, serving=serving, lora=lora))
    for key in ("parameters", "kv_cache", "training/optimizer_states", "activations", "training_peak",
                "serving/weights", "serving/peak", "lora/trainable_parameters", "finetuning/step_peak"):
        if key not in est:
            assert key != "serving/weights"
            assert (est.activations_note is not None and key in ("activations", "training_peak",
                                                                  "finetuning/step_peak")
                    or est.kv_cache_note is not None and key in ("kv_cache", "serving/peak")
                    or est.linears_note is not None and key.startswith(("serving/", "lora/", "finetuning/")))
            assert est.why_missing(key) is not None
            continue
        assert eb.exact(est.expr(key), est.values) == est[key], key
    assert sum(est.under("parameters").values()) == est["parameters"] == eb.count_params(cfg).total


def test_run_symbols_are_exactly_the_workload_and_setup_symbols():
    setup = set(eb.Setup().symbol_values())
    assert RUN_SYMBOLS == setup | {"B", "S"}


def test_committed_javascript_is_fresh():
    assert codegen.JAVASCRIPT_PATH.read_text(encoding="utf-8") == codegen.javascript_source(), \
        "calculator/everybyte_terms.js is stale: run `make generate`"


def test_javascript_evaluators_equal_the_python_ones():
    """The BigInt JavaScript the calculator runs gives the Python evaluators' ints, on 300 random inputs."""
    import json
    import random
    import shutil
    import subprocess

    import pytest

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (the browser check runs the same code in Chromium)")
    rng = random.Random(7)
    cases = []
    for _ in range(300):
        family = rng.choice(sorted(families.FAMILIES))
        values = {}
        for name in _inputs(family):
            if name in SWITCHES:
                values[name] = rng.randint(0, 1)
            elif name in SMALL:
                values[name] = rng.randint(*SMALL[name])
            elif name == "B":
                values[name] = rng.choice([1, rng.randint(1, 10**6)])
            else:
                values[name] = rng.choice([rng.randint(1, 300), rng.randint(1, 10**30)])
        cases.append((family, values))
    script = """
const fs = require("fs");
require(process.argv[1]);
const t = globalThis.everybyteTerms;
const cases = JSON.parse(fs.readFileSync(0, "utf8"));
const out = cases.map(([family, values]) => {
  const v = Object.fromEntries(Object.entries(values).map(([k, x]) => [k, BigInt(x)]));
  const table = family in t.ESTIMATE ? t.ESTIMATE : t.ESTIMATE_WITHOUT_ACTIVATIONS;
  return Object.fromEntries(Object.entries(table[family](v)).map(([k, x]) => [k, x.toString()]));
});
process.stdout.write(JSON.stringify(out));
"""
    payload = json.dumps([(f, {k: str(x) for k, x in v.items()}) for f, v in cases])
    result = subprocess.run([node, "-e", script, str(codegen.JAVASCRIPT_PATH)], input=payload, capture_output=True,
                            text=True, check=True)
    for (family, values), js in zip(cases, json.loads(result.stdout), strict=True):
        table = _generated.ESTIMATE if family in _generated.ESTIMATE else _generated.ESTIMATE_WITHOUT_ACTIVATIONS
        python = table[family](values)
        assert {k: str(x) for k, x in python.items()} == js, family


def test_every_symbol_name_is_one_symbol_and_model_and_run_symbols_are_apart():
    """Two symbols of one name would be one value in the evaluators (a model's switch set by the setup)."""
    import collections

    import sympy as sp

    from everybyte import symbols

    names = collections.defaultdict(set)
    for attribute, value in vars(symbols).items():
        if isinstance(value, sp.Symbol):
            names[value.name].add(attribute)
    assert not {name: sorted(a) for name, a in names.items() if len(a) > 1}
    model = set(eb.from_hf_config({"model_type": "deepseek_v3", "q_lora_rank": 4}).values())
    assert not model & RUN_SYMBOLS


def test_committed_calculator_data_is_fresh():
    from everybyte import calcdata

    assert calcdata.JAVASCRIPT_PATH.read_text(encoding="utf-8") == calcdata.javascript_source(), \
        "calculator/everybyte_data.js is stale: run `make generate`"
