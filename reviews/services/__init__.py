"""The General Office's state changes, one module per subject: the decisions on lists and the reviewer's desk
(``decisions``), exceptions to the cap (``exceptions``), the review and the public notice with its objections
(``notice``), publication, reopening and the bulletin (``publication``), the register of higher-level incentives
and the funds (``funds``), the review of implementation rules (``rules``), screening (负面清单) and its flags (``screening``); what they share is ``common``'s.

Callers use the names re-exported here (``from reviews import services``; ``services.cycle_publish(...)``);
the modules import each other directly, never through this package."""

from .decisions import (
    late_bureaus_remind,
    lists_mark_read,
    nomination_list_acknowledge,
    nomination_list_return,
    nominee_decide,
    nominees_decide,
    review_queue_export_record,
)
from .exceptions import (
    cap_exception_grant,
    cap_exception_record,
    cap_exception_refuse,
    cap_exception_withdraw,
)
from .funds import (
    award_amount_set,
    disbursement_record,
    higher_award_category,
    higher_award_confirm,
    higher_award_record,
)
from .notice import (
    MAX_OBJECTION_CONTACT,
    MAX_OBJECTION_GROUNDS,
    MAX_OBJECTION_NAME,
    RECEIPT_ALPHABET,
    cycle_notice_start,
    cycle_review_begin,
    notice_running,
    objection_file,
    objection_settle,
)
from .publication import (
    bulletin_request,
    cycle_publish,
    cycle_reopen,
)
from .retention import (
    PurgeReport,
    objection_personal_data_read,
    personal_data_purge,
)
from .rules import (
    rules_accept,
    rules_return,
)
from .screening import (
    EventsPlan,
    balance_settings_set,
    screening_event_record,
    screening_flag_settle,
    screening_import,
    screening_import_plan,
)

__all__ = [
    "EventsPlan",
    "balance_settings_set",
    "screening_event_record",
    "screening_flag_settle",
    "screening_import",
    "screening_import_plan",
    "MAX_OBJECTION_CONTACT",
    "MAX_OBJECTION_GROUNDS",
    "MAX_OBJECTION_NAME",
    "RECEIPT_ALPHABET",
    "PurgeReport",
    "award_amount_set",
    "bulletin_request",
    "cap_exception_grant",
    "cap_exception_record",
    "cap_exception_refuse",
    "cap_exception_withdraw",
    "cycle_notice_start",
    "cycle_publish",
    "cycle_reopen",
    "cycle_review_begin",
    "disbursement_record",
    "higher_award_category",
    "higher_award_confirm",
    "higher_award_record",
    "late_bureaus_remind",
    "lists_mark_read",
    "nomination_list_acknowledge",
    "nomination_list_return",
    "nominee_decide",
    "nominees_decide",
    "notice_running",
    "objection_file",
    "objection_personal_data_read",
    "objection_settle",
    "personal_data_purge",
    "review_queue_export_record",
    "rules_accept",
    "rules_return",
]
