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
from tasks.kinds import kind_of
from tasks import retrieval
from utils.args import DataArguments, InputError, ModelArguments, RetrievalArguments, input_errors, parse_args
from utils.cost import CostMeter
from utils.results import metrics_document, run_config, write_jsonl_atomic

logger = logging.getLogger(__name__)
SCRIPT = "run_retrieval.py"  # the entry script of the kinds this run evaluates (Kind.script)


@dataclass
class OutputArguments:
    output_dir: str = field(metadata={"help": "Where run_config.json, metrics.json, predictions/ and DONE go."})
    seed: int | None = field(default=None, metadata={
        "help": "Recorded in run_config.json only (retrieval is deterministic): the seed of the sweep job whose "
                "encoder this run evaluates."})


def prepare(argv=None, planned=()):
    """Parse and check everything the run will read (nothing is loaded or written); returns run()'s arguments."""
    with input_errors():
        model_args, data_args, args, out_args = parse_args(ModelArguments, DataArguments, RetrievalArguments,
                                                           OutputArguments, argv=sys.argv[1:] if argv is None else argv)
        spec = get_task(data_args.task or "")
        if kind_of(spec).script != SCRIPT:
            raise InputError(f"--task {spec.name} is not a retrieval task (retrieval: "
                             f"{', '.join(n for n, s in TASKS.items() if kind_of(s).script == SCRIPT)})")
        languages = kind_of(spec).languages(spec, resolve_languages(spec, data_args.languages))
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
        self.kind = kind_of(spec)
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
                        "pooling": args.pooling, "max_seq_length": max_len, "margin_k": None,
                        **self.kind.setting(args), "device": str(encoder.device)}
        device_settings = encoder.settings()
        logger.info("device: %s; encoding in %s, %s attention", device_settings["device"],
                    device_settings["precision"], device_settings["attn_implementation"])
        self.meter = CostMeter(encoder.model)  # forward passes only (run_config.json "cost")
        return run_config(model_args, data_args, args, self.out_args, task=spec.name, **self.setting,
                          device_settings=device_settings, **provenance(model_args.model_name_or_path))

    def evaluate(self):
        spec, encoder, args = self.spec, self.encoder, self.args
        per_language = {}
        for lang in self.languages:
            logger.info("%s %s: layer %d (%s), %s pooling", spec.name, lang, encoder.layer, encoder.layer_rule,
                        args.pooling)
            per_language[lang], records = self.kind.evaluate_language(spec, lang, encoder, self.data_args, args)
            for split, rows in records.items():
                write_jsonl_atomic(self.out / "predictions" / spec.name / f"{split}-{lang}.jsonl", rows)
        return metrics_document(spec.name, spec.metric, per_language, **self.setting, retrieval=self.kind.PROTOCOL,
                                **self.kind.notes(self.data_args), seconds=round(time.time() - self.started, 1))
