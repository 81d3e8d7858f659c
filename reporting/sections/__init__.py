"""The report's sections, in the order they appear. Each is a module of this package whose
build(context: reporting.section.Context) -> reporting.section.Section gives its Markdown, tables and plots; its
name is the module's (scripts/report.py --sections NAME,...). A new section is one module here and one entry in
ORDER."""
import importlib

ORDER = ("paper", "benchmarks", "base_models", "significance", "domain_shift", "settings", "typology", "fairness",
         "cost", "data", "runs", "heatmaps", "languages", "groups")
SECTIONS = {name: importlib.import_module(f"{__name__}.{name}") for name in ORDER}
