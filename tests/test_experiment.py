"""Experiment files (pipeline/experiment.py, pipeline/jobs.py) and scripts/sweep.sh --experiment: parsing, expansion, bad input, the
question files at full and miniature scale, language adapter stages, and a sweep of variants with a stub pipeline."""
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from test_sweep import ROOT, plan, stub, sweep

from pipeline import experiment
from pipeline.jobs import experiment_jobs
from pipeline.stages import planned, stages
from pipeline.cli import pipeline_options
from utils.args import InputError

QUESTIONS = sorted((ROOT / "experiments").glob("q*.json"))


def write(path, doc):
    path.write_text(json.dumps(doc))
    return path


def small(tmp_path, **changes):
    doc = {"description": "d", "targets": ["xnli", "tatoeba"], "models": ["m1", "org/m2"], "seeds": [1, 2],
           "variants": [{"name": "baseline"}, {"name": "mnli_en", "task": "mnli"},
                        {"name": "mnli_multi", "task": "mnli", "train_languages": ["en", "de"], "mlm_weight": 0.2,
                         "mlm_corpus": "c.txt", "target_flags": ["--learning_rate", "2e-5"]},
                        {"name": "multi", "tasks": ["mnli", "squad"]},
                        {"name": "own_model", "task": "squad", "model": "roberta-large"}],
           "trainer_flags": ["--bf16"], "target_flags": {"tatoeba": ["--layer", "8"]}}
    doc.update(changes)
    return write(tmp_path / "e.json", doc)


def test_expansion_variants_models_seeds(tmp_path):
    exp = experiment.load(small(tmp_path), output_dir=tmp_path / "runs")
    jobs = experiment_jobs(exp, tmp_path / "runs")
    # 2 models x 2 seeds x 4 variants + the variant with its own model once per seed (not once per model)
    assert len(jobs) == 2 * 2 * 4 + 2
    by_name = {job.name: job for job in jobs}
    job = by_name["m2 seed2 mnli_multi"]
    args = job.pipeline_args
    opt = lambda name: args[args.index(name) + 1]  # noqa: E731
    assert (opt("--intermediate"), opt("--name"), opt("--model_name_or_path"), opt("--seed")) == \
        ("mnli", "mnli_multi", "org/m2", "2")
    assert opt("--output_dir") == str((tmp_path / "runs" / "m2" / "seed2").resolve())
    assert job.run_dir == str((tmp_path / "runs" / "m2" / "seed2" / "mnli_multi").resolve())
    assert shlex.split(opt("--intermediate_flags")) == ["--train_languages", "en,de", "--mlm_corpus", "c.txt",
                                                       "--mlm_weight", "0.2"]
    assert opt("--target_flags") == "--learning_rate 2e-5"
    assert args[args.index("--flags_for") + 1: args.index("--flags_for") + 3] == ["tatoeba", "--layer 8"]
    assert job.trainer_flags == ["--bf16"]
    assert by_name["m1 seed1 multi"].pipeline_args[1] == "mnli,squad"
    assert "--intermediate_flags" not in by_name["m1 seed1 baseline"].pipeline_args
    own = [j for j in jobs if j.name.endswith("own_model")]
    assert [j.name for j in own] == ["roberta-large seed1 own_model", "roberta-large seed2 own_model"]


@pytest.mark.parametrize("change, message", [
    ({"colour": "red"}, "e.json: unknown field 'colour'"),
    ({"variants": [{"name": "a", "task": "mnli", "epochs": 3}]}, "variants[0] ('a'): unknown field 'epochs'"),
    ({"variants": [{"name": "a", "task": "mnlii"}]}, "variants[0] ('a'): task: unknown or untrainable task 'mnlii'"),
    ({"variants": [{"name": "a", "tasks": ["mnli", "tatoeba"]}]}, "tasks: unknown or untrainable task 'tatoeba'"),
    ({"variants": [{"name": "a", "task": "mnli"}, {"name": "a", "task": "squad"}]}, "two variants are named 'a'"),
    ({"variants": [{"name": "baseline", "task": "mnli"}]}, "the variant named 'baseline' is the reference"),
    ({"variants": [{"name": "x", "mlm_corpus": "c.txt"}]}, "--mlm_corpus needs intermediate training"),
    ({"variants": [{"name": "a/b", "task": "mnli"}]}, "'name' must be a folder name"),
    ({"targets": ["xnli", "mnli"]}, "targets: unknown target task 'mnli'"),
    ({"seeds": "1,2"}, "'seeds' must be a list of integers"),
    ({"extra_eval": {"panx": {"a": "D"}}}, "extra_eval: unknown field 'panx'"),
    ({"target_flags": {"panx": ["--x"]}}, "target_flags: 'panx' is not one of the targets"),
    ({"variants": [{"name": "a", "task": "mnli", "train_file": "my file.jsonl"}]}, "must not contain spaces"),
    ({"variants": [{"name": "a", "language_adapters": True}]}, "('a'): language_adapters: the experiment has no"),
    ({"variants": [{"name": "a", "language_adapters": "yes"}]}, "language_adapters: expected true or false"),
    ({"language_adapters": {"corpora": {"de": "de.txt"}}}, "language_adapters/corpora: no English text ('en')"),
    ({"language_adapters": {"corpora": {"en": "en.txt", "xx": "x.txt"}}}, "'xx' is not in the language registry"),
    ({"language_adapters": {"corpora": ["en.txt"]}}, "language_adapters: 'corpora' must be"),
    ({"language_adapters": {"corpora": {"en": "a,b.txt"}}}, "corpora/en: expected a file path without spaces"),
    ({"language_adapters": {"corpora": {"en": "en.txt"}, "steps": 3}}, "language_adapters: unknown field 'steps'"),
])
def test_bad_experiment_is_one_error_naming_file_and_field(tmp_path, change, message):
    with pytest.raises(InputError, match=None) as error:
        experiment.load(small(tmp_path, **change), output_dir=tmp_path)
    assert message in str(error.value) and "e.json" in str(error.value)


def test_invalid_json_names_the_line(tmp_path):
    path = tmp_path / "e.json"
    path.write_text('{"targets": ["xnli"],\n "variants": [}\n')
    with pytest.raises(InputError, match=r"e\.json:2: not valid JSON"):
        experiment.load(path)


def test_mini_overrides_and_says_what_it_shrinks(tmp_path):
    path = small(tmp_path, mini={"note": "tiny", "models": ["tiny-model"], "seeds": [7], "targets": ["xnli"],
                                 "variants": {"mnli_multi": None, "multi": None, "own_model": None,
                                              "mnli_en": {"task": "udpos"}},
                                 "trainer_flags": ["--max_steps", "2"]})
    exp = experiment.load(path, mini=True, output_dir=tmp_path)
    assert [v.name for v in exp.variants] == ["baseline", "mnli_en"]
    assert exp.variants[1].intermediate == "udpos" and exp.models == ["tiny-model"] and exp.seeds == [7]
    shrunk = "\n".join(exp.shrunk)
    assert "tiny" in shrunk and 'models: ["m1", "org/m2"] -> ["tiny-model"]' in shrunk
    assert "variant mnli_multi: left out" in shrunk and 'variant mnli_en: {"task": "udpos"}' in shrunk
    with pytest.raises(InputError, match="mini/variants: unknown field 'nope'"):
        experiment.load(small(tmp_path, mini={"variants": {"nope": None}}), mini=True)
    with pytest.raises(InputError, match="has no 'mini' section"):
        experiment.load(small(tmp_path), mini=True)


@pytest.mark.parametrize("path", QUESTIONS, ids=lambda p: p.stem)
def test_question_files_expand_at_paper_scale(path, tmp_path):
    exp = experiment.load(path, output_dir=tmp_path)
    jobs = experiment_jobs(exp, tmp_path)
    assert exp.description and "baseline" in [v.name for v in exp.variants]
    assert len(jobs) == len(exp.models) * len(exp.seeds) * len(exp.variants) and len(exp.seeds) >= 3
    assert {Path(job.run_dir).name for job in jobs} == {v.name for v in exp.variants}


def test_the_seven_questions_are_there():
    assert [p.stem.split("_")[0] for p in QUESTIONS] == ["q1", "q2", "q3", "q4", "q5", "q6", "q7"]


@pytest.mark.parametrize("mini", [False, True], ids=["paper", "mini"])
def test_language_adapter_variants_train_their_adapters_before_the_targets(mini, tmp_path, request):
    """Q7's plan: a variant with language_adapters trains one MLM LoRA adapter per language of the experiment's
    corpora (in <variant>/lang/<language>), before its intermediate and target stages; its trained targets compose
    them (--peft lora --language_adapters <variant>/lang/{lang}); the pre-flight knows the folders are planned; the
    launcher's flags give the same stages; variants without them get none."""
    path = ROOT / "experiments" / "q7_parameter_efficient.json"
    if mini:  # its {real_model}
        request.getfixturevalue("real_model_dir")
    exp = experiment.load(path, mini=mini, output_dir=tmp_path)
    doc = json.loads(path.read_text())
    corpora = (doc["mini"] if mini else doc)["language_adapters"]["corpora"]
    assert list(exp.language_corpora) == list(corpora) and "en" in corpora
    jobs = {Path(job.run_dir).name: job for job in experiment_jobs(exp, tmp_path)}
    assert {"baseline", "lora", "lora_lang", "stilts", "stilts_lora", "stilts_lora_lang"} <= set(jobs)
    for name, job in jobs.items():
        plan = stages(job.options)
        launched = pipeline_options([*job.pipeline_args, "--", *job.trainer_flags])[0]
        assert [s.argv for s in plan] == [s.argv for s in stages(launched)]
        adapters = [s for s in plan if s.name.startswith("language adapter ")]
        targets = [s for s in plan if s.name.startswith("target ")]
        assert plan[-len(targets):] == targets and len(targets) == len(exp.targets)
        if not name.endswith("_lang"):
            assert not adapters and not any("--language_adapters" in s.argv for s in plan), name
            continue
        assert plan[:len(adapters)] == adapters and [s.name[len("language adapter "):] for s in adapters] == \
            list(corpora)
        for stage, (lang, text) in zip(adapters, exp.language_corpora.items()):
            argv = stage.argv
            opt = lambda flag: argv[argv.index(flag) + 1]  # noqa: E731
            assert (stage.script, opt("--task"), opt("--mlm_corpus"), opt("--mlm_language"), opt("--peft")) == \
                ("run_intermediate.py", "mlm", text, lang, "lora")
            assert opt("--model_name_or_path") == job.options.model  # the base model, not the intermediate encoder
            assert stage.output_dir == str(Path(job.run_dir) / "lang" / lang)
            flags = exp.language_adapter_flags  # after the trainer flags: they win
            assert flags and argv[len(argv) - 2 - len(flags):-2] == flags
        for stage in targets:
            argv = stage.argv
            assert argv[argv.index("--language_adapters") + 1] == str(Path(job.run_dir) / "lang" / "{lang}")
            assert argv[argv.index("--peft") + 1] == "lora"
        assert {s.output_dir for s in adapters} <= planned(job.options)
        assert ("stilts" in name) == any(s.name.startswith("intermediate ") for s in plan)


def test_q3_has_a_language_adapter_variant_for_distant_languages(tmp_path, request):
    """Q3's lora_lang_distant: adapters for English and distant languages only (the others use the closest by URIEL),
    against its plain counterpart lora; in the miniature too, where UD POS is the trained target they apply to."""
    from utils.typology import transfer_distance
    for mini in (False, True):
        if mini:
            request.getfixturevalue("real_model_dir")
        exp = experiment.load(ROOT / "experiments" / "q3_typology_augmentation.json", mini=mini, output_dir=tmp_path)
        variants = {v.name: v for v in exp.variants}
        assert variants["lora_lang_distant"].language_adapters and not variants["lora"].language_adapters
        others = [lang for lang in exp.language_corpora if lang != "en"]
        assert "en" in exp.language_corpora and others
        assert min(transfer_distance("en", lang) for lang in others) > transfer_distance("en", "de")
        assert mini <= ("udpos" in exp.targets)


def test_sweep_experiment_runs_variants_and_skips_finished(tmp_path):
    pipeline, out = stub(tmp_path), tmp_path / "runs"
    path = write(tmp_path / "e.json", {"targets": ["xnli", "pawsx"], "models": ["m"], "seeds": [1],
                                       "variants": [{"name": "baseline"}, {"name": "en_only", "task": "mnli"},
                                                    {"name": "multi", "task": "mnli", "train_languages": "en,de"}]})
    result = sweep("--experiment", path, "--output_dir", out, "--pipeline", pipeline, check=True)
    assert "3 jobs, 3 to run" in result.stdout
    for name in ("baseline", "en_only", "multi"):
        assert (out / "m" / "seed1" / name / "pawsx" / "DONE").is_file()
    again = sweep("--experiment", path, "--output_dir", out, "--pipeline", pipeline, check=True)
    assert "3 jobs, 0 to run" in again.stdout
    status = plan("--experiment", path, "--output_dir", out, "--status", check=True)
    assert status.stdout.count("done: ") == 3 and "done: m seed1 multi" in status.stdout


def test_sweep_experiment_dry_run_and_bad_file_run_nothing(tmp_path):
    out = tmp_path / "runs"
    path = write(tmp_path / "e.json", {"targets": ["xnli"], "models": ["m"],
                                       "variants": [{"name": "baseline"}, {"name": "x", "task": "mnli"}]})
    result = plan("--experiment", path, "--output_dir", out, "--dry_run", "--mode", "slurm",
                  "--pipeline", stub(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "--name x" in result.stdout and "#SBATCH --array=0-1" in result.stdout and not out.exists()
    bad = write(tmp_path / "bad.json", {"targets": ["xnli"], "variants": [{"name": "x", "task": "nope"}]})
    result = plan("--experiment", bad, "--output_dir", out, "--dry_run")
    assert result.returncode == 2 and "bad.json: variants[0] ('x'): task: unknown" in result.stderr
    assert not out.exists()
    result = plan("--experiment", path, "--intermediates", "mnli", "--output_dir", out)
    assert result.returncode == 2 and "drop --intermediates" in result.stderr


def test_pipeline_name_records_the_variant_and_flags_for_one_target(tmp_path):
    options, _ = pipeline_options(["--intermediate", "mnli", "--name", "en_only", "--targets", "xnli,tatoeba",
                                   "--output_dir", str(tmp_path / "runs"), "--flags_for", "xnli", "--eval_steps 7"])
    planned = [stage.argv for stage in stages(options)]
    assert len(planned) == 3
    for fields in planned:
        assert fields[fields.index("--variant") + 1] == "en_only"
        assert fields[fields.index("--output_dir") + 1].startswith(str(tmp_path / "runs" / "en_only"))
    xnli = next(f for f in planned if "xnli" in f)
    assert xnli[xnli.index("--eval_steps") + 1] == "7" and "--eval_steps" not in next(f for f in planned if "tatoeba" in f)


@pytest.mark.slow
@pytest.mark.parametrize("path", QUESTIONS, ids=lambda p: p.stem)
def test_question_miniatures_pass_the_grid_check(path, tmp_path, real_model_dir, shared_data):
    """--mini --dry_run: the miniature's data is prepared and every stage of every job passes the preflight (the
    real model, the converted ../shared/data files, every flag of every variant); nothing is trained."""
    out = tmp_path / "mini"
    result = sweep("--experiment", path, "--output_dir", out, "--mini", "--dry_run", timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "mini: " in result.stderr and "preflight: " in result.stdout
    assert (out / "mini_data" / "READY").is_file() and not list(out.glob("*/seed*/*/DONE"))


@pytest.mark.slow
def test_q1_miniature_end_to_end_has_the_domain_shift_table(tmp_path, real_model_dir, shared_data):
    """The Q1 miniature, shortened (40 steps per stage at a learning rate of 2e-4, 400 test sentences per set, 200 UD
    dev sentences, checkpoints selected on 100 dev sentences): the real model, UD POS intermediate training in
    English and in five languages, PAN-X into Dutch WikiANN and the Europeana newspapers; every run tags Dutch
    entities (in-domain F1 above 0: at the file's 5e-5, 40 steps leave every tag O), the report's domain-shift
    table holds every variant, and its numbers are the runs' own."""
    out, doc = tmp_path / "mini", json.loads(QUESTIONS[0].read_text())
    doc["mini"]["target_flags"] = {"panx": ["--max_eval_samples", "400"]}  # the file's 2,000 per set, cut for CI
    path = write(tmp_path / "q1.json", doc)
    sweep("--experiment", path, "--output_dir", out, "--mini", "--", "--max_steps", "40", "--learning_rate", "2e-4",
          "--max_eval_samples", "200", "--selection_examples", "100", check=True, timeout=2400)
    report = subprocess.run([sys.executable, str(ROOT / "scripts" / "report.py"), str(out), "--output_dir",
                             str(tmp_path / "report")], capture_output=True, text=True, timeout=600)
    assert report.returncode == 0, report.stderr[-3000:]
    text = (tmp_path / "report" / "report.md").read_text()
    assert "Domain shift" in text
    runs = {name: json.loads((next(out.glob(f"*/seed1/{name}/panx")) / "metrics.json").read_text())
            for name in ("baseline", "en_only", "multilingual")}
    for name, metrics in runs.items():
        in_domain, out_domain = (metrics["per_language"]["nl"][split]["f1"] for split in ("test", "europeana_nl"))
        assert in_domain > 0, f"{name}: no Dutch entity found (F1 0): the table's check below would hold for any run"
        row = next(line for line in text.splitlines() if f"| {name} | europeana_nl | nl |" in line)
        assert f"{in_domain:.1f}" in row and f"{out_domain:.1f}" in row and f"{in_domain - out_domain:.1f}" in row
