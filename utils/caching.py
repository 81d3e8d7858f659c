"""Tokenised features shared across a grid: each (examples, tokenizer, preprocessing arguments) is tokenised once.

datasets caches a map() under a fingerprint of its function, which hashes the tokenizer together with the path it
was loaded from, so each intermediate task's encoder (each with its own copy of one tokenizer) would tokenise every
target again. features_fingerprint names the features by content instead: the examples' fingerprint, the
tokenizer's vocabulary and settings, what preprocessing reads (the shared preprocessing arguments and the kind's own
options, tasks/kind.py OPTIONS), the task's spec, the source of its kind's module (not the rest of tasks/: editing
another task's registry entry or the engine keeps the cache) and the library versions. cache_lock serialises jobs that share one cache directory (scripts/sweep.sh with several
GPUs or Slurm jobs): the first tokenises and writes the cache file, the others wait, then read it.
"""
import dataclasses
import hashlib
import json
import sys
from contextlib import nullcontext
from pathlib import Path

import datasets
from datasets.fingerprint import Hasher

# The DataArguments fields every kind's preprocessing may read; the rest of what it reads is the kind's own options
# (what data is read is in the examples' fingerprint).
SHARED_PREPROCESSING = ("max_seq_length", "pad_to_max_length")
TOKENIZER_SETTINGS = ("padding_side", "truncation_side", "model_max_length", "model_input_names")


def tokenizer_fingerprint(tokenizer) -> str:
    """A tokenizer by content (vocabulary, normaliser, special tokens, settings), not by where it was loaded from."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return Hasher.hash(tokenizer)
    state = json.loads(backend.to_str())
    state.pop("truncation", None)  # the state of the last call, not part of the tokenizer
    state.pop("padding", None)
    settings = {name: getattr(tokenizer, name, None) for name in TOKENIZER_SETTINGS}
    special = {name: str(value) for name, value in tokenizer.special_tokens_map.items()}
    return Hasher.hash([type(tokenizer).__name__, state, settings, special])


def code_fingerprint(kind) -> str:
    """The source of the module that defines the kind (tasks/<kind>.py): its preprocessing."""
    path = Path(sys.modules[type(kind).__module__].__file__)
    return hashlib.sha256(path.name.encode() + path.read_bytes()).hexdigest()


def features_fingerprint(examples, kind, spec, tokenizer, data_args, is_train: bool, labels=None) -> str:
    """The fingerprint of kind.preprocess(spec, tokenizer, data_args, is_train, labels=labels) mapped over
    examples."""
    import tokenizers
    import transformers
    shared = {name: getattr(data_args, name) for name in SHARED_PREPROCESSING}
    options = kind.options(data_args)
    arguments = [shared, dataclasses.asdict(options) if options is not None else None]
    return Hasher.hash([examples._fingerprint, kind.name, code_fingerprint(kind), repr(spec),
                        None if labels is None else list(labels), arguments,
                        tokenizer_fingerprint(tokenizer), bool(is_train), datasets.__version__,
                        transformers.__version__, tokenizers.__version__])


def cache_lock(examples, fingerprint: str):
    """A file lock beside the cache file map() writes for this fingerprint, held while tokenising: a second job
    waits, then loads the file. No lock where nothing is cached (in-memory examples, caching disabled)."""
    if not examples.cache_files or not datasets.is_caching_enabled():
        return nullcontext()
    from filelock import FileLock
    folder = Path(examples.cache_files[0]["filename"]).parent
    return FileLock(str(folder / f"xstilts-tokenise-{fingerprint}.lock"))
