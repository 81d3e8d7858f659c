"""The section interface: every section of the report is a module of reporting/sections/ with

    build(context: Context) -> Section

Context is what every section reads (the runs, collected and grouped once); Section is what it gives back (its
Markdown, its tables, its plots), which reporting/render.py writes (a plot is drawn only then, one at a time). A section changes nothing it reads: a table
several sections use (the per-language scores, the significance intervals) is built once through
`context.shared(build)` and copied, never edited, by the sections that add to it.
"""
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from reporting.runs import group_configs
from reporting.stats import RESAMPLES

REPORT = "report.md"


@dataclass
class Context:
    root: Path                      # RUNS_DIR: run paths are relative to it
    runs: list                      # reporting.runs.collect(...)
    split: str = "test"             # the split whose scores are reported
    resamples: int = RESAMPLES      # paired-bootstrap resamples (reporting/stats.py)
    seed: int = 0                   # the bootstrap's random seed
    _shared: dict = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def groups(self) -> dict:
        """(base model, intermediate, target) -> its finished target runs, in report order."""
        return group_configs(self.runs)

    def shared(self, build):
        """build(self), computed once per report: a table that several sections read."""
        if build not in self._shared:
            self._shared[build] = build(self)
        return self._shared[build]


@dataclass
class Section:
    markdown: str = ""                               # "": nothing to report
    tables: dict = field(default_factory=dict)       # name -> rows (dicts), written as <name>.csv when not empty
    plots: dict = field(default_factory=dict)        # file name (.png) -> a function drawing its matplotlib figure
    file: str = REPORT                               # the Markdown file the section goes into
