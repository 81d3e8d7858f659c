"""Tagging feeds every word to the encoder as running text does, for every tokenizer kind (tests/encoders.py), and
a checkpoint that ships only a SentencePiece model loads and preprocesses."""
import random
import shutil
from pathlib import Path
from types import SimpleNamespace

import datasets
import pytest
from conftest import WORDS, nli_rows
from encoders import KINDS, build_sentencepiece_tokenizer, build_tokenizer
from test_tagging import check_every_word_labelled_once

from tasks import classification, get_task, tagging

SENTENCES = ["the cat sat on the mat .".split(),
             ["Anna", "walks", "to", "Berlinxq", ",", "\u4e2d\u56fd", "and", "(Paris)", "'s", "river", "42", "!"]]
ARGS = SimpleNamespace(max_seq_length=128, pad_to_max_length=False)


@pytest.fixture(scope="module")
def tokenizers(tmp_path_factory):
    """Every kind of tests/encoders.py, and the SentencePiece-only layouts (loaded with AutoTokenizer)."""
    from transformers import AutoTokenizer
    root = tmp_path_factory.mktemp("tokenizers")
    directories = {kind: build_tokenizer(kind, root / kind) for kind in KINDS}
    directories.update({f"spm-{t}": build_sentencepiece_tokenizer(root / f"spm-{t}", t) for t in ("deberta-v2",
                                                                                                   "rembert")})
    return {kind: AutoTokenizer.from_pretrained(path) for kind, path in directories.items()}


def tag(tokenizer, sentences, args=ARGS, spec=None):
    spec = spec or get_task("udpos")
    batch = {"id": [f"s{i}" for i in range(len(sentences))], "tokens": sentences,
             "tags": [[spec.labels[i % len(spec.labels)] for i in range(len(words))] for words in sentences]}
    return batch, tagging.preprocess(spec, tokenizer, args, False)(batch)


def pieces(tokenizer, ids):
    """The pieces of ids without the special tokens the post-processor adds (unknown pieces kept)."""
    added = set(tokenizer.all_special_ids) - {tokenizer.unk_token_id}
    return [tokenizer.convert_ids_to_tokens(i) for i in ids if i not in added]


@pytest.mark.parametrize("kind", [*KINDS, "spm-deberta-v2", "spm-rembert"])
@pytest.mark.parametrize("words", SENTENCES, ids=["simple", "mixed"])
def test_tagged_pieces_equal_the_sentence_tokenised_as_text(tokenizers, kind, words):
    tokenizer = tokenizers[kind]
    batch, features = tag(tokenizer, [words])
    as_text = tokenizer(" ".join(words))["input_ids"]
    word_by_word = tokenizer(words, is_split_into_words=True)["input_ids"]  # what tagging did before
    print(f"\n{kind:15} before: {pieces(tokenizer, word_by_word)}\n{'':15} after:  "
          f"{pieces(tokenizer, features['input_ids'][0])}")
    assert features["input_ids"] == [as_text]
    check_every_word_labelled_once(features, batch, get_task("udpos").labels)
    assert_labels_on_first_pieces(tokenizer, words, features["word_ids"][0])


def assert_labels_on_first_pieces(tokenizer, words, word_ids):
    """From a word's labelled piece up to the next word's, the pieces' characters (offsets) cover that word and
    nothing else but the space before it: the label is on the word's first piece."""
    encoded = tokenizer(" ".join(words), return_offsets_mapping=True)
    content = [p for p, s in enumerate(encoded.sequence_ids()) if s is not None]
    labelled = [(p, w) for p, w in enumerate(word_ids) if w >= 0]
    assert labelled[0][0] == content[0] and [w for _, w in labelled] == list(range(len(words)))
    ends = tagging.running_text(words)[1]
    for (position, word), (following, _) in zip(labelled, labelled[1:] + [(content[-1] + 1, None)]):
        spans = encoded["offset_mapping"][position:following]
        start = ends[word] - len(words[word])
        assert min(s for s, _ in spans) <= start and max(e for _, e in spans) == ends[word]
        assert all(s >= start - 1 for s, _ in spans)


@pytest.mark.parametrize("kind", ["bytelevel", "llama", "gemma"])
def test_word_by_word_input_is_what_running_text_is_not(tokenizers, kind):
    """The bug this guards against: words fed one by one lose the space marker of running text (roberta: `cat`
    where text has `\u0120cat`), so the test above fails on the former preprocessing."""
    tokenizer, words = tokenizers[kind], SENTENCES[0]
    assert (tokenizer(words, is_split_into_words=True)["input_ids"] != tokenizer(" ".join(words))["input_ids"])


@pytest.mark.parametrize("kind", [*KINDS, "spm-deberta-v2"])
def test_windows_of_a_long_sentence_hold_the_text_pieces_in_order(tokenizers, kind):
    tokenizer, rng = tokenizers[kind], random.Random(1)
    words = [rng.choice(WORDS) + ("xq" if i % 5 == 0 else "") for i in range(40)]
    args = SimpleNamespace(max_seq_length=10, pad_to_max_length=False)
    batch, features = tag(tokenizer, [words, ["cat"]], args)
    assert features["example_id"].count("s0") > 4
    windows = [ids for ids, example in zip(features["input_ids"], features["example_id"]) if example == "s0"]
    assert [p for ids in windows for p in pieces(tokenizer, ids)] == pieces(tokenizer, tokenizer(" ".join(words))[
        "input_ids"])
    check_every_word_labelled_once(features, batch, get_task("udpos").labels)


def test_piece_words_maps_pieces_by_character_offsets():
    text, ends = tagging.running_text(["the", "", "cat"])
    assert (text, ends) == ("the  cat", [3, 4, 8])
    # specials; "the"; a lone space marker before "cat" belongs to it; "cat" itself
    offsets, sequence_ids = [(0, 0), (0, 3), (4, 5), (5, 8), (0, 0)], [None, 0, 0, 0, None]
    assert tagging.piece_words(offsets, sequence_ids, ends) == [None, 0, 2, 2, None]


def test_the_tokenisation_cache_key_follows_the_tagging_code(tmp_path, tokenizers, monkeypatch):
    """features_fingerprint hashes the kind's module (tasks/tagging.py): a cache written by another version of
    preprocess is not read."""
    import importlib.util
    import sys
    from utils.caching import features_fingerprint
    tokenizer = tokenizers["bytelevel"]
    examples = datasets.Dataset.from_list([{"id": "a", "tokens": ["the", "cat"], "tags": ["DET", "NOUN"]}])
    args, spec = SimpleNamespace(max_seq_length=32, pad_to_max_length=False), get_task("udpos")
    copy = tmp_path / "tasks"
    shutil.copytree(Path(tagging.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    loader = importlib.util.spec_from_file_location("tagging_copy", copy / "tagging.py")
    module = importlib.util.module_from_spec(loader)
    monkeypatch.setitem(sys.modules, "tagging_copy", module)
    loader.loader.exec_module(module)
    key = features_fingerprint(examples, tagging.KIND, spec, tokenizer, args, False)
    assert features_fingerprint(examples, module.KIND, spec, tokenizer, args, False) == key
    source = (copy / "tagging.py").read_text()
    (copy / "tagging.py").write_text(source.replace("return_offsets_mapping=True", "is_split_into_words=True"))
    assert features_fingerprint(examples, module.KIND, spec, tokenizer, args, False) != key


def test_a_sentencepiece_only_checkpoint_loads_and_preprocesses(tmp_path):
    """mDeBERTa-v3's layout: spm.model and tokenizer_config.json, no tokenizer.json; needs sentencepiece and
    protobuf (requirements.txt)."""
    from transformers import DebertaV2Config
    from utils.args import ModelArguments
    from utils.modeling import load_tokenizer
    directory = build_sentencepiece_tokenizer(tmp_path / "mdeberta", "deberta-v2")
    assert sorted(p.name for p in directory.iterdir()) == ["spm.model", "tokenizer_config.json"]
    DebertaV2Config(vocab_size=200, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                    intermediate_size=64).save_pretrained(directory)
    tokenizer = load_tokenizer(ModelArguments(str(directory)))
    assert tokenizer.is_fast and type(tokenizer).__name__ == "DebertaV2Tokenizer"
    words = SENTENCES[0]
    batch, features = tag(tokenizer, [words])
    assert pieces(tokenizer, features["input_ids"][0])[:2] == ["\u2581the", "\u2581cat"]
    ids = features["input_ids"][0]
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
    check_every_word_labelled_once(features, batch, get_task("udpos").labels)
    rows = nli_rows(3, 0)
    spec = get_task("mnli")
    batch = {name: [row[name] for row in rows] for name in rows[0]}
    encoded = classification.preprocess(spec, tokenizer, ARGS, True)(batch)
    assert encoded["labels"] == [spec.labels.index(row["label"]) for row in rows]
    first = encoded["input_ids"][0]
    assert first.count(tokenizer.sep_token_id) == 2 and tokenizer.unk_token_id not in first


def test_a_sentencepiece_only_rembert_gets_its_cls_and_sep_back(tmp_path):
    """transformers 5.25 loads RemBERT's published layout (sentencepiece.model alone) without [CLS]/[SEP];
    load_tokenizer puts RemBERT's template back."""
    from transformers import AutoTokenizer, RemBertConfig
    from utils.args import ModelArguments
    from utils.modeling import load_tokenizer
    directory = build_sentencepiece_tokenizer(tmp_path / "rembert", "rembert")
    RemBertConfig(vocab_size=200, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                  input_embedding_size=16, output_embedding_size=16, pad_token_id=0, bos_token_id=1,
                  eos_token_id=3).save_pretrained(directory)
    bare = AutoTokenizer.from_pretrained(directory)
    assert bare("the cat")["input_ids"] == bare("the cat", add_special_tokens=False)["input_ids"]  # the bug
    tokenizer = load_tokenizer(ModelArguments(str(directory)))
    pair = tokenizer.convert_ids_to_tokens(tokenizer("the cat", "a dog")["input_ids"])
    assert pair == ["[CLS]", "\u2581the", "\u2581cat", "[SEP]", "\u2581a", "\u2581dog", "[SEP]"]
    batch, features = tag(tokenizer, [SENTENCES[0]])
    assert features["input_ids"][0][0] == tokenizer.cls_token_id
    check_every_word_labelled_once(features, batch, get_task("udpos").labels)


def test_a_sentencepiece_model_without_sentencepiece_says_what_to_install(tmp_path, monkeypatch):
    import importlib.util
    from utils.modeling import sentencepiece_hint
    directory = build_sentencepiece_tokenizer(tmp_path / "mdeberta", "deberta-v2")
    assert sentencepiece_hint(directory) == ""  # installed (requirements.txt)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *rest: None if name == "sentencepiece" else real(name, *rest))
    assert sentencepiece_hint(directory) == " (its tokenizer is a SentencePiece model: pip install sentencepiece)"


def test_a_tokenizer_that_pads_on_the_left_is_loaded_padding_on_the_right(tmp_path, caplog):
    """A tokenizer published for decoding (left padding) would put pads where CLS pooling, the heads and QA windows
    read the first token: load_tokenizer pads on the right, and says so."""
    import json
    from transformers import BertConfig
    from utils.args import ModelArguments
    from utils.modeling import load_tokenizer
    directory = build_tokenizer("llama", tmp_path / "left")
    config_file = directory / "tokenizer_config.json"
    config_file.write_text(json.dumps({**json.loads(config_file.read_text()), "padding_side": "left"}))
    BertConfig(vocab_size=300, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
               intermediate_size=64).save_pretrained(directory)
    with caplog.at_level("WARNING", logger="utils.modeling"):
        tokenizer = load_tokenizer(ModelArguments(str(directory)))
    assert tokenizer.padding_side == "right" and "pads on the left" in caplog.text
    padded = tokenizer(["the cat sat on the mat", "the"], padding=True)["attention_mask"]
    assert padded[1][0] == 1 and padded[1][-1] == 0
