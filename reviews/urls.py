from django.urls import path

from .views import dossier as dossier_views
from .views import exceptions as exceptions_views
from .views import funds as funds_views
from .views import lists as lists_views
from .views import notice as notice_views
from .views import publication as publication_views
from .views import queue as queue_views
from .views import rules as rules_views
from .views import screening as screening_views

app_name = "reviews"

urlpatterns = [
    path("", queue_views.queue, name="queue"),
    path("export/", queue_views.queue_export, name="queue_export"),
    path("bulk/", queue_views.queue_bulk, name="queue_bulk"),
    path("choices/<slug:kind>/", queue_views.queue_choices, name="queue_choices"),
    path("<int:year>/remind-late/", queue_views.remind_late, name="remind_late"),
    path("lists/<int:pk>/", lists_views.list_detail, name="list"),
    path("lists/<int:pk>/return/", lists_views.list_return, name="list_return"),
    path("lists/<int:pk>/close/", lists_views.list_acknowledge, name="list_acknowledge"),
    path("lists/<int:pk>/nominees/<int:nominee_pk>/decide/", lists_views.nominee_decide, name="nominee_decide"),
    path("lists/<int:pk>/decide/", lists_views.list_decide, name="list_decide"),
    path("lists/<int:pk>/evidence/<str:token>/", lists_views.evidence_file, name="evidence"),
    path("<int:year>/categories/<int:category_pk>/exception/", exceptions_views.cap_exception, name="cap_exception"),
    path("<int:year>/categories/<int:category_pk>/exception/withdraw/", exceptions_views.exception_withdraw,
         name="cap_exception_withdraw"),
    path("exception-requests/<int:pk>/grant/", exceptions_views.exception_grant, name="exception_grant"),
    path("exception-requests/<int:pk>/refuse/", exceptions_views.exception_refuse, name="exception_refuse"),
    path("<int:year>/register/", funds_views.register, name="register"),
    path("register/<int:pk>/confirm/", funds_views.register_confirm, name="register_confirm"),
    path("funds/", funds_views.funds, name="funds"),
    path("funds/awards/<int:pk>/", funds_views.funds_award, name="funds_award"),
    path("rules/", rules_views.rules_overview, name="rules"),
    path("rules/<int:pk>/decide/", rules_views.rules_decide, name="rules_decide"),
    path("<int:year>/publish/", publication_views.cycle_publish, name="publish"),
    path("<int:year>/reopen/", publication_views.cycle_reopen, name="reopen"),
    path("<int:year>/begin-review/", notice_views.cycle_begin_review, name="begin_review"),
    path("<int:year>/notice/", notice_views.notice_preflight, name="notice"),
    path("<int:year>/objections/", notice_views.objection_list, name="objections"),
    path("objections/<int:pk>/", notice_views.objection_settle, name="objection"),
    path("objections/<int:pk>/evidence/", notice_views.objection_evidence, name="objection_evidence"),
    path("screening/", screening_views.screening_register, name="screening"),
    path("screening/import/", screening_views.screening_import, name="screening_import"),
    path("screening/awards/<int:award_pk>/events/<int:event_pk>/settle/", screening_views.screening_settle,
         name="screening_settle"),
    path("<int:year>/balance/", screening_views.balance, name="balance"),
    path("<int:year>/balance/export/", screening_views.balance_export, name="balance_export"),
    path("dossiers/", dossier_views.dossier_years, name="dossier_years"),
    path("<int:year>/dossiers/", dossier_views.dossiers, name="dossiers"),
    path("<int:year>/dossiers/<int:category_pk>/", dossier_views.dossier_download, name="dossier"),
]
