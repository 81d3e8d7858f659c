"""Tokenizers of the kinds real encoders ship, trained in about a second on synthetic text (no hub).

build_tokenizer(kind, directory) trains and saves a fast tokenizer of one kind, with the special tokens and the
post-processor of its model family, and returns the directory:

  "wordpiece"  mBERT: BertNormalizer (cased), BertPreTokenizer, WordPiece with "##" continuations,
               [CLS] $A [SEP] (pairs: [CLS] $A [SEP] $B [SEP]); saved as BertTokenizer.
  "metaspace"  XLM-R / mDeBERTa: Unigram after WhitespaceSplit + Metaspace ("\u2581" before every word),
               <s> $A </s> (pairs: <s> $A </s></s> $B </s>); saved as XLMRobertaTokenizer.
  "bytelevel"  RoBERTa / GPT-2: byte-level BPE ("\u0120" marks a space), add_prefix_space False as roberta ships
               it (the first word of a text has no "\u0120"), RobertaProcessing; saved as RobertaTokenizer.
  "llama"      EuroBERT (Llama-3 style): byte-level BPE after a regex Split pre-tokenizer (Llama-3's pattern,
               then ByteLevel without its own regex), <|begin_of_text|> $A <|end_of_text|>; saved as a generic
               fast tokenizer (tokenizer.json read as it is, the way EuroBERT is published).
  "gemma"      mmBERT (Gemma style): SentencePiece-style BPE where the normalizer replaces " " with "\u2581", no
               pre-tokenizer split (the whole text is one sequence; no dummy prefix, so the first word has no
               "\u2581"), byte fallback (<0x00>..<0xFF> pieces), <bos> $A <eos>; saved as a generic fast tokenizer.

build_sentencepiece_tokenizer(directory, model_type) trains a SentencePiece model with the `sentencepiece`
package and writes only that model file and tokenizer_config.json (no tokenizer.json), the way mDeBERTa-v3
(model_type "deberta-v2": spm.model, DebertaV2Tokenizer) and RemBERT ("rembert": sentencepiece.model,
RemBertTokenizer) are published; transformers converts it to a fast tokenizer when it loads it. (transformers
5.25 loads the RemBERT layout without its [CLS]/[SEP] post-processor: RemBertTokenizer's _post_init replaces it;
utils/modeling.py load_tokenizer puts it back.)
"""
import json
import random
from pathlib import Path

from builders import WORDS, make_sentence

KINDS = ("wordpiece", "metaspace", "bytelevel", "llama", "gemma")
LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")
SENTENCEPIECE = {  # model_type -> (file name, tokenizer class, ids of pad/bos(CLS)/eos(SEP)/unk, special tokens)
    "deberta-v2": ("spm.model", "DebertaV2Tokenizer", (0, 1, 2, 3),
                   dict(pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]", unk_token="[UNK]",
                        mask_token="[MASK]", bos_token="[CLS]", eos_token="[SEP]")),
    "rembert": ("sentencepiece.model", "RemBertTokenizer", (0, 1, 3, 2),  # RemBertTokenizer reads <unk> at id 2
                dict(pad_token="<pad>", cls_token="[CLS]", sep_token="[SEP]", unk_token="<unk>",
                     mask_token="[MASK]", bos_token="[CLS]", eos_token="[SEP]")),
}


def corpus(n=2000, seed=0):
    rng = random.Random(seed)
    return [make_sentence(rng) for _ in range(n)] + [" ".join(WORDS)]


def build_tokenizer(kind, directory):
    """Train a tokenizer of `kind` (KINDS; see the module docstring) and save it in `directory`."""
    builders = {"wordpiece": _wordpiece, "metaspace": _metaspace, "bytelevel": _bytelevel, "llama": _llama,
                "gemma": _gemma}
    if kind not in builders:
        raise ValueError(f"unknown tokenizer kind {kind!r}; expected one of {', '.join(KINDS)}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    builders[kind]().save_pretrained(directory)
    return directory


def _bpe_parts(tok):
    """A trained BPE's vocabulary and merges (as (left, right) pairs)."""
    model = json.loads(tok.to_str())["model"]
    return model["vocab"], [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]


def _wordpiece():
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import BertTokenizer
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(corpus(), trainers.WordPieceTrainer(
        vocab_size=300, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]))
    return BertTokenizer(vocab=tok.get_vocab(), do_lower_case=False, model_max_length=512)


def _metaspace():
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import XLMRobertaTokenizer
    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace()])
    tok.train_from_iterator(corpus(), trainers.UnigramTrainer(
        vocab_size=300, unk_token="<unk>", special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"]))
    vocab = [tuple(piece) for piece in json.loads(tok.to_str())["model"]["vocab"]]
    return XLMRobertaTokenizer(vocab=vocab, model_max_length=512)


def _bytelevel():
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import RobertaTokenizer
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.train_from_iterator(corpus(), trainers.BpeTrainer(
        vocab_size=600, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    vocab, merges = _bpe_parts(tok)
    return RobertaTokenizer(vocab=vocab, merges=merges, add_prefix_space=False, model_max_length=512)


def _llama():
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|pad|>", "<|mask|>"]
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_SPLIT), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(corpus(), trainers.BpeTrainer(
        vocab_size=600, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    bos, eos = specials[:2]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} $B:1 {eos}:1",
        special_tokens=[(bos, tok.token_to_id(bos)), (eos, tok.token_to_id(eos))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=bos, eos_token=eos, sep_token=eos, cls_token=bos,
                                   pad_token="<|pad|>", mask_token="<|mask|>", model_max_length=512)


def _gemma():
    """Trained with a split at each "\u2581" (as SentencePiece trains: no piece has "\u2581" inside), then saved
    with no pre-tokenizer, as Gemma's tokenizer.json has it."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast
    specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>"]
    trainer = Tokenizer(models.BPE())
    trainer.normalizer = normalizers.Replace(" ", "\u2581")
    trainer.pre_tokenizer = pre_tokenizers.Split("\u2581", behavior="merged_with_next")
    trainer.train_from_iterator(corpus(), trainers.BpeTrainer(vocab_size=300, special_tokens=specials))
    learned, merges = _bpe_parts(trainer)
    pieces = specials + [f"<0x{b:02X}>" for b in range(256)]
    pieces += [p for p in sorted(learned, key=learned.get) if p not in pieces]
    tok = Tokenizer(models.BPE(vocab={p: i for i, p in enumerate(pieces)}, merges=merges, unk_token="<unk>",
                               byte_fallback=True, fuse_unk=True))
    tok.add_special_tokens(specials)
    tok.normalizer = normalizers.Replace(" ", "\u2581")
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()])
    tok.post_processor = processors.TemplateProcessing(
        single="<bos> $A <eos>", pair="<bos> $A <eos> $B:1 <eos>:1",
        special_tokens=[("<bos>", pieces.index("<bos>")), ("<eos>", pieces.index("<eos>"))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>", sep_token="<eos>",
                                   cls_token="<bos>", unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
                                   model_max_length=512)


def build_sentencepiece_tokenizer(directory, model_type="deberta-v2"):
    """A directory with only a SentencePiece model (trained here, unigram) and tokenizer_config.json naming the
    tokenizer class of `model_type` (SENTENCEPIECE: "deberta-v2" as mDeBERTa-v3, "rembert" as RemBERT)."""
    import sentencepiece
    if model_type not in SENTENCEPIECE:
        raise ValueError(f"unknown model_type {model_type!r}; expected one of {', '.join(SENTENCEPIECE)}")
    filename, tokenizer_class, (pad, bos, eos, unk), specials = SENTENCEPIECE[model_type]
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model = directory / filename
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus()), model_prefix=str(model.with_suffix("")), vocab_size=200,
        model_type="unigram", hard_vocab_limit=False, character_coverage=1.0, minloglevel=2,
        pad_id=pad, pad_piece=specials["pad_token"], bos_id=bos, bos_piece=specials["cls_token"],
        eos_id=eos, eos_piece=specials["sep_token"], unk_id=unk, unk_piece=specials["unk_token"],
        control_symbols=[specials["mask_token"]])
    model.with_suffix(".vocab").unlink()
    config = {"tokenizer_class": tokenizer_class, "do_lower_case": False, "model_max_length": 512, **specials}
    (directory / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return directory


# ---- tiny random encoders of every architecture (tests/test_encoder_matrix.py) ----
# build_encoder(arch, directory): a 2-layer, 32-wide random encoder of `arch` with the tokenizer kind its published
# model uses, saved as a bare encoder (config.json, weights, tokenizer). arch -> (tokenizer kind, config settings of
# the architecture beyond the common tiny sizes; DeBERTa-v2's are mDeBERTa-v3's attention settings).
TINY = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}
ENCODERS = {
    "bert": ("wordpiece", {}),
    "xlm-roberta": ("metaspace", {"max_position_embeddings": 520}),
    "roberta": ("bytelevel", {"max_position_embeddings": 520}),
    "deberta-v2": ("metaspace", {"relative_attention": True, "pos_att_type": ["p2c", "c2p"], "type_vocab_size": 0,
                                 "position_biased_input": False, "position_buckets": 32, "norm_rel_ebd": "layer_norm",
                                 "share_att_key": True, "max_relative_positions": -1}),
    "modernbert": ("gemma", {"local_attention": 16, "global_attn_every_n_layers": 2}),
    "electra": ("wordpiece", {"embedding_size": 16}),
    "distilbert": ("wordpiece", {"dim": 32, "n_layers": 2, "n_heads": 2, "hidden_dim": 64}),
    "rembert": ("metaspace", {"input_embedding_size": 16, "output_embedding_size": 16}),
    "eurobert": ("llama", {"num_key_value_heads": 2}),
    "xlm-roberta-xl": ("metaspace", {"max_position_embeddings": 520}),
}
ENCODERS["sentencepiece"] = ("sentencepiece", ENCODERS["deberta-v2"][1])  # a DeBERTa-v2 published as mDeBERTa-v3
# is: its tokenizer only a SentencePiece model (build_sentencepiece_tokenizer)


def build_encoder(arch, directory):
    """A tiny random encoder of `arch` (a key of ENCODERS) with its tokenizer kind, saved to directory (returned)."""
    import torch
    from transformers import CONFIG_MAPPING, AutoModel, AutoTokenizer
    kind, settings = ENCODERS[arch]
    directory = Path(directory)
    if kind == "sentencepiece":
        build_sentencepiece_tokenizer(directory, "deberta-v2")
    else:
        build_tokenizer(kind, directory)
    tokenizer = AutoTokenizer.from_pretrained(directory)
    model_type = "deberta-v2" if arch == "sentencepiece" else arch
    ids = {f"{name}_token_id": getattr(tokenizer, f"{name}_token_id") for name in ("pad", "bos", "eos", "cls", "sep",
                                                                                 "mask")}
    config = CONFIG_MAPPING[model_type](**{**TINY, "max_position_embeddings": 512, "vocab_size": len(tokenizer),
                                           **ids, **settings})
    torch.manual_seed(0)
    AutoModel.from_config(config).save_pretrained(directory)
    return directory
