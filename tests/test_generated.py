"""The generated evaluators equal SymPy's exact evaluation, and the committed file is fresh.

The command line evaluates the package's terms through ``everybyte/_generated.py``,
printed from the SymPy expressions by ``everybyte.codegen``.  Here hypothesis
draws values for every symbol a family's terms use (sizes from 1 to far past
int64, every 0/1 switch, B = 1 and B > 1) and checks every term against
``everybyte.exact`` of its own expression; and it draws real configurations
(every model type, dtype, attention kernel, device and optimizer) and checks
the estimate end to end.
"""

import sympy as sp
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
            # chapter 14's layout switches and buffer switches
            "x_nw", "x_nb", "x_qkh", "x_qkf", "x_qks", "x_qkb", "f_gu", "x_sink", "x_rscore", "beta_lm", "x_embnorm",
            "x_proj", "x_shexp", "x_shgate", "beta_router", "beta_exp", "x_qlora", "beta_conv", "beta_ssm",
            "beta_ssmo", "x_ssmnorm", "x_m2", "x_dtn", "x_qgate", "f_lin", "x_lat", "x_sincos", "x_mask", "x_escale",
            "x_escore", "x_mup", "x_acap", "x_lcap"}
SMALL = {"nu": (0, 2), "n_act": (1, 4), "b_opt": (0, 8), "b_opt_tensor": (0, 4), "n_opt_tmp": (0, 2),
         "b_res": (2, 4), "b_soft": (2, 4), "b_dtype": (2, 4), "d_rot": (0, 300), "n_norm": (0, 4), "n_actp": (0, 2),
         "n_rot": (0, 2), "n_lscal": (0, 2)}
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


@settings(max_examples=500, deadline=None)
@given(symbol_values())
def test_every_generated_term_equals_exact_sympy_evaluation(case):
    family, values = case
    terms = family_terms(family)
    has_activations = families.FAMILIES[family].activations is not None
    generated = (_generated.ESTIMATE if has_activations else _generated.ESTIMATE_WITHOUT_ACTIVATIONS)[family](values)
    symbols = {s.name: s for t in terms for s in t.expr.free_symbols}
    subs = {symbols[name]: sp.Integer(v) for name, v in values.items() if name in symbols}
    for term in terms:
        if term.key not in generated:
            continue
        expected = term.expr.xreplace({**subs, **{ref(k): sp.Integer(generated[k]) for k in
                                                  (ref_key(s) for s in term.expr.free_symbols) if k}})
        expected = sp.nsimplify(expected) if not expected.is_Number else expected
        assert expected.is_Integer, (term.key, expected)
        assert generated[term.key] == int(expected), term.key
        assert type(generated[term.key]) is int


def _model_type_configs():
    """A real config of every model type: one of the test configurations, with sizes redrawn where free."""
    cases = [(t, c) for t, cs in ODD.items() for c in cs]
    return st.fixed_dictionaries({
        "case": st.sampled_from(cases), "vocab": st.integers(1, 5000), "ff": st.integers(1, 40).map(lambda x: 3 * x),
        "tied": st.booleans(), "dropout": st.sampled_from([0.0, 0.1]),
        "activation": st.sampled_from(["gelu_new", "gelu", "gelu_pytorch_tanh", "silu"]),
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


@settings(max_examples=200, deadline=None)
@given(_model_type_configs(), st.integers(1, 9), st.integers(1, 300), st.sampled_from(eb.options.COMPUTE_DTYPES),
       st.sampled_from(eb.options.ATTENTIONS), st.sampled_from(eb.options.DEVICES),
       st.sampled_from(sorted(eb.options.OPTIMIZERS)))
def test_estimate_of_real_configs_equals_the_resolved_sympy_terms(d, batch, seq, dtype, attention, device, optimizer):
    cfg = eb.from_hf_config(_hf_dict(d))
    est = eb.estimate(cfg, eb.Workload(batch, seq), eb.Setup(dtype, attention, device, optimizer))
    for key in ("parameters", "kv_cache", "training/optimizer_states", "activations", "training_peak"):
        if key not in est:
            assert (est.activations_note is not None and key in ("activations", "training_peak")
                    or est.kv_cache_note is not None and key == "kv_cache")
            continue
        assert eb.exact(est.expr(key), est.values) == est[key], key
    assert sum(est.under("parameters").values()) == est["parameters"] == eb.count_params(cfg).total


def test_run_symbols_are_exactly_the_workload_and_setup_symbols():
    setup = set(eb.Setup().symbol_values())
    assert RUN_SYMBOLS == setup | {"B", "S"}
