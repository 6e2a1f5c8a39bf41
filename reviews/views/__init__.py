"""The review's pages, one module per subject: the reviewer's desk (``queue``), one list under review (``lists``),
exceptions to the cap (``exceptions``), the public notice and objections (``notice``), publication and
reopening (``publication``), the register and the funds (``funds``), implementation rules (``rules``); and
the public pages, no login (``public``). What they share is ``common``'s.

Reviewers' pages answer 404 to anyone else; the register and the funds also let in the bureaus of measure 32
and the finance bureau's staff. The URLconfs import the modules themselves. The views ``queue`` and ``funds``
are not re-exported here: the names are their modules'."""

from .exceptions import (
    cap_exception,
    exception_grant,
    exception_refuse,
    exception_withdraw,
)
from .funds import (
    LEDGER_HEADER,
    funds_award,
    register,
    register_confirm,
)
from .lists import (
    EVIDENCE_PREVIEWED,
    evidence_file,
    list_acknowledge,
    list_decide,
    list_detail,
    list_return,
    nominee_decide,
)
from .notice import (
    cycle_begin_review,
    notice_preflight,
    objection_evidence,
    objection_list,
    objection_settle,
)
from .public import (
    public_index,
    public_notice,
    public_objection,
    public_objection_receipt,
    public_results,
    public_statistics,
    public_unit,
)
from .publication import (
    cycle_publish,
    cycle_reopen,
)
from .queue import (
    QUEUE_FILTERS,
    QUEUE_PAGE_SIZE,
    queue_bulk,
    queue_export,
    remind_late,
)
from .rules import (
    rules_decide,
    rules_overview,
)

__all__ = [
    "EVIDENCE_PREVIEWED",
    "LEDGER_HEADER",
    "QUEUE_FILTERS",
    "QUEUE_PAGE_SIZE",
    "cap_exception",
    "cycle_begin_review",
    "cycle_publish",
    "cycle_reopen",
    "evidence_file",
    "exception_grant",
    "exception_refuse",
    "exception_withdraw",
    "funds_award",
    "list_acknowledge",
    "list_decide",
    "list_detail",
    "list_return",
    "nominee_decide",
    "notice_preflight",
    "objection_evidence",
    "objection_list",
    "objection_settle",
    "public_index",
    "public_notice",
    "public_objection",
    "public_objection_receipt",
    "public_results",
    "public_statistics",
    "public_unit",
    "queue_bulk",
    "queue_export",
    "register",
    "register_confirm",
    "remind_late",
    "rules_decide",
    "rules_overview",
]
