from nominations.management.commands.export_nominations import Command as ExportNominations
from reviews.exports import award_rows


class Command(ExportNominations):
    help = "Export the awards of a cycle (one row per awardee) as CSV (standard output by default) or XLSX."
    rows_for = staticmethod(award_rows)
