"""The one skeleton of every run (a single task, several tasks sharing an encoder, retrieval without training).

A run provides its steps; the skeleton owns their order and the run folder's files (utils/lifecycle.py):

    run_once        a finished run (DONE) is skipped and its metrics returned; else the run holds <out>/.lock
    start()         what the run needs first (seed, tokenizer or encoder); returns run_config.json's fields,
                    written at once, so that a run that fails later leaves its record
    load()          the model and its data; returns more fields (the heads), written into run_config.json
    train()         training (a retrieval run has none)
    evaluate()      every evaluated set; returns the metrics document
    finish_run      metrics.json, the completed run_config.json (cost, data records), checkpoints removed, DONE
"""
import time
from abc import ABC, abstractmethod
from pathlib import Path

from utils.lifecycle import finish_run, run_once
from utils.results import write_json_atomic


class Run(ABC):
    """One run writing into `out`; main: whether this process writes the files (the main one of a distributed
    run); meter: the run's utils.cost.CostMeter, set by load() or start()."""
    meter = None
    keep_checkpoints = False

    def __init__(self, out, *, overwrite=False, main=True):
        self.out, self.overwrite, self.main = Path(out), overwrite, main

    @abstractmethod
    def start(self) -> dict:
        """Prepare the run; returns its run_config.json fields."""

    def load(self) -> dict:
        """Load the model and its data; returns more run_config.json fields."""
        return {}

    def train(self):
        """Train the model (nothing by default)."""

    @abstractmethod
    def evaluate(self) -> dict:
        """Evaluate every set of the run; returns its metrics document."""

    def __call__(self) -> dict:
        """The run's metrics document: run now, or read from a finished run."""
        return run_once(self.out, self._lifecycle, overwrite=self.overwrite, main=self.main)

    def _lifecycle(self) -> dict:
        started = time.time()
        config = self.start()
        self._write_config(config)
        loaded = self.load()
        if loaded:
            config.update(loaded)
            self._write_config(config)
        self.train()
        document = self.evaluate()
        finish_run(self.out, document, config, started, self.keep_checkpoints, self.main, meter=self.meter)
        return document

    def _write_config(self, config):
        if self.main:
            write_json_atomic(self.out / "run_config.json", config)
