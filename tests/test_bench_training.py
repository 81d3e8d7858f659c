"""benchmarks/bench_training.py on the tiny model: the JSON it writes, and that its token count is the attention-mask
sum of exactly the timed batches (no speed is asserted)."""
import json
import sys

import pytest

from conftest import ROOT
from tasks import classification, span_qa, tagging

sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_training  # noqa: E402

MAX_LENGTH = {"pairs": 128, "qa": 384, "tagging": 128}


@pytest.fixture()
def recorded(monkeypatch):
    """Every batch the kinds' collators make, in order, per (shape, config) run."""
    batches = []
    for module in (classification, span_qa, tagging):
        def wrap(spec, tokenizer, data_args, _make=module.KIND.data_collator):
            collate = _make(spec, tokenizer, data_args)

            def record(features):
                batch = collate(features)
                batches[-1].append(batch["attention_mask"].clone())
                return batch
            return record
        monkeypatch.setattr(module.KIND, "data_collator", wrap)  # the kind object the benchmark calls
    real_measure = bench_training.measure

    def measure(*args, **kwargs):
        batches.append([])
        return real_measure(*args, **kwargs)
    monkeypatch.setattr(bench_training, "measure", measure)
    return batches


def test_tiny_run_writes_the_rows_and_counts_only_the_timed_batches_real_tokens(tmp_path, recorded):
    out = tmp_path / "bench.json"
    args = bench_training.parse(["--config", "tiny", "--steps", "2", "--warmup_steps", "1", "--batch_size", "2",
                                 "--grad_accum", "2", "--peak_tflops", "0.5", "--out", str(out)])
    bench_training.run(args)
    document = json.loads(out.read_text())
    assert document["device"] == "cpu" and document["model"] == "tiny" and document["weights"] == "random"
    assert document["data"] == {"pairs": "synthetic (400 rows)", "qa": "synthetic (12 rows)",
                                "tagging": "synthetic (400 rows)"}
    rows = document["rows"]
    assert [(r["shape"], r["config"]) for r in rows] == [(s, c) for s in ("pairs", "qa", "tagging")
                                                         for c in ("xstilts", "hf_example")]
    for row, batches in zip(rows, recorded):
        timed = batches[2:6]  # step 1 (2 batches of accumulation) is warmup; steps 2 and 3 are timed
        tokens = sum(int(mask.sum()) for mask in timed)
        seconds = row["seconds"]
        assert row["setting"] == row["config"] and row["samples"] == 8 and row["tokens"] == tokens
        assert row["samples_per_s"] == pytest.approx(8 / seconds)
        assert row["tokens_per_s"] == pytest.approx(tokens / seconds)
        assert row["padded_tokens_per_s"] == pytest.approx(sum(m.numel() for m in timed) / seconds)
        assert row["mfu"] == pytest.approx(6 * row["non_embedding_parameters"] * tokens / seconds / 0.5e12)
        if row["config"] == "hf_example" or row["shape"] == "qa":  # padded to max length (QA: full windows)
            assert all(m.shape[1] == MAX_LENGTH[row["shape"]] for m in timed)
        else:
            assert max(m.shape[1] for m in timed) < MAX_LENGTH[row["shape"]]
    assert all(int(m.sum()) == m.numel() for r, b in zip(rows, recorded) if r["shape"] == "qa" for m in b)
    from pipeline import cost  # the cost model reads this file: our rows, HF's defaults left out
    throughput = cost.from_files([out])
    assert throughput.train == {("tiny", r["shape"], "full"): r["samples_per_s"] for r in rows if r["config"] == "xstilts"}


def test_non_embedding_parameters_leave_out_the_embedding_tables(tiny_model_dir):
    from transformers import AutoModelForTokenClassification
    from utils.cost import parameter_counts
    model = AutoModelForTokenClassification.from_pretrained(tiny_model_dir, num_labels=7)
    config = model.config
    tables = (config.vocab_size + config.max_position_embeddings + config.type_vocab_size) * config.hidden_size
    assert parameter_counts(model)[1] == model.num_parameters() - tables


def test_peaks_by_device_name_and_bad_arguments():
    assert bench_training.peak_tflops("NVIDIA H100 80GB HBM3") == 989
    assert bench_training.peak_tflops("NVIDIA H100 PCIe") == 756
    assert bench_training.peak_tflops("NVIDIA A100-SXM4-80GB") == 312
    assert bench_training.peak_tflops("NVIDIA L40S") == 362 and bench_training.peak_tflops("NVIDIA L4") == 121
    assert bench_training.peak_tflops("NVIDIA A10G") == 125
    assert bench_training.peak_tflops("Tesla V100-SXM2-16GB") == 125
    assert bench_training.peak_tflops("Some GPU") is None and bench_training.peak_tflops("Some GPU", 50.0) == 50.0
    with pytest.raises(SystemExit):
        bench_training.parse(["--shapes", "pairs,mcq"])
    with pytest.raises(SystemExit):
        bench_training.parse(["--config", "tiny", "--tokenizer", "xlm-roberta-large"])


def test_configurations_on_a_mocked_gpu_and_on_cpu(monkeypatch):
    import utils.device
    h200 = {"name": "NVIDIA H200", "bf16": True, "tf32": True, "count": 1}
    monkeypatch.setattr(utils.device, "cuda_capabilities", lambda: h200)
    monkeypatch.setattr(bench_training, "cuda_capabilities", lambda: h200)
    training, model, pad = bench_training.setting_arguments("xstilts", "cuda")
    assert (training["bf16"], training["tf32"], training["optim"], model, pad) == \
        (True, True, "adamw_torch_fused", {"attn_implementation": "sdpa"}, False)
    assert bench_training.setting_arguments("hf_example", "cuda") == \
        ({"train_sampling_strategy": "random", "tf32": False}, {}, True)  # fp32, TF32 off, defaults otherwise
    assert bench_training.setting_arguments("xstilts", "cpu") == ({}, {"attn_implementation": None}, False)
    assert bench_training.setting_arguments("hf_example", "cpu") == ({"train_sampling_strategy": "random"}, {}, True)
