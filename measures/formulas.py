"""Formula injection: the one rule for what a spreadsheet would run as a formula, used by exports and imports.

A cell is formula-like when, after any leading spaces, it starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return (the characters OWASP lists for CSV injection; spreadsheets skip the spaces before them). Exports
neutralise such a cell with a leading apostrophe (``safe_cell``); a CSV import refuses one, and takes an
apostrophe-neutralised cell back as the text it was (so an export imports unchanged).
"""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
LEADING_SPACES = " \u3000"  # ASCII and ideographic (full-width) spaces


def looks_like_formula(value) -> bool:
    return isinstance(value, str) and value.lstrip(LEADING_SPACES)[:1] in FORMULA_PREFIXES and value.strip(LEADING_SPACES) != ""


def safe_cell(value):
    """Neutralise text a spreadsheet would run as a formula (CSV/formula injection)."""
    if looks_like_formula(value):
        return "'" + value
    return value


def unneutralised(text: str) -> str:
    """The text an export's ``safe_cell`` neutralised, without its apostrophe; any other text as it is."""
    if text[:1] == "'" and looks_like_formula(text[1:]):
        return text[1:]
    return text
