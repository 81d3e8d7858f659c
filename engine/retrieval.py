"""The retrieval run behind run_retrieval.py: encode an encoder's sentences, with no training, and score Tatoeba
(top-1 accuracy, both directions) or BUCC 2018 (margin mining; threshold tuned on validation, applied unchanged to
test), as XTREME does."""
import logging
import sys
import time
from dataclasses import dataclass, field

from engine.lifecycle import Run
from engine.preflight import check_retrieval
from engine.runner import needs_run, provenance
from tasks import TASKS, get_task, resolve_languages
from tasks import retrieval
from utils.args import DataArguments, InputError, ModelArguments, RetrievalArguments, input_errors, parse_args
from utils.cost import CostMeter
from utils.data import load_rows
from utils.results import metrics_document, run_config, write_jsonl_atomic

logger = logging.getLogger(__name__)


@dataclass
class OutputArguments:
    output_dir: str = field(metadata={"help": "Where run_config.json, metrics.json, predictions/ and DONE go."})
    seed: int | None = field(default=None, metadata={
        "help": "Recorded in run_config.json only (retrieval is deterministic): the seed of the sweep job whose "
                "encoder this run evaluates."})


def tatoeba(spec, lang, encoder, data_args, args):
    """{"test": metrics} and {"test": prediction records} for one language."""
    rows = load_rows(spec, "test", lang, data_args, retrieval)
    if data_args.max_eval_samples:  # the first N pairs (fewer distractors: accuracy rises)
        rows = rows.select(range(min(data_args.max_eval_samples, len(rows))))
    source, target = encoder.embed(rows["source"]), encoder.embed(rows["target"])
    metrics, xtreme, reverse = retrieval.tatoeba_scores(source, target, args.knn_chunk_size, encoder.device,
                                                        args.use_faiss)
    records = [{"id": i, "prediction": p, "prediction_reverse": r, "label": i}
               for i, (p, r) in enumerate(zip(xtreme, reverse))]
    return {"test": metrics}, {"test": records}


def bucc(spec, lang, encoder, data_args, args):
    """Threshold chosen on validation (BUCC 'sample'), applied unchanged to test (BUCC 'training')."""
    metrics, records, threshold = {}, {}, None
    for split in ("validation", "test"):
        parts = retrieval.load_bucc(spec, split, lang, data_args)
        candidates, gold = retrieval.bucc_candidates(encoder, parts, args, encoder.device)
        if threshold is None:
            threshold = retrieval.candidates_threshold(candidates, gold)
        metrics[split], records[split] = retrieval.bucc_scores(candidates, gold, threshold)
        metrics[split].update(sentences_source=len(parts["source"]), sentences_target=len(parts["target"]),
                              gold_pairs=len(gold))
    return metrics, records


# spec.retrieval -> how one language is evaluated, what metrics.json notes about them
PROTOCOLS = {"tatoeba": tatoeba, "bucc": bucc}
NOTES = {"tatoeba": lambda data_args: {"directions": {
             "accuracy": "XTREME's: each English sentence retrieves its translation",
             "accuracy_reverse": "each source sentence retrieves its English"}},
         "bucc": lambda data_args: {"data_source": "local files" if data_args.data_dir else
                                    "hub gold pairs only (incomplete: F1 not comparable to BUCC 2018)"}}


def languages_of(spec, data_args):
    languages = resolve_languages(spec, data_args.languages)
    if spec.retrieval == "tatoeba":
        return [retrieval.tatoeba_language(lang) for lang in languages]
    unknown = [lang for lang in languages if lang not in spec.languages]
    if unknown:
        raise ValueError(f"--languages: {', '.join(unknown)} not a BUCC language ({', '.join(spec.languages)})")
    return languages


def prepare(argv=None, planned=()):
    """Parse and check everything the run will read (nothing is loaded or written); returns run()'s arguments."""
    with input_errors():
        model_args, data_args, args, out_args = parse_args(ModelArguments, DataArguments, RetrievalArguments,
                                                           OutputArguments, argv=sys.argv[1:] if argv is None else argv)
        spec = get_task(data_args.task or "")
        if spec.kind != "retrieval":
            raise InputError(f"--task {spec.name} is not a retrieval task (retrieval: "
                             f"{', '.join(n for n, s in TASKS.items() if s.kind == 'retrieval')})")
        languages = languages_of(spec, data_args)
    if needs_run(out_args.output_dir, data_args):
        check_retrieval(spec, languages, model_args, data_args, planned, args.layer, out_args.output_dir)
    return dict(spec=spec, languages=languages, model_args=model_args, data_args=data_args, args=args,
                out_args=out_args)


def run(spec, languages, model_args, data_args, args, out_args):
    """Encode and score every language; returns the metrics document."""
    return RetrievalRun(spec, languages, model_args, data_args, args, out_args)()


class RetrievalRun(Run):
    """An encoder's sentences embedded and scored by the task's protocol, language by language (no training;
    engine/lifecycle.py's order)."""

    def __init__(self, spec, languages, model_args, data_args, args, out_args):
        super().__init__(out_args.output_dir, overwrite=data_args.overwrite)
        self.spec, self.languages, self.model_args, self.data_args, self.args = spec, languages, model_args, \
            data_args, args
        self.out_args = out_args

    def start(self):
        spec, model_args, data_args, args = self.spec, self.model_args, self.data_args, self.args
        self.started = time.time()
        max_len = data_args.max_seq_length or spec.max_seq_length  # 512 for bucc and tatoeba, as in XTREME
        self.encoder = encoder = retrieval.Encoder(
            model_args.model_name_or_path, args.layer, args.pooling, max_len, args.batch_size,
            model_args.tokenizer_name, model_args.cache_dir, args.embedding_cache_dir, model_args.trust_remote_code,
            data_args.encoding_precision, model_args.attn_implementation)
        self.setting = {"model": model_args.model_name_or_path, "layer": encoder.layer,
                        "layer_rule": encoder.layer_rule, "num_layers": encoder.model.config.num_hidden_layers,
                        "pooling": args.pooling, "max_seq_length": max_len,
                        "margin_k": args.margin_k if spec.retrieval == "bucc" else None, "device": str(encoder.device)}
        device_settings = encoder.settings()
        logger.info("device: %s; encoding in %s, %s attention", device_settings["device"],
                    device_settings["precision"], device_settings["attn_implementation"])
        self.meter = CostMeter(encoder.model)  # forward passes only (run_config.json "cost")
        return run_config(model_args, data_args, args, self.out_args, task=spec.name, **self.setting,
                          device_settings=device_settings, **provenance(model_args.model_name_or_path))

    def evaluate(self):
        spec, encoder, args = self.spec, self.encoder, self.args
        evaluate = PROTOCOLS[spec.retrieval]
        per_language = {}
        for lang in self.languages:
            logger.info("%s %s: layer %d (%s), %s pooling", spec.name, lang, encoder.layer, encoder.layer_rule,
                        args.pooling)
            per_language[lang], records = evaluate(spec, lang, encoder, self.data_args, args)
            for split, rows in records.items():
                write_jsonl_atomic(self.out / "predictions" / spec.name / f"{split}-{lang}.jsonl", rows)
        return metrics_document(spec.name, spec.metric, per_language, **self.setting, retrieval=spec.retrieval,
                                **NOTES[spec.retrieval](self.data_args), seconds=round(time.time() - self.started, 1))
