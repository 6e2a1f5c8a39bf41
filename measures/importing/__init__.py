"""Importing the catalogue and the organisation from spreadsheets and from a notice's text.

* ``reading``   — open an uploaded .xlsx / .csv safely (size, zip bomb, password, formulas, merged headers, row limit);
* ``names``     — recognise a bureau however it is written, and suggest the closest names when it is unknown;
* ``clauses``   — read a responsibility clause (市水务局会市发展改革委负责 …) into bureaus and roles;
* ``notice``    — split a notice's text into its numbered measures;
* ``catalogue`` — plan (preview) and apply an import of measures, all or nothing;
* ``organisation`` — the same for bureaus, nominee units and user accounts.

Every importer works in two steps: ``plan_*`` reads and validates without writing and returns a plan whose
rows are new, changed, unchanged or invalid; ``*_import`` applies a valid plan in one transaction.
"""
