"""Memory over one training step: MemTracker's timeline against its own peak and the package's moments."""

import pytest

torch = pytest.importorskip("torch")

import everybyte as eb  # noqa: E402


def test_timeline_peaks_where_the_tracker_and_the_package_do():
    name, data = next(iter(eb.benchmark.BENCHMARK_CONFIGS.items()))  # the small GPT-2
    samples = eb.measure.training_step_timeline(eb.measure.build_model(data), 4, 128)
    phases = [s.phase for s in samples]
    assert phases == sorted(phases, key=("forward", "backward", "optimizer").index)  # one pass of each, in order
    assert all(s.total == sum(s.by_kind.values()) for s in samples)
    assert samples[0].by_kind["Gradient"] == 0 and samples[0].by_kind["Activation"] == 0  # set_to_none, fresh step
    measured_peak = eb.measure.training_step_peak_bytes(eb.measure.build_model(data), 4, 128)
    assert max(s.total for s in samples) == measured_peak
    cfg = eb.from_hf_config(data, name=name)
    est = eb.estimate(cfg, eb.Workload(4, 128), eb.Setup("fp32"))
    assert est["training_peak"] == measured_peak  # exact for this model in fp32 (chapter 13)
    # The optimizer update: states, weights, gradients and AdamW's two temporaries of the largest tensor
    # (the timeline also holds the loss scalar and a few KiB the package's moment leaves out).
    update = max(s.total for s in samples if s.phase == "optimizer")
    assert 0 <= update - est["training_peak/optimizer_update"] <= 0.001 * update


def test_timeline_refuses_a_model_off_the_cpu():
    class Fake:
        def parameters(self):
            yield torch.empty(1, device="meta")

    with pytest.raises(ValueError, match="CPU"):
        eb.measure.training_step_timeline(Fake(), 1, 1)
