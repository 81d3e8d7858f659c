"""The report as a package: the runs collected and grouped once (runs.py), the statistics the sections share
(stats.py), the section interface (section.py: build(Context) -> Section), the sections in their order
(sections/__init__.py SECTIONS) and the one renderer of Markdown, CSV and PNG (render.py). scripts/report.py is its
command line."""
