"""``madoguchi report``'s drawing: a period's figures from the audit record (counted by
:mod:`madoguchi.audit.figures`) on A4 pages with Pillow (:mod:`.pages`, :mod:`.charts`), saved as a
PNG or a multi-page PDF for the municipality."""

from madoguchi.ops.report.pages import report_pages, save

__all__ = ["report_pages", "save"]
