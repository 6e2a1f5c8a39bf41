"""What the import commands print: a summary, then every error with its row and column."""

from __future__ import annotations

from django.core.management.base import CommandError

from organisation.models import Programme

from .plan import CataloguePlan
from .subjects import STANDARD_KINDS


def programme_option(parser) -> None:
    parser.add_argument("--programme", metavar="CODE", help="the importing programme's code (default: the default programme)")


def programme_from_options(options) -> Programme:
    """The programme named by ``--programme``, or the default programme."""
    code = options.get("programme")
    if not code:
        return Programme.objects.default()
    programme = Programme.objects.filter(code=code).first()
    if programme is None:
        known = ", ".join(Programme.objects.values_list("code", flat=True))
        raise CommandError(f"No programme with the code {code!r} (known: {known}).")
    return programme


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
    published = plan.published_years()
    if published:
        years = ", ".join(str(y) for y in published)
        out.write(f"WARNING {plan.document.number} has published years ({years}): their results keep the titles, "
                  "support and unit names they were published with; this import changes only years not yet published.")
    for code in plan.new_kinds:
        out.write(f"Kind of unit {code} ({STANDARD_KINDS[code].name}): will be created")
    if verbose or dry_run:
        for row in plan.rows:
            if row.status in ("new", "changed"):
                detail = "; ".join(row.changes)
                out.write(f"  row {row.row} [{row.status}] {row.key} {row.label} {row.bureaus}" + (f" — {detail}" if detail else ""))
    for error in plan.all_errors:
        out.write(f"ERROR {error}")


def finish_catalogue_import(command, plan: CataloguePlan, *, dry_run: bool, verbose: bool):
    """What both import commands do with a plan: print it, refuse it if invalid (nothing written), stop at a dry
    run, or apply it. Returns the document written, or None for a dry run."""
    from django.core.management.base import CommandError

    from incentives.errors import DomainError

    from .services import catalogue_import

    print_catalogue_plan(command.stdout, plan, dry_run=dry_run, verbose=verbose)
    if not plan.is_valid:
        raise CommandError(f"{len(plan.all_errors)} error(s): nothing was imported.")
    if dry_run:
        command.stdout.write("Dry run: nothing was written.")
        return None
    try:
        return catalogue_import(actor=None, plan=plan)
    except DomainError as error:
        raise CommandError(str(error)) from None
