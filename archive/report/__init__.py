"""``archive report``: a static HTML report of a release, browsable from the file system.

``build.py`` gathers the figures and the bounded samples and writes the folder; ``pages.py``
renders each page; ``charts.py`` draws the bar charts as SVG; ``assets/`` holds the inlined
style sheet and the record table's script.
"""

from archive.report.build import Written, default_out, write_report

__all__ = ["Written", "default_out", "write_report"]
