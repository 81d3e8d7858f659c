"""Bitext mining (BUCC 2018, as XTREME scores it): parallel sentence pairs are mined from two monolingual corpora
by ratio margin (tasks/mining.py); the F1-optimal margin threshold on validation (BUCC 'sample') is applied unchanged
to test (BUCC 'training'). The encoder is evaluated as is, without training.

Schema: DIR/bucc/<split>-<lang>.{source,target}.jsonl {"id", "text"} and <split>-<lang>.gold.jsonl
{"source_id", "target_id"} (tasks/retrieval.py load_bucc reads them).
"""
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from tasks import retrieval
from tasks.retrieval import BitextKind
from utils.results import read_json



class BitextMining(BitextKind):
    name = "bitext_mining"
    PROTOCOL = "bucc"
    SUMMARY = ("f1", "precision", "recall")
    FIELDS = ("id", "text")  # of the source and target files; the gold file: ("source_id", "target_id")
    RAW_FORMATS = {"bucc": retrieval.bucc_files}
    SUBMISSION_FORMAT = "pairs"
    EVAL_SPLITS = ("validation", "test")  # the threshold is chosen on the first, applied to the second

    def from_hub(self, spec, dataset, lang):
        """{"source", "target", "gold"} datasets built from the hub's gold pairs."""
        return retrieval.bucc_from_hub(spec, dataset)

    def validate(self, spec, dataset, path):
        retrieval.check_bucc(dataset, {part: path for part in dataset})

    def languages(self, spec, languages):
        unknown = [lang for lang in languages if lang not in spec.languages]
        if unknown:
            raise ValueError(f"--languages: {', '.join(unknown)} not a BUCC language ({', '.join(spec.languages)})")
        return languages

    def read(self, spec, split, lang, data_args, cache_dir=None):
        """{"source", "target", "gold"} lists: local files, or (incomplete) the hub's gold pairs."""
        return retrieval.load_bucc(spec, split, lang, data_args, cache_dir)

    def evaluate_language(self, spec, lang, encoder, data_args, args):
        """Threshold chosen on validation, applied unchanged to test."""
        metrics, records, threshold = {}, {}, None
        for split in self.EVAL_SPLITS:
            parts = self.read(spec, split, lang, data_args)
            candidates, gold = retrieval.bucc_candidates(encoder, parts, args, encoder.device)
            if threshold is None:
                threshold = retrieval.candidates_threshold(candidates, gold)
            metrics[split], records[split] = retrieval.bucc_scores(candidates, gold, threshold)
            metrics[split].update(sentences_source=len(parts["source"]), sentences_target=len(parts["target"]),
                                  gold_pairs=len(gold))
        return metrics, records

    def sentence_files(self, spec, data_dir, lang):
        return [(path, 1, False) for split in self.EVAL_SPLITS
                for part, path in retrieval.bucc_local_paths(data_dir, split, lang).items() if part != "gold"]

    def setting(self, args):
        return {"margin_k": args.margin_k}

    def notes(self, data_args):
        return {"data_source": "local files" if data_args.data_dir else
                "hub gold pairs only (incomplete: F1 not comparable to BUCC 2018)"}

    # ---- per-example statistics (reporting/stats.py)
    def statistics_inputs(self, spec, run_dir, split, lang):
        """The gold pairs: a run's prediction file lists only the mined pairs above the threshold, so they are read
        again from the data the run read (run_config.json's data_dir; the hub's gold pairs without one) and checked
        against the count metrics.json recorded."""
        data_dir = (read_json(Path(run_dir) / "run_config.json").get("arguments") or {}).get("data_dir")
        parts = retrieval.load_bucc(spec, split, lang, SimpleNamespace(data_dir=data_dir))
        gold = {(g["source_id"], g["target_id"]) for g in parts["gold"]}
        per_language = read_json(Path(run_dir) / "metrics.json")["per_language"]
        recorded = per_language.get(lang, {}).get(split, {}).get("gold_pairs")
        if recorded is not None and recorded != len(gold):
            raise ValueError(f"{run_dir}: bucc {split}-{lang}: {len(gold)} gold pairs in {data_dir or 'the hub'}, "
                             f"but the run scored {recorded}; expected the data the run read")
        return {"gold": gold}

    def statistics_pairing(self, spec):
        """"union": a source sentence one run does not list has neither a gold pair nor a prediction there (zero
        statistics)."""
        return "union"

    def example_statistics(self, spec, records, lang, gold=None):
        """(ids, stats): one row per source sentence with a gold or a predicted pair, [true positive, predicted,
        gold] pairs at the run's threshold (gold: the split's gold id pairs, statistics_inputs)."""
        if gold is None:
            raise ValueError("bucc: example statistics need the split's gold pairs (statistics_inputs)")
        rows = {}
        for source, _ in gold:
            rows.setdefault(source, [0, 0, 0])[2] += 1
        for r in records:
            row = rows.setdefault(r["id"], [0, 0, 0])
            row[0] += (r["id"], r["prediction"]) in gold
            row[1] += 1
        return list(rows), np.array(list(rows.values()), dtype=float).reshape(len(rows), 3)

    def metric_from_statistics(self, spec, sums, n):
        """F1 = 2 TP / (predicted + gold) (= 2PR / (P + R)), in percent; vectorised."""
        sums = np.asarray(sums, dtype=float)
        return 100.0 * 2 * sums[..., 0] / np.maximum(sums[..., 1] + sums[..., 2], 1)


KIND = BitextMining()
