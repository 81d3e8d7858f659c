"""Shared test fixtures: a tiny XLM-R model built in seconds, the real model, the real data, tiny task data."""
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("XSTILTS_SHARED", ROOT.parent / "shared"))
sys.path.insert(0, str(ROOT))

WORDS = ("the a cat dog house tree river city runs sees walks likes big small red blue happy old new "
         "man woman child car book table world water fire music game Paris Berlin London Anna John "
         "not no yes is was are were has had and or but in on at to of for with from").split()


def make_sentence(rng, n=None):
    return " ".join(rng.choice(WORDS) for _ in range(n or rng.randint(4, 12))) + "."


def build_tiny_model(directory, model_type="xlm-roberta"):
    """A 2-layer XLM-R-style encoder with a WordPiece tokenizer trained in a second on synthetic text."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast, XLMRobertaConfig, XLMRobertaModel
    rng = random.Random(0)
    corpus = [make_sentence(rng) for _ in range(2000)] + [" ".join(WORDS)]
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    tok = Tokenizer(models.WordPiece(unk_token="<unk>"))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(corpus, trainers.WordPieceTrainer(vocab_size=400, special_tokens=specials))
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=False)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", sep_token="</s>",
                                        cls_token="<s>", unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
                                        model_max_length=512)
    tokenizer.save_pretrained(directory)
    config = XLMRobertaConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                              num_attention_heads=2, intermediate_size=64, max_position_embeddings=520,
                              pad_token_id=1, bos_token_id=0, eos_token_id=2)
    import torch
    torch.manual_seed(0)
    XLMRobertaModel(config).save_pretrained(directory)
    return Path(directory)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("tiny_model"))


@pytest.fixture(scope="session")
def real_model_dir():
    """The real multilingual encoder from ../shared/tools/real-model (built once, cached); skips without it."""
    tool = SHARED / "tools" / "real-model"
    if not tool.exists():
        pytest.skip(f"{tool} is absent: the real-model tests need ../shared beside the repository")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    result = subprocess.run([str(tool)], capture_output=True, text=True, env=env, timeout=900)
    if result.returncode:
        pytest.skip(f"{tool} could not build the real model: {result.stderr[-500:]}")
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def shared_data():
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip(f"{data} is absent: real-data tests need ../shared/data beside the repository")
    return data


def write_jsonl(path, rows):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def nli_rows(n, seed, prefix="ex"):
    """Learnable synthetic NLI: 'not' in the hypothesis -> contradiction, a shared word -> entailment."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        premise = make_sentence(rng)
        label = ("entailment", "neutral", "contradiction")[i % 3]
        hypothesis = {"entailment": premise.split()[0] + " " + make_sentence(rng, 4),
                      "neutral": "music " + make_sentence(rng, 4),
                      "contradiction": "not " + make_sentence(rng, 4)}[label]
        rows.append({"id": f"{prefix}{i}", "text_a": premise, "text_b": hypothesis, "label": label})
    return rows


@pytest.fixture()
def tiny_data_dir(tmp_path):
    """A local layout with MNLI (train/validation en), XNLI (test de, fr) and PAWS-X (train/validation/test)."""
    d = tmp_path / "data"
    write_jsonl(d / "mnli" / "train-en.jsonl", nli_rows(48, 1))
    write_jsonl(d / "mnli" / "validation-en.jsonl", nli_rows(12, 2))
    for lang, seed in (("de", 3), ("fr", 4)):
        write_jsonl(d / "xnli" / f"test-{lang}.jsonl", nli_rows(9, seed, prefix=f"{lang}-"))
    rng = random.Random(5)
    for split, n in (("train", 40), ("validation", 10)):
        rows = []
        for i in range(n):
            a = make_sentence(rng)
            rows.append({"id": f"p{i}", "text_a": a, "text_b": a if i % 2 else make_sentence(rng), "label": str(i % 2)})
        write_jsonl(d / "pawsx" / f"{split}-en.jsonl", rows)
        write_jsonl(d / "pawsx" / f"test-de.jsonl", rows[:8])
    return d


# Training flags that make tiny runs take seconds.
FAST = ["--per_device_train_batch_size", "8", "--gradient_accumulation_steps", "1", "--per_device_eval_batch_size", "8",
        "--max_steps", "6",
        "--eval_strategy", "steps", "--eval_steps", "3", "--save_steps", "3", "--logging_steps", "3",
        "--learning_rate", "1e-3", "--use_cpu", "--dataloader_num_workers", "0", "--seed", "1"]


# CI (.ci/run sets XSTILTS_REQUIRE_SHARED=1): with ../shared present, a skipped test means a real-data or
# real-model test did not run (the model could not be built, a file is missing), which must fail the run.
_SKIPPED = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _SKIPPED.append((report.nodeid, report.longrepr[2] if isinstance(report.longrepr, tuple) else ""))


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("XSTILTS_REQUIRE_SHARED") == "1" and SHARED.is_dir() and _SKIPPED:
        for nodeid, reason in _SKIPPED:
            print(f"\nskipped with {SHARED} present: {nodeid}: {reason}", file=sys.stderr)
        session.exitstatus = 1
