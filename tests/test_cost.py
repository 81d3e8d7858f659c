"""What a run cost (utils/cost.py, run_config.json "cost"), the report's cost section (reporting/sections/cost.py) and the
cost model (pipeline/cost.py): token counts recomputed from the tokenised data, hours computed by hand."""
import json
import random
import sys
from pathlib import Path

import pytest
from conftest import FAST, ROOT, make_sentence, nli_rows, write_jsonl
from test_sweep import plan

import run_intermediate
import run_retrieval
import run_target
from pipeline import cost
from pipeline.stages import Stage
from reporting.runs import Run, load_run
from reporting.sections import cost as report_cost
from utils.cost import parameter_counts


def config_file(path, argv, **typed):
    """A .json config of argv (values typed as HfArgumentParser would type them) plus typed fields that have no
    command-line form (--include_num_input_tokens_seen non_padding: the parser reads that flag as a bool)."""
    def value(text):
        for cast in (int, float):
            try:
                return cast(text)
            except ValueError:
                pass
        return text
    config, i = {}, 0
    while i < len(argv):
        if i + 1 < len(argv) and not argv[i + 1].startswith("--"):
            config[argv[i][2:]], i = value(argv[i + 1]), i + 2
        else:
            config[argv[i][2:]], i = True, i + 1
    path.write_text(json.dumps({**config, **typed}))
    return str(path)


def tokens(tokenizer, *texts, max_length=128):
    """Real tokens of each text (a pair when two lists), as the tokenizer encodes them: an independent count."""
    encoded = tokenizer(*texts, truncation=True, max_length=max_length)
    return sum(len(ids) for ids in encoded["input_ids"])


def hf_counts(model):
    return model.num_parameters(), model.num_parameters(exclude_embeddings=True)


def cost_of(out):
    config = json.loads((Path(out) / "run_config.json").read_text())
    assert config["cost"]["wall_s"] == config["duration_s"]
    return config["cost"]


# ---- the cost record of every entry point ------------------------------------------------------------------------
def test_target_run_records_tokens_flops_and_device(tiny_model_dir, tiny_data_dir, tmp_path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    argv = ["--task", "xnli", "--languages", "de", *FAST, "--model_name_or_path", str(tiny_model_dir),
            "--data_dir", str(tiny_data_dir), "--output_dir", str(tmp_path / "run")]
    run_target.main([config_file(tmp_path / "run.json", argv, include_num_input_tokens_seen="non_padding")])
    cost = cost_of(tmp_path / "run")
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    rows = {name: [json.loads(line) for line in (tiny_data_dir / path).read_text().splitlines()]
            for name, path in (("train", "mnli/train-en.jsonl"), ("dev", "mnli/validation-en.jsonl"),
                               ("test", "xnli/test-de.jsonl"))}
    count = {name: tokens(tokenizer, [r["text_a"] for r in part], [r["text_b"] for r in part])
             for name, part in rows.items()}
    # 6 steps x 8 = the 48 training pairs once; the 12 dev pairs at steps 3 and 6; the 9 German test pairs
    assert cost["train_tokens"] == count["train"] == cost["trainer_tokens_seen"]
    assert cost["eval_tokens"] == 2 * count["dev"] + count["test"]
    assert (cost["train_sequences"], cost["eval_sequences"]) == (48, 2 * 12 + 9)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir, num_labels=3)
    total, non_embedding = hf_counts(model)
    assert (cost["parameters"], cost["parameters_non_embedding"]) == (total, non_embedding)
    assert cost["flops"] == 6 * non_embedding * count["train"] + 2 * non_embedding * cost["eval_tokens"]
    assert (cost["device_type"], cost["gpus"], cost["processes"]) == ("cpu", 0, 1) and cost["device"]
    assert cost["device_hours"] == pytest.approx(cost["wall_s"] / 3600)
    assert (cost["train"]["steps"], cost["train"]["epochs"]) == (6, 1.0) and cost["train"]["samples_per_second"] > 0


def test_retrieval_run_counts_encoded_tokens_and_nothing_for_cached_embeddings(tiny_model_dir, tmp_path):
    from transformers import AutoModel, AutoTokenizer
    pairs = [{"source": f"{i} {r['text_a']}", "target": r["text_b"]} for i, r in enumerate(nli_rows(6, 9))]
    write_jsonl(tmp_path / "data" / "tatoeba" / "test-de.jsonl", pairs)
    argv = ["--task", "tatoeba", "--languages", "de", "--model_name_or_path", str(tiny_model_dir), "--data_dir",
            str(tmp_path / "data"), "--output_dir", str(tmp_path / "run"), "--embedding_cache_dir",
            str(tmp_path / "cache")]
    run_retrieval.main(argv)
    cost = cost_of(tmp_path / "run")
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    encoded = tokens(tokenizer, [p["source"] for p in pairs], max_length=512) + \
        tokens(tokenizer, [p["target"] for p in pairs], max_length=512)
    total, non_embedding = hf_counts(AutoModel.from_pretrained(tiny_model_dir))
    assert (cost["train_tokens"], cost["eval_tokens"], cost["eval_sequences"], cost["train"]) == (0, encoded, 12, None)
    assert (cost["parameters"], cost["parameters_non_embedding"]) == (total, non_embedding)
    assert cost["flops"] == 2 * non_embedding * encoded
    run_retrieval.main([*argv, "--overwrite"])  # every embedding now comes from the cache: no forward pass
    assert (cost_of(tmp_path / "run")["eval_tokens"], cost_of(tmp_path / "run")["flops"]) == (0, 0)


def test_dual_encoder_training_counts_queries_and_candidates(tiny_model_dir, tmp_path, monkeypatch):
    """The Trainer's own counter sees only the queries (the main input); the cost record counts both sides."""
    from transformers import AutoTokenizer
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    rng = random.Random(4)
    for split, n in (("train", 24), ("validation", 8)):
        write_jsonl(tmp_path / "data" / "mewslix_wikipedia" / f"{split}-en.jsonl",
                    [{"id": f"{split}{i}", "query": make_sentence(rng), "candidate": make_sentence(rng),
                      "candidate_id": f"Q{i}"} for i in range(n)])
    argv = ["--task", "mewslix_wikipedia", "--model_name_or_path", str(tiny_model_dir), "--data_dir",
            str(tmp_path / "data"), "--output_dir", str(tmp_path / "run"), *FAST]
    run_intermediate.main([config_file(tmp_path / "run.json", argv, include_num_input_tokens_seen="non_padding")])
    cost = cost_of(tmp_path / "run")
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    rows = [json.loads(line) for line in (tmp_path / "data" / "mewslix_wikipedia" / "train-en.jsonl").open()]
    queries = tokens(tokenizer, [r["query"] for r in rows], max_length=64)  # Mewsli-X: 64 tokens a side
    candidates = tokens(tokenizer, [r["candidate"] for r in rows], max_length=64)
    # 6 steps x 8 = the 24 pairs twice
    assert cost["train_tokens"] == 2 * (queries + candidates) and cost["trainer_tokens_seen"] == 2 * queries
    assert cost["train_sequences"] == 2 * 2 * 24


def test_multitask_run_records_its_cost(tiny_model_dir, tiny_data_dir, tmp_path):
    argv = ["--tasks", "mnli,pawsx", *FAST, "--model_name_or_path", str(tiny_model_dir), "--data_dir",
            str(tiny_data_dir), "--output_dir", str(tmp_path / "run")]
    run_intermediate.main([config_file(tmp_path / "run.json", argv, include_num_input_tokens_seen="non_padding")])
    cost = cost_of(tmp_path / "run")
    assert cost["train_tokens"] == cost["trainer_tokens_seen"] > 0 and cost["train_sequences"] == 6 * 8
    # the dev sets (12 mnli, 10 pawsx) at steps 3 and 6, then once more each for metrics.json
    assert cost["eval_sequences"] == 3 * (12 + 10)
    assert cost["flops"] == 6 * cost["parameters_non_embedding"] * cost["train_tokens"] + \
        2 * cost["parameters_non_embedding"] * cost["eval_tokens"]


def test_parameter_counts_leave_out_lookup_tables_but_not_a_tied_decoder(tiny_model_dir):
    from transformers import AutoModelForMaskedLM, AutoModelForTokenClassification
    embeddings = lambda m: m.roberta.embeddings  # noqa: E731
    tagger = AutoModelForTokenClassification.from_pretrained(tiny_model_dir, num_labels=5)
    tables = sum(t.weight.numel() for t in (embeddings(tagger).word_embeddings, embeddings(tagger).position_embeddings,
                                            embeddings(tagger).token_type_embeddings))
    assert parameter_counts(tagger) == hf_counts(tagger) == (hf_counts(tagger)[0], hf_counts(tagger)[0] - tables)
    mlm = AutoModelForMaskedLM.from_pretrained(tiny_model_dir)
    assert mlm.lm_head.decoder.weight is mlm.get_input_embeddings().weight  # tied: one tensor, counted once
    word = mlm.get_input_embeddings().weight.numel()
    assert parameter_counts(mlm) == hf_counts(mlm) == (hf_counts(mlm)[0], hf_counts(mlm)[0] - tables + word)


def test_gpu_device_record_names_the_gpu_and_counts_every_process(monkeypatch):
    import torch
    from utils.cost import device_record
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "NVIDIA H200")
    assert device_record("cuda:0", processes=8) == {"device": "NVIDIA H200", "device_type": "cuda", "processes": 8,
                                                    "gpus": 8}
    assert device_record("cuda", processes=1, gpus_per_process=2)["gpus"] == 2  # DataParallel: one process, 2 GPUs
    assert device_record("cpu")["gpus"] == 0 and device_record("cpu")["threads"] == torch.get_num_threads()


# ---- the report's cost section -------------------------------------------------------------------------------------
def run(intermediate, task, seed, average, hours, is_target=True, base="xlmr", device="NVIDIA H200"):
    cost = {"device_hours": hours, "device": device, "device_type": "cuda"} if hours is not None else {}
    return Run(path=f"{base}/{seed}/{intermediate}/{task}", base_model=base, intermediate=intermediate, task=task,
               seed=seed, is_target=is_target, scores={"de": average}, cost=cost)


@pytest.fixture
def cost_runs():
    return [
        run("baseline", "xnli", 1, 72, 1.0), run("baseline", "xnli", 2, 74, 1.2),      # mean 73, 1.1 h a seed
        run("baseline", "tatoeba", 1, 65, 0.1),
        run("mnli", "mnli", 1, 85, 4.0, is_target=False), run("mnli", "mnli", 2, 86, 6.0, is_target=False),
        run("mnli", "xnli", 1, 76, 1.0), run("mnli", "xnli", 2, 79, 1.4),              # mean 77.5, 1.2 h a seed
        run("mnli", "tatoeba", 1, 65, 0.1),                                            # no gain
        run("squad", "squad", 1, 80, 2.0, is_target=False), run("squad", "xnli", 1, 70, 0.5),   # a loss
        run("qqp", "qqp", 1, 80, 3.0, is_target=False), run("qqp", "xnli", 1, 75, None),        # no record
    ]


def test_cost_section_hours_per_point_by_hand(cost_runs):
    markdown, rows = report_cost.cost_section(cost_runs, Path("runs"))
    by = {row["variant"]: row for row in rows}
    mnli = by["mnli"]
    assert mnli["intermediate_hours"] == pytest.approx(5.0) and mnli["target_hours"] == pytest.approx(1.3)
    assert mnli["gains"] == "tatoeba:+0.00;xnli:+4.50" and mnli["mean_gain"] == pytest.approx(2.25)
    assert mnli["baseline_target_hours"] == pytest.approx(1.2)
    assert mnli["extra_hours"] == pytest.approx(5.0 + 1.3 - 1.2)
    assert mnli["hours_per_point"] == pytest.approx(5.1 / 2.25)
    squad = by["squad"]
    assert squad["mean_gain"] == pytest.approx(-3.0) and squad["extra_hours"] == pytest.approx(2.0 + 0.5 - 1.1)
    assert squad["hours_per_point"] is None and "no gain" in squad["note"]
    assert by["qqp"]["hours_per_point"] is None and "no cost record" in by["qqp"]["note"]
    assert by["baseline"]["target_hours"] == pytest.approx(1.2) and by["baseline"]["mean_gain"] is None
    total = by["total"]
    assert total["target_hours"] == pytest.approx(1.0 + 1.2 + 0.1 + 4 + 6 + 1 + 1.4 + 0.1 + 2 + 0.5 + 3)
    assert "11 runs; 1 without a cost record" in total["note"]
    assert "## Cost (GPU-hours)" in markdown and "| xlmr | mnli | 5 | 1.3 | 1.2 | 5.1 |" in markdown
    assert "| 2.27 |" in markdown and "Grid total: 20.3 GPU-hours" in markdown


def test_cpu_runs_are_device_hours_naming_the_device():
    cpu = "Intel Xeon"
    runs = [run("baseline", "xnli", 1, 70, 0.5, device=cpu), run("mnli", "xnli", 1, 71, 0.5, device=cpu),
            run("mnli", "mnli", 1, 80, 1.0, is_target=False, device=cpu)]
    for r in runs:
        r.cost["device_type"] = "cpu"
    markdown, rows = report_cost.cost_section(runs, Path("runs"))
    assert "## Cost (device-hours)" in markdown and "Intel Xeon (cpu)" in markdown
    assert rows[1]["hours_per_point"] == pytest.approx((1.0 + 0.5 - 0.5) / 1.0)


def test_load_run_reads_the_cost_record(tmp_path):
    out = tmp_path / "runs" / "baseline" / "xnli"
    out.mkdir(parents=True)
    (out / "metrics.json").write_text(json.dumps({"task": "xnli", "metric": "accuracy",
                                                  "per_language": {"de": {"test": {"accuracy": 70}}}}))
    (out / "run_config.json").write_text(json.dumps({"task": "xnli", "cost": {"device_hours": 0.25}}))
    (out / "DONE").write_text("")
    assert load_run(out, tmp_path / "runs", "test").cost == {"device_hours": 0.25}
    (out / "run_config.json").write_text(json.dumps({"task": "xnli"}))  # a run from before cost records
    assert load_run(out, tmp_path / "runs", "test").cost == {}


# ---- the cost model ------------------------------------------------------------------------------------------------
@pytest.fixture
def grid(tmp_path):
    """Local data with known line counts, and the stages of a small grid."""
    data = tmp_path / "data"
    write_jsonl(data / "mnli" / "train-en.jsonl", nli_rows(40, 1))
    write_jsonl(data / "mnli" / "validation-en.jsonl", nli_rows(10, 2))
    write_jsonl(data / "xnli" / "test-de.jsonl", nli_rows(7, 3))
    write_jsonl(data / "xnli" / "test-fr.jsonl", nli_rows(5, 4))
    write_jsonl(data / "tatoeba" / "test-de.jsonl", [{"source": f"s{i}", "target": f"t{i}"} for i in range(4)])
    for split, n in (("train", 6), ("validation", 3)):  # SQuAD rows: LAReQA's training pairs (line counts only)
        write_jsonl(data / "squad" / f"{split}-en.jsonl", [{"id": str(i)} for i in range(n)])
    write_jsonl(data / "lareqa" / "test-de.jsonl", [{"id": str(i)} for i in range(4)])
    write_jsonl(data / "lareqa" / "candidates.jsonl", [{"id": str(i)} for i in range(9)])
    runs = tmp_path / "runs"
    stages = [
        ["run_intermediate.py", "--task", "mnli", "--model_name_or_path", "xlm-roberta-large", "--data_dir", data,
         "--max_train_samples", "30", "--output_dir", runs / "mnli"],
        ["run_target.py", "--task", "xnli", "--model_name_or_path", runs / "mnli" / "encoder", "--data_dir", data,
         "--languages", "de,fr", "--num_train_epochs", "1", "--output_dir", runs / "mnli" / "xnli"],
        ["run_retrieval.py", "--task", "tatoeba", "--model_name_or_path", runs / "mnli" / "encoder", "--data_dir",
         data, "--languages", "de", "--output_dir", runs / "mnli" / "tatoeba"],
        ["run_target.py", "--task", "panx", "--model_name_or_path", "xlm-roberta-large", "--languages", "de",
         "--output_dir", runs / "baseline" / "panx"],                                   # from the hub
        ["run_intermediate.py", "--task", "copa", "--model_name_or_path", "xlm-roberta-large", "--output_dir",
         runs / "copa"],                                                                # hub; 2 choices an example
        ["run_target.py", "--task", "lareqa", "--model_name_or_path", "xlm-roberta-large", "--data_dir", data,
         "--languages", "de", "--output_dir", runs / "baseline" / "lareqa"],           # a dual encoder
        ["run_target.py", "--task", "xquad", "--model_name_or_path", "xlm-roberta-large", "--data_dir", data,
         "--output_dir", runs / "baseline" / "xquad"],                                  # no qa throughput
        ["run_target.py", "--task", "pawsx", "--model_name_or_path", "xlm-roberta-large", "--data_dir", data,
         "--output_dir", runs / "baseline" / "pawsx"],                                  # no local pawsx files
    ]
    stages = [Stage(script, script, list(map(str, args))) for script, *args in stages]
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps({"device": "NVIDIA H200", "model": "xlm-roberta-large (random weights)", "rows": [
        {"shape": "pairs", "config": "xstilts", "setting": "xstilts", "samples_per_s": 100, "eval_samples_per_s": 400,
         "tokens_per_s": 4600, "mfu": 0.41},
        {"shape": "pairs", "config": "hf_example", "setting": "hf_example", "samples_per_s": 10},  # not ours: ignored
        {"shape": "tagging", "samples_per_s": 50}, {"shape": "retrieval", "samples_per_s": 80},
        {"shape": "dual_encoder", "samples_per_s": 20}]}))
    return stages, bench, data, runs


def test_estimate_per_stage_by_hand(grid, capsys):
    stages, bench, _, _ = grid
    rows, total = cost.main(["--throughput", str(bench)], stages)
    seconds = [
        # mnli: 30 examples x 3 epochs = 90 at 100/s; 3 steps: one dev selection (10) + the final dev (10) at 400/s
        90 / 100 + 20 / 400,
        # xnli: 40 x 1 epoch at 100/s; one selection (10) + test de 7 + fr 5 at 400/s
        40 / 100 + 22 / 400,
        # tatoeba: 4 pairs = 8 sentences at 80/s
        8 / 80,
        # panx (hub): 20,000 x 10 epochs at 50/s; 6,250 steps: 7 selections x 500 at 3 x 50/s; hub test: unknown
        200_000 / 50 + 7 * 500 / 150,
        # copa (hub): 400 x 3 epochs x 2 pairs at 100/s; 38 steps: 1 selection + the evaluation of its 100 dev
        # examples (the official size the registry cites), 2 pairs each, at 400/s
        1200 * 2 / 100 + 2 * 100 * 2 / 400,
        # lareqa: 6 SQuAD pairs x 3 epochs at 20/s; 2 steps: 1 selection (3) + 4 German queries + the pool of 9 once
        18 / 20 + (3 + 4 + 9) / 60,
    ]
    assert [row["hours"] for row in rows[:6]] == pytest.approx([s / 3600 for s in seconds])
    assert [row["train_samples"] for row in rows[:6]] == [90, 40, 0, 200_000, 1200, 18]
    assert [row["eval_samples"] for row in rows[:6]] == [20, 22, 8, 3500, 200, 16]
    assert "evaluation sizes unknown" in rows[3]["note"] and rows[6]["hours"] is rows[7]["hours"] is None
    assert "no throughput for xlm-roberta-large, span_qa (shape qa)" in rows[6]["note"]
    assert "no local train-en.jsonl" in rows[7]["note"]
    assert total == pytest.approx(sum(seconds) / 3600)
    printed = capsys.readouterr().out
    assert "GPU-hours (NVIDIA H200) for 6 of 8 stages; 2 not estimated" in printed


def test_estimate_from_finished_runs_and_without_throughput(grid, tmp_path, capsys):
    stages, _, _, _ = grid
    out = tmp_path / "finished" / "baseline" / "xnli"
    out.mkdir(parents=True)
    (out / "metrics.json").write_text(json.dumps({"task": "xnli", "metric": "accuracy",
                                                  "per_language": {"de": {"test": {"accuracy": 70}}}}))
    (out / "run_config.json").write_text(json.dumps({
        "task": "xnli", "base_model": "xlm-roberta-large",
        "cost": {"device": "NVIDIA H200", "device_type": "cuda", "gpus": 2, "wall_s": 100,
                 "train": {"samples_per_second": 64.0}}}))
    (out / "DONE").write_text("")
    # mnli, xnli and tatoeba
    rows, _ = cost.main(["--from_runs", str(tmp_path / "finished")], stages[:3])
    # 32 pairs/s per GPU: 40 x 1 epoch, then 22 evaluation pairs at 3 x 32/s
    assert rows[1]["hours"] == pytest.approx((40 / 32 + 22 / 96) / 3600)
    assert rows[2]["hours"] is None and "no encoding throughput" in rows[2]["note"]
    with pytest.raises(SystemExit) as error:
        cost.main([], stages)
    assert error.value.code == 2
    assert "pass --throughput FILE" in capsys.readouterr().err


def test_bad_throughput_file_is_one_line_error(grid, tmp_path, capsys):
    stages, _, _, _ = grid
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"device": "cpu", "model": "m", "rows": [{"shape": "sentences", "samples_per_s": 1}]}))
    with pytest.raises(SystemExit):
        cost.main(["--throughput", str(bad)], stages)
    assert "--throughput" in capsys.readouterr().err


def test_sweep_estimate_pipes_the_grids_stages(grid, tmp_path):
    _, bench, data, _ = grid
    result = plan("--intermediates", "mnli", "--targets", "xnli", "--output_dir", tmp_path / "sweep", "--data_dir", data,
                  "--languages", "de", "--estimate", bench, "--", "--num_train_epochs", "1")  # the planner's view
    assert result.returncode == 0, result.stderr
    # mnli 40 x 1 at 100/s + (10 + 10) / 400; xnli 40 x 1 at 100/s + (10 + 7) / 400
    assert f"total: {(0.4 + 0.05 + 0.4 + 17 / 400) / 3600:.3g} GPU-hours (NVIDIA H200) for 2 of 2 stages" \
        in result.stdout
    assert not (tmp_path / "sweep" / "xlm-roberta-large").exists()  # nothing ran


def test_estimate_counts_the_few_shot_runs_by_hand(grid):
    _, bench, data, runs = grid
    write_jsonl(data / "xnli" / "validation-de.jsonl", nli_rows(9, 5))  # the shots' source and the dev set
    stage = Stage("run_target.py", "run_target.py", [str(a) for a in [
        "--task", "xnli", "--model_name_or_path", "xlm-roberta-large", "--data_dir", data, "--languages", "de",
        "--num_train_epochs", "1", "--output_dir", runs / "mnli" / "xnli", "--few_shot", "1,2", "--shot_sets", "2",
        "--few_shot_epochs", "3"]])
    rows, _ = cost.main(["--throughput", str(bench)], [stage])
    # training: 40 English examples, then 2 sets x (1 + 2) x 3 labels shots x 3 epochs = 54
    # evaluation: one selection (10) + test de (7); each of the 4 few-shot runs: test de (7) + dev de (9) x 3 epochs
    assert rows[0]["train_samples"] == 40 + 54 and rows[0]["eval_samples"] == 10 + 7 + 4 * 7 + 4 * 9 * 3
    assert rows[0]["hours"] == pytest.approx(((40 + 54) / 100 + 153 / 400) / 3600)
    assert "few-shot: 2 sets x K 1,2 x 1 languages, 3 epochs at most" in rows[0]["note"]


def test_estimate_counts_the_language_adapter_stages_by_hand(grid, tmp_path):
    """An MLM-alone stage (a language adapter's): the corpus's non-blank lines x epochs, or --max_steps x the batch,
    at the mlm rows' rate for its method (benchmarks/bench_mlm.py --out, run here on the tiny model); no evaluation;
    an MLM corpus beside other tasks is not estimated."""
    _, training, _, runs = grid
    corpus = tmp_path / "de.txt"
    corpus.write_text("eins\n\nzwei\ndrei\n" * 25)  # 75 non-blank lines
    bench = tmp_path / "bench_mlm.json"
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_mlm
    measured = bench_mlm.main(["--config", "tiny", "--steps", "1", "--warmup_steps", "0", "--batch_size", "2",
                               "--peft", "lora", "--out", str(bench)])
    rate = next(row["samples_per_s"] for row in measured if row["head"] == "masked only")
    adapter = ["run_intermediate.py", "--task", "mlm", "--mlm_corpus", corpus, "--mlm_language", "de", "--peft",
               "lora", "--model_name_or_path", "tiny", "--output_dir", runs / "lang" / "de"]
    stages = [Stage("run_intermediate.py", "run_intermediate.py", list(map(str, argv))) for argv in (
        adapter[1:] + ["--num_train_epochs", "2"], adapter[1:] + ["--max_steps", "10"], adapter[1:7] + [
            "--model_name_or_path", "tiny", "--output_dir", str(runs / "lang" / "full")],
        ["--task", "mnli", "--mlm_corpus", corpus, "--model_name_or_path", "tiny", "--output_dir", runs / "m"])]
    rows, _ = cost.main(cost.source_flags(f"{training},{bench}"), stages)  # --estimate bench.json,bench_mlm.json
    assert [row["train_samples"] for row in rows[:2]] == [150, 10 * 32]  # the recipe's effective batch: 32
    assert [row["eval_samples"] for row in rows[:2]] == [0, 0]
    assert rows[0]["hours"] == pytest.approx(150 / rate / 3600)
    assert "no throughput for tiny, mlm (benchmarks/bench_mlm.py --out)" in rows[2]["note"]  # a full-training stage
    assert "MLM beside other tasks" in rows[3]["note"] and rows[3]["hours"] is None
