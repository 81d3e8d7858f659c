"""Bitext search (Tatoeba, as XTREME scores it): each sentence of a parallel set retrieves its translation among
all the other side's sentences by cosine nearest neighbour; top-1 accuracy in XTREME's direction (each English
sentence retrieves its translation) and the reverse. The encoder is evaluated as is, without training.

Schema: {"source", "target"} (line i of one side is the translation of line i of the other), test split only.
"""
import numpy as np

from tasks import retrieval
from tasks.retrieval import BitextKind
from utils.data import load_rows, local_path, require_columns


class BitextSearch(BitextKind):
    name = "bitext_search"
    PROTOCOL = "tatoeba"
    SUMMARY = ("accuracy", "accuracy_reverse")
    FIELDS = ("source", "target")
    EVAL_SPLITS = ("test",)
    RAW_FORMATS = {"tatoeba": retrieval.tatoeba_pair}
    SUBMISSION_FORMAT = "indices"

    def from_hub(self, spec, dataset, lang):
        cols = spec.hub_columns
        strip = lambda b: {f: [s.strip() for s in b[cols[f]]] for f in ("source", "target")}  # noqa: E731
        return dataset.map(strip, batched=True, remove_columns=dataset.column_names)

    def validate(self, spec, dataset, path):
        require_columns(dataset, path, ("source", "target"))
        if len(dataset) == 0:
            raise ValueError(f"{path}: no rows; expected at least one {{'source', 'target'}} pair")

    def languages(self, spec, languages):
        """XTREME codes, or any of LASER's 112 Tatoeba codes (a language outside the registry's list)."""
        return [retrieval.tatoeba_language(lang) for lang in languages]

    def read(self, spec, split, lang, data_args, cache_dir=None):
        return load_rows(spec, split, lang, data_args, self, cache_dir)

    def evaluate_language(self, spec, lang, encoder, data_args, args):
        """{"test": metrics} and {"test": prediction records} for one language."""
        rows = self.read(spec, "test", lang, data_args)
        if data_args.max_eval_samples:  # the first N pairs (fewer distractors: accuracy rises)
            rows = rows.select(range(min(data_args.max_eval_samples, len(rows))))
        source, target = encoder.embed(rows["source"]), encoder.embed(rows["target"])
        metrics, xtreme, reverse = retrieval.tatoeba_scores(source, target, args.knn_chunk_size, encoder.device,
                                                            args.use_faiss)
        records = [{"id": i, "prediction": p, "prediction_reverse": r, "label": i}
                   for i, (p, r) in enumerate(zip(xtreme, reverse))]
        return {"test": metrics}, {"test": records}

    def sentence_files(self, spec, data_dir, lang):
        path = local_path(data_dir, spec.name, "test", retrieval.tatoeba_language(lang))
        return [(path, 2, True)]  # each pair: a sentence and its English

    def notes(self, data_args):
        return {"directions": {"accuracy": "XTREME's: each English sentence retrieves its translation",
                               "accuracy_reverse": "each source sentence retrieves its English"}}

    def example_statistics(self, spec, records, lang):
        """(ids, stats): one row per sentence pair, [1.0 if XTREME's direction found the translation]."""
        return [r["id"] for r in records], np.array([float(r["prediction"] == r["label"]) for r in records])[:, None]

    def metric_from_statistics(self, spec, sums, n):
        """Accuracy in percent; vectorised."""
        return 100.0 * np.asarray(sums, dtype=float)[..., 0] / max(n, 1)


KIND = BitextSearch()
