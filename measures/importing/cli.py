"""What the import commands print: a summary, then every error with its row and column."""

from __future__ import annotations

from .catalogue import CataloguePlan


def print_catalogue_plan(out, plan: CataloguePlan, *, dry_run: bool, verbose: bool = False) -> None:
    counts = plan.counts()
    if plan.new_document:
        out.write(f"Document: new {plan.new_document.get('number')} ({plan.new_document.get('title') or 'untitled'})")
    elif plan.document is not None:
        out.write(f"Document: {plan.document.number} (measures updated in place)")
    out.write(f"Measures read: {len(plan.measures)}; categories: {sum(len(m.categories) for m in plan.measures)}")
    out.write("Rows: {new} new, {changed} changed, {unchanged} unchanged, {invalid} invalid".format(**counts))
    for name, close in sorted(plan.unknown_bureaus.items()):
        hint = f" (closest: {'、'.join(close)})" if close else ""
        action = "will be created" if plan.create_bureaus else "unknown"
        out.write(f"Bureau {name}: {action}{hint}")
    if verbose or dry_run:
        for row in plan.rows:
            if row.status in ("new", "changed"):
                detail = "; ".join(row.changes)
                out.write(f"  row {row.row} [{row.status}] {row.key} {row.label} {row.bureaus}" + (f" — {detail}" if detail else ""))
    for error in plan.all_errors:
        out.write(f"ERROR {error}")
