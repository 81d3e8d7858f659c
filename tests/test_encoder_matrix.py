"""The encoder matrix: tiny random encoders of every architecture a researcher may name (built in the test, no hub),
each with the tokenizer kind its real model uses, each through one intermediate task and into a target of every
kind (classification, multiple choice, span QA, tagging, dual encoder, retrieval) through the scripts; then the
pooling each dual encoder takes, the pre-flight error for a pooler the encoder lacks, and the toolkit's own heads
(utils/heads.py) through checkpoints, resume, best-model loading and save_encoder."""
import json

import pytest
import torch
from safetensors import safe_open
from builders import interrupt
from conftest import FAST
from encoders import ENCODERS, TINY, build_encoder
from test_grid import STEPS, TARGETS, grid_data, run_cell  # noqa: F401 (a fixture)
from transformers import (CONFIG_MAPPING, AutoConfig, AutoModel, AutoModelForMultipleChoice,
                          AutoModelForQuestionAnswering, AutoModelForSequenceClassification,
                          AutoModelForTokenClassification, AutoTokenizer)

import run_intermediate
import run_target
from utils.args import InputError
from utils.heads import head_class, own_head_class
from utils.modeling import has_pooler, save_encoder

# architecture -> the intermediate task it goes through: the intermediate kinds rotate over the architectures;
# EuroBERT takes SQuAD, whose head transformers lacks for it (the toolkit's head, then save_encoder)
ARCHITECTURES = {
    "bert": "mnli", "xlm-roberta": "ccg", "roberta": "hellaswag", "deberta-v2": "squad", "modernbert": "mnli",
    "electra": "ccg", "distilbert": "hellaswag", "rembert": "squad", "eurobert": "squad",
    "xlm-roberta-xl": "mnli", "sentencepiece": "hellaswag",
}
POOLER = {"bert", "xlm-roberta", "roberta", "rembert", "xlm-roberta-xl"}  # the architectures with a pooler
OWN_HEADS = {("eurobert", "xquad"), ("eurobert", "xcopa")}  # (arch, target) that transformers has no head for
_BUILT = {}  # architecture -> (base model, encoder written by its intermediate run), once per session


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def intermediate_encoder(arch, grid_data, tmp_path_factory):
    if arch not in _BUILT:
        root = tmp_path_factory.mktemp(f"matrix-{arch}")
        base = build_encoder(arch, root / "base")
        _BUILT[arch] = None  # a failed intermediate run fails its row once, not once per cell
        run_intermediate.main(["--task", ARCHITECTURES[arch], "--model_name_or_path", str(base), "--data_dir",
                               str(grid_data), "--output_dir", str(root / "intermediate"), *STEPS])
        _BUILT[arch] = (base, root / "intermediate" / "encoder")
    if _BUILT[arch] is None:
        pytest.fail(f"{arch}: its intermediate run failed (see test_intermediate[{arch}])")
    return _BUILT[arch]


def read_config(directory):
    return json.loads((directory / "config.json").read_text())


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_intermediate(arch, grid_data, tmp_path_factory):
    """The encoder an intermediate run saves is the bare encoder of its architecture, with its tokenizer."""
    base, encoder = intermediate_encoder(arch, grid_data, tmp_path_factory)
    assert read_config(encoder)["architectures"] == read_config(base)["architectures"]
    assert read_config(encoder)["model_type"] == read_config(base)["model_type"]
    text = "the cat sees a dog"
    assert AutoTokenizer.from_pretrained(encoder)(text)["input_ids"] == AutoTokenizer.from_pretrained(base)(text)[
        "input_ids"]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_cell(arch, target, grid_data, tmp_path_factory, tmp_path):
    _, encoder = intermediate_encoder(arch, grid_data, tmp_path_factory)
    out = run_cell(target, encoder, grid_data, tmp_path / target)
    if TARGETS[target] == "retrieval":
        return
    head = json.loads((out / "run_config.json").read_text())["head"]
    if TARGETS[target] == "dual_encoder":
        assert head["embedding_pooling"] == ("pooler" if arch in POOLER else "cls")
        assert head["pooling_rule"].startswith("default")
        with safe_open(str(encoder / "model.safetensors"), "pt") as weights:  # the intermediate head kept a pooler?
            kept = any(".pooler." in f".{key}" for key in weights.keys())
        assert ("weights are new" in head["pooling_rule"]) == (arch in POOLER and not kept), head
    else:
        assert (head["source"] == "transformers") == ((arch, target) not in OWN_HEADS), head


# ---- pooling ----
def tiny_config(arch):
    model_type = "deberta-v2" if arch == "sentencepiece" else arch
    return CONFIG_MAPPING[model_type](**{**TINY, "vocab_size": 100, "pad_token_id": 0, **ENCODERS[arch][1]})


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_pooler_is_read_from_the_config_alone(arch):
    assert has_pooler(tiny_config(arch)) == (arch in POOLER)


def test_a_pooler_the_encoder_lacks_is_a_preflight_error(grid_data, tmp_path):
    base = build_encoder("deberta-v2", tmp_path / "deberta")
    out = tmp_path / "run"
    argv = ["--task", "lareqa", "--model_name_or_path", str(base), "--data_dir", str(grid_data), "--output_dir",
            str(out), "--languages", "de", *STEPS]
    with pytest.raises(InputError) as error:
        run_target.main([*argv, "--embedding_pooling", "pooler"])
    assert str(error.value) == ("--embedding_pooling pooler: deberta-v2 encoders have no pooler; expected cls or "
                                "mean (or leave it out: the pooler where the encoder has one, else CLS)")
    assert not out.exists()  # nothing written, no model loaded
    run_target.main([*argv, "--embedding_pooling", "mean"])  # asked for, and recorded
    head = json.loads((out / "run_config.json").read_text())["head"]
    assert head["embedding_pooling"] == "mean" and head["pooling_rule"].startswith("asked for")


# ---- the toolkit's own heads ----
KINDS = {AutoModelForSequenceClassification: {"num_labels": 3}, AutoModelForTokenClassification: {"num_labels": 5},
         AutoModelForQuestionAnswering: {}, AutoModelForMultipleChoice: {}}


@pytest.fixture(scope="module")
def eurobert(tmp_path_factory):
    return build_encoder("eurobert", tmp_path_factory.mktemp("eurobert") / "base")


def test_own_heads_only_where_transformers_has_none(eurobert):
    config = AutoConfig.from_pretrained(eurobert)
    chosen = {auto_class: head_class(auto_class, config).__name__ for auto_class in KINDS}
    assert list(chosen.values()) == ["AutoModelForSequenceClassification", "AutoModelForTokenClassification",
                                     "XstiltsEuroBertForQuestionAnswering", "XstiltsEuroBertForMultipleChoice"]
    bert = tiny_config("bert")
    assert all(head_class(auto_class, bert) is auto_class for auto_class in KINDS)


@pytest.mark.parametrize("auto_class", KINDS, ids=lambda c: c.__name__)
def test_own_heads_load_the_encoder_and_learn(auto_class, eurobert):
    """Each own head (also those transformers has for EuroBERT) loads every encoder weight, initialises only its
    own, and three steps lower its loss."""
    config = AutoConfig.from_pretrained(eurobert, **KINDS[auto_class])
    model, info = own_head_class(auto_class, config).from_pretrained(eurobert, config=config, output_loading_info=True)
    bare = AutoModel.from_pretrained(eurobert)
    assert info["missing_keys"] and all(not key.startswith("model.") for key in info["missing_keys"])
    assert all(torch.equal(value, model.base_model.state_dict()[key]) for key, value in bare.state_dict().items())
    torch.manual_seed(0)
    ids = torch.randint(5, 100, (4, 2, 7) if auto_class is AutoModelForMultipleChoice else (4, 7))
    labels = {AutoModelForSequenceClassification: {"labels": torch.tensor([0, 1, 2, 1])},
              AutoModelForTokenClassification: {"labels": torch.randint(0, 5, (4, 7))},
              AutoModelForQuestionAnswering: {"start_positions": torch.tensor([1, 2, 3, 99]),
                                              "end_positions": torch.tensor([2, 2, 5, 99])},
              AutoModelForMultipleChoice: {"labels": torch.tensor([0, 1, 1, 0])}}[auto_class]
    batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "token_type_ids": torch.zeros_like(ids),
             **labels}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(3):
        loss = model(**batch).loss
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    assert losses[-1] < losses[0]


def test_own_head_checkpoints_resume_best_model_and_saved_encoder(eurobert, grid_data, tmp_path):
    """EuroBERT on XQuAD (the toolkit's QA head): a run killed after its first checkpoint resumes from it to the
    same scores; the best checkpoint is loaded back; save_encoder writes a bare EuroBERT encoder."""
    out = tmp_path / "xquad"
    argv = ["--task", "xquad", "--model_name_or_path", str(eurobert), "--data_dir", str(grid_data), "--output_dir",
            str(out), "--languages", "de", "--keep_checkpoints", *FAST]
    finished = run_target.main(argv)
    assert json.loads((out / "run_config.json").read_text())["head"] == {
        "class": "XstiltsEuroBertForQuestionAnswering", "source": "toolkit (utils/heads.py)"}
    interrupt(out, "checkpoint-6")
    resumed = run_target.main(argv)
    assert resumed["per_language"] == finished["per_language"]
    assert json.loads((out / "checkpoint-6" / "trainer_state.json").read_text())["global_step"] == 6

    from utils.trainer import Trainer
    model = load_own_head(eurobert)
    trainer = Trainer(model=model, args=run_target_args(tmp_path / "t"))
    trainer.state.best_model_checkpoint = str(out / "checkpoint-3")
    trainer._load_best_model()
    saved = read_safetensors(out / "checkpoint-3")
    assert saved.keys() == model.state_dict().keys()
    assert all(torch.equal(saved[key], value) for key, value in model.state_dict().items())
    save_encoder(model, AutoTokenizer.from_pretrained(eurobert), tmp_path / "encoder")
    assert read_config(tmp_path / "encoder")["architectures"] == ["EuroBertModel"]
    encoder, info = AutoModel.from_pretrained(tmp_path / "encoder", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    assert all(torch.equal(value, saved[f"model.{key}"]) for key, value in encoder.state_dict().items())


def load_own_head(path):
    from types import SimpleNamespace
    from utils.modeling import load_with_new_head
    model_args = SimpleNamespace(model_name_or_path=str(path), cache_dir=None, trust_remote_code=False)
    return load_with_new_head(AutoModelForQuestionAnswering, model_args)


def run_target_args(directory):
    from transformers import TrainingArguments
    return TrainingArguments(output_dir=str(directory), use_cpu=True, report_to=[])


def read_safetensors(checkpoint):
    from safetensors.torch import load_file
    return load_file(checkpoint / "model.safetensors")


def test_own_heads_share_the_encoder_in_multitask_training(eurobert, grid_data, tmp_path):
    """EuroBERT trained on MNLI, SQuAD and HellaSwag at once: transformers' classification head and the toolkit's
    QA and multiple-choice heads on one shared encoder; the saved encoder is a bare EuroBERT."""
    out = tmp_path / "multitask"
    run_intermediate.main(["--tasks", "mnli,squad,hellaswag", "--model_name_or_path", str(eurobert), "--data_dir",
                           str(grid_data), "--output_dir", str(out), *STEPS])
    heads = json.loads((out / "run_config.json").read_text())["heads"]
    assert {name: head["source"] for name, head in heads.items()} == {
        "mnli": "transformers", "squad": "toolkit (utils/heads.py)", "hellaswag": "toolkit (utils/heads.py)"}
    assert read_config(out / "encoder")["architectures"] == ["EuroBertModel"]
