"""Quantized weights against the quantizers that run on this CPU: bitsandbytes, torchao, gguf (chapter 16).

Each model is quantized for real and its state dict's distinct storages are
counted; the package's ``quantized_weights/<format>`` must equal them to the
byte.  GPTQ and AWQ need CUDA kernels to quantize, and torchao's int4
weight-only needs the ``mslk`` kernels; their layouts are checked by hand.
"""

import pytest
import sympy as sp

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

import everybyte as eb  # noqa: E402
from everybyte import linears, measure_serving as ms, parameters, quantization  # noqa: E402
from everybyte.knobs import Serving  # noqa: E402

LLAMA = {"model_type": "llama", "hidden_size": 128, "num_attention_heads": 4, "num_key_value_heads": 2,
         "head_dim": 32, "intermediate_size": 96, "num_hidden_layers": 2, "vocab_size": 300,
         "tie_word_embeddings": False}


def _estimate(data, fmt, dtype="fp32"):
    return eb.estimate(eb.from_hf_config(data), eb.Workload(1, 1), eb.Setup(dtype, serving=Serving(weights=fmt)))


def test_linear_table_has_the_tensor_tables_weights():
    tensors = {t.name: t.present * t.count * t.numel for t in parameters.DECODER}
    for x in (*linears.LINEARS, *linears.EXPERT_TENSORS):
        assert sp.expand(x.present * x.count * x.d_in * x.d_out - tensors[x.tensor]) == 0, x.name


def test_gguf_table_is_the_gguf_package_table():
    gguf = pytest.importorskip("gguf")
    for kind, sizes in quantization.GGUF_TYPES.items():
        assert tuple(gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType[kind.upper()]]) == sizes, kind


@pytest.mark.parametrize("kind", ["q4_0", "q4_1", "q5_0", "q5_1", "q8_0"])
def test_gguf_file_bytes(kind):
    # Every 2-d tensor quantized with gguf's own numpy quantizer, every 1-d tensor in F32.
    gguf = pytest.importorskip("gguf")
    import numpy as np

    model = eb.measure.build_model(LLAMA)
    qtype = gguf.GGMLQuantizationType[kind.upper()]
    total = 0
    for tensor in model.state_dict().values():
        array = tensor.detach().numpy().astype(np.float32)
        total += gguf.quants.quantize(array, qtype).nbytes if array.ndim == 2 else array.nbytes
    assert _estimate(LLAMA, f"gguf-{kind}")["serving/weights"] == total


@pytest.mark.parametrize("fmt, quant_type, double", [("nf4", "nf4", False), ("fp4", "fp4", False),
                                                     ("nf4-dq", "nf4", True)])
def test_bitsandbytes_4bit_state_dict(fmt, quant_type, double):
    bnb = pytest.importorskip("bitsandbytes")
    model = ms.replace_linears(eb.measure.build_model(LLAMA), lambda lin: bnb.nn.Linear4bit(
        lin.in_features, lin.out_features, bias=lin.bias is not None, compute_dtype=torch.float32,
        quant_type=quant_type, compress_statistics=double, quant_storage=torch.uint8))
    tensors = ms.state_dict_bytes(model, skip=("quant_state.bitsandbytes",))
    assert _estimate(LLAMA, fmt)["serving/weights"] == tensors
    # The quant state's JSON (left out of the term): a few dozen bytes per layer.
    json_bytes = ms.state_dict_bytes(model) - tensors
    assert 0 < json_bytes < 200 * 7 * LLAMA["num_hidden_layers"]


def test_bitsandbytes_int8_state_dict():
    bnb = pytest.importorskip("bitsandbytes")
    model = ms.replace_linears(eb.measure.build_model(LLAMA), lambda lin: bnb.nn.Linear8bitLt(
        lin.in_features, lin.out_features, bias=lin.bias is not None, has_fp16_weights=False))
    assert _estimate(LLAMA, "int8")["serving/weights"] == ms.state_dict_bytes(model)


@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
@pytest.mark.parametrize("tied", [False, True])
def test_torchao_int8_weight_only_state_dict(dtype, tied):
    pytest.importorskip("torchao")
    from torchao.quantization import Int8WeightOnlyConfig, quantize_

    data = {**LLAMA, "tie_word_embeddings": tied}
    model = ms.serving_model(data, dtype)
    quantize_(model, Int8WeightOnlyConfig())  # every nn.Linear, the output layer included (tied: a new int8 copy)
    assert _estimate(data, "torchao-int8wo", dtype)["serving/weights"] == ms.state_dict_bytes(model)


def test_gptq_and_awq_layouts_by_hand():
    # AutoGPTQ's QuantLinear and AutoAWQ's WQLinear_GEMM at 4 bits, group 128, for Llama-2-7B's q_proj (4096 x 4096).
    d_in = d_out = 4096
    gptq = 4 * (d_in // 8) * d_out + 4 * (d_in // 128) * (d_out // 8) + 2 * (d_in // 128) * d_out + 4 * d_in
    awq = 4 * d_in * (d_out // 8) + 4 * (d_in // 128) * (d_out // 8) + 2 * (d_in // 128) * d_out
    assert quantization._gptq(d_in, d_out) == gptq == 8_732_672  # 4.164 bits per weight
    assert quantization._awq(d_in, d_out) == awq == 8_716_288  # 4.156 bits per weight
    cfg = eb.preset("llama-2-7b")
    est = eb.estimate(cfg, eb.Workload(1, 1), eb.Setup("fp16", serving=Serving(weights="awq-4bit")))
    assert 3.8e9 < est["serving/weights"] < 3.9e9  # 4-bit blocks plus fp16 embeddings and head


def test_gguf_k_quants_bits_per_weight():
    # The K-quants from the table (gguf's numpy has no quantizer for them): bits per weight of a 4096-row.
    bits = {kind: 8 * size / block for kind, (block, size) in quantization.GGUF_TYPES.items()}
    assert bits["q4_k"] == 4.5 and bits["q6_k"] == 6.5625 and bits["q8_0"] == 8.5 and bits["q4_0"] == 4.5


# --- every model type of chapter 14's zoo: bitsandbytes on the CPU ---------------------------------

def _zoo():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from zoo_cases import ODD

    return [{"model_type": t, **c} for t, cases in ODD.items() for c in cases
            if t != "gpt2"]  # GPT-2's Conv1D layers: replace_every_linear replaces nn.Linear modules only


QUANTIZED = ("int8", "nf4", "fp4", "nf4-dq")  # fp4's bytes are nf4's: checked on two model types


def _bnb(fmt):
    bnb = pytest.importorskip("bitsandbytes")
    if fmt == "int8":
        return lambda lin: bnb.nn.Linear8bitLt(lin.in_features, lin.out_features, bias=lin.bias is not None,
                                               has_fp16_weights=False)
    return lambda lin: bnb.nn.Linear4bit(lin.in_features, lin.out_features, bias=lin.bias is not None,
                                         compute_dtype=torch.float32, quant_type=fmt.removesuffix("-dq"),
                                         compress_statistics=fmt == "nf4-dq", quant_storage=torch.uint8)


@pytest.mark.parametrize("data", _zoo(), ids=lambda d: d["model_type"])
def test_bitsandbytes_formats_of_every_zoo_model_type(data):
    # Every nn.Linear but the output layer replaced by bitsandbytes' modules: the state dict's tensors
    # (less the quant states' JSON and the persistent buffers, which are not weights) are the term.
    import copy

    cfg = eb.from_hf_config(data)
    built = eb.measure.build_model(data)
    for fmt in ("int8", "nf4", "nf4-dq") if data["model_type"] not in ("qwen3", "jamba") else QUANTIZED:
        if eb.pipeline.quantized_unavailable(cfg, fmt):
            with pytest.raises(ValueError, match="weights: not available"):
                _estimate(data, fmt)
            continue
        model = copy.deepcopy(built)
        if fmt == "int8" and any(isinstance(m, torch.nn.Linear) and 0 in m.weight.shape for m in model.modules()):
            continue  # bitsandbytes' int8 fails on a layer without features (glm4_moe without shared experts)
        buffers = sum(b.numel() * b.element_size() for name, b in model.named_buffers()
                      if name.split(".")[-1] not in getattr(_module(model, name), "_non_persistent_buffers_set", ()))
        model = ms.replace_every_linear(model, _bnb(fmt))
        real = ms.state_dict_bytes(model, skip=("quant_state.bitsandbytes",)) - buffers
        assert _estimate(data, fmt)["serving/weights"] == real, fmt


def _module(model, name):
    return model.get_submodule(name.rpartition(".")[0]) if "." in name else model


def test_unchecked_formats_of_zoo_families_are_refused_in_one_line():
    data = {"model_type": "qwen3", **next(d for d in _zoo() if d["model_type"] == "qwen3")}
    for fmt in ("gptq-4bit", "awq-4bit", "torchao-int8wo", "gguf-q4_0"):
        with pytest.raises(ValueError, match="counted for the chapter 12 layouts only"):
            _estimate(data, fmt)
