from measures.exports import award_rows

from .export_nominations import Command as ExportNominations


class Command(ExportNominations):
    help = "Export the awards of a cycle (one row per awardee) as CSV (standard output by default) or XLSX."
    rows_for = staticmethod(award_rows)
