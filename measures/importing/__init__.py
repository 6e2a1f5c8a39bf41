"""Importing the catalogue and the organisation from spreadsheets and from a notice's text.

* ``plan``        — the plan of an import of measures: rows new/changed/unchanged/invalid, ``compare`` with the
                    document, the database's rules checked beforehand (a dry run predicts the real run);
* ``services``    — apply a valid plan in one transaction;
* ``reading``     — open an uploaded .xlsx / .csv safely (size, zip bomb, password, formulas, merged headers, row limit);
* ``spreadsheet`` — the spreadsheet reader: catalogue rows → plan;
* ``text``        — a notice's file → lines: encodings (UTF-8, GB18030, UTF-16 with or without BOM), or ``docx``;
* ``docx``        — a Word document's paragraphs, automatic numbering and tables of measures → lines;
* ``notice``      — lines → paragraphs → numbered measures, each with its clause;
* ``clauses``     — find and read a responsibility clause (市水务局会市发展改革委负责, 牵头单位：…) into bureaus and roles;
* ``subjects``    — the kinds of units a measure rewards and the forms of support, guessed from its words;
* ``simplified``  — traditional characters to simplified ones (OpenCC);
* ``notice_plan`` — the notice reader: measures and clauses → plan;
* ``names``       — recognise a bureau however it is written, and suggest the closest names when it is unknown;
* ``organisation`` — plan and apply imports of bureaus, nominee units and user accounts.

Every importer works in two steps: ``plan_*`` reads and validates without writing and returns a plan whose
rows are new, changed, unchanged or invalid; ``*_import`` applies a valid plan in one transaction.
"""
