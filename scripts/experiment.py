#!/usr/bin/env python
"""Print an experiment file's plan, its jobs' pipelines (pipeline/experiment.py says what the file holds).

    python scripts/experiment.py experiments/q1_domain_shift.json --output_dir runs [--mini]
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the pipeline package

from pipeline.experiment import main  # noqa: E402

if __name__ == "__main__":
    main()
