"""The report's sections, in the order they appear: each module's build(context) -> reporting.section.Section.
A new section is one module here and one entry in SECTIONS (its name is the module's: scripts/report.py
--sections NAME,...)."""
from reporting.sections import (base_models, benchmarks, cost, data, domain_shift, fairness, groups, heatmaps,
                                languages, paper, runs, significance, typology)

SECTIONS = {module.__name__.rsplit(".", 1)[-1]: module for module in (
    paper, benchmarks, base_models, significance, domain_shift, typology, fairness, cost, data, runs, heatmaps,
    languages, groups)}
