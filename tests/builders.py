"""Builders of test inputs, shared by the tests (through tests/conftest.py's fixtures), the benchmarks and
scripts/gpu_check.py: a tiny XLM-R-style model built in seconds, synthetic sentences and rows (NLI, multiple choice,
span QA), JSON Lines files, training flags that make tiny runs take seconds, and the torchrun command.

    from tests.builders import build_tiny_model, nli_rows, write_jsonl    # a benchmark (the repository on sys.path)
    from builders import FAST, nli_rows                                    # a test (tests/ is on pytest's sys.path)
"""
import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("XSTILTS_SHARED", ROOT.parent / "shared"))

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


# Training flags that make tiny runs take seconds.
FAST = ["--per_device_train_batch_size", "8", "--gradient_accumulation_steps", "1", "--per_device_eval_batch_size", "8",
        "--max_steps", "6",
        "--eval_strategy", "steps", "--eval_steps", "3", "--save_steps", "3", "--logging_steps", "3",
        "--learning_rate", "1e-3", "--use_cpu", "--dataloader_num_workers", "0", "--seed", "1"]


# Synthetic rows of the multiple-choice, tagging and span-QA schemas (tiny end-to-end runs, tests/test_grid.py, gpu_check.py).
FILLER = [w for w in WORDS if w.islower()]   # one token each for the tiny tokenizer; no names


def mc_rows(n, seed, n_choices, prefix="q"):
    """Learnable: the right choice repeats the context's first word."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        context = make_sentence(rng)
        label = i % n_choices
        choices = [" ".join(rng.choice(WORDS) for _ in range(3)) for _ in range(n_choices)]
        choices[label] = context.split()[0] + " " + choices[label]
        rows.append({"id": f"{prefix}{i}", "context": context, "choices": choices, "label": label})
    return rows


def tag_rows(n, seed, task, prefix="s"):
    """Learnable: capitalised words are entities (PAN-X) / proper nouns (UDPOS), 'the'/'a' determiners."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        tokens = [rng.choice(WORDS) for _ in range(rng.randint(3, 9))]
        if task == "panx":
            tags = ["B-LOC" if t[0].isupper() else "O" for t in tokens]
        elif task == "udpos":
            tags = ["PROPN" if t[0].isupper() else "DET" if t in ("the", "a") else "NOUN" for t in tokens]
        else:  # ccg
            tags = ["NP" if t[0].isupper() else "NP/N" if t in ("the", "a") else "N" for t in tokens]
        rows.append({"id": f"{prefix}{i}", "tokens": tokens, "tags": tags})
    return rows


def qa_row(i, context, question, answer, start=None):
    """A schema row; the answer starts at `start` (default: its first occurrence in the context)."""
    start = context.index(answer) if start is None else start
    return {"id": i if isinstance(i, str) else f"q{i}", "context": context, "question": question,
            "answers": {"text": [answer], "answer_start": [start]}}


def long_context(n_words, seed=0):
    rng = random.Random(seed)
    return " ".join(rng.choice(FILLER) for _ in range(n_words))


def synthetic_qa_rows(n, seed, prefix="q"):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        name = rng.choice(["Anna", "John", "Paris", "Berlin", "London"])
        before = long_context(rng.randint(10, 50), seed=seed * 1000 + i)
        context = f"{before} {name} has the red book. {long_context(rng.randint(5, 30), seed=-i)}"
        rows.append(qa_row(f"{prefix}{i}", context, "who has the red book?", name, start=len(before) + 1))
    return rows


def torchrun(script, processes=2):
    """The command that runs one of the repository's scripts on `processes` CPU processes with torchrun. --standalone:
    the rendezvous listens on a free port the system picks, so runs at the same time (two tests, two checkouts on
    one machine) never meet on a fixed --master_port."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(processes),
            str(ROOT / script)]


def german_xnli(shared_data, out):
    """../shared/data/xnli_de converted into the local layout under out (prepare_data.py --from_raw xnli_tsv):
    German MNLI-style train and validation (the training task) and XNLI test; returns out."""
    import prepare_data
    for raw, task, split in (("train.txt", "mnli", "train"), ("dev.txt", "mnli", "validation"),
                             ("test.txt", "xnli", "test")):
        prepare_data.main(["--from_raw", "xnli_tsv", "--input", str(Path(shared_data) / "xnli_de" / raw), "--task",
                           task, "--split", split, "--lang", "de", "--out", str(out)])
    return out


def interrupt(out, last_checkpoint):
    """Make a finished run folder look interrupted before its last checkpoint: no DONE, metrics or predictions,
    and last_checkpoint (e.g. "checkpoint-6") gone, so a rerun resumes from the one before."""
    import shutil
    for name in ("DONE", "metrics.json"):
        (Path(out) / name).unlink()
    shutil.rmtree(Path(out) / "predictions")
    shutil.rmtree(Path(out) / last_checkpoint)
