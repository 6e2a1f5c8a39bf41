from django.urls import path

from . import award_views, views

app_name = "reviews"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("export/", views.queue_export, name="queue_export"),
    path("bulk/", views.queue_bulk, name="queue_bulk"),
    path("<int:year>/remind-late/", views.remind_late, name="remind_late"),
    path("lists/<int:pk>/", views.list_detail, name="list"),
    path("lists/<int:pk>/return/", views.list_return, name="list_return"),
    path("lists/<int:pk>/close/", views.list_acknowledge, name="list_acknowledge"),
    path("lists/<int:pk>/nominees/<int:nominee_pk>/decide/", views.nominee_decide, name="nominee_decide"),
    path("lists/<int:pk>/decide/", views.list_decide, name="list_decide"),
    path("lists/<int:pk>/evidence/<str:token>/", views.evidence_file, name="evidence"),
    path("<int:year>/categories/<int:category_pk>/exception/", views.cap_exception, name="cap_exception"),
    path("<int:year>/categories/<int:category_pk>/exception/withdraw/", award_views.exception_withdraw,
         name="cap_exception_withdraw"),
    path("exception-requests/<int:pk>/grant/", award_views.exception_grant, name="exception_grant"),
    path("exception-requests/<int:pk>/refuse/", award_views.exception_refuse, name="exception_refuse"),
    path("<int:year>/register/", award_views.register, name="register"),
    path("register/<int:pk>/confirm/", award_views.register_confirm, name="register_confirm"),
    path("funds/", award_views.funds, name="funds"),
    path("funds/awards/<int:pk>/", award_views.funds_award, name="funds_award"),
    path("rules/", award_views.rules_overview, name="rules"),
    path("rules/<int:pk>/decide/", award_views.rules_decide, name="rules_decide"),
    path("<int:year>/publish/", views.cycle_publish, name="publish"),
    path("<int:year>/reopen/", views.cycle_reopen, name="reopen"),
    path("<int:year>/begin-review/", views.cycle_begin_review, name="begin_review"),
    path("<int:year>/notice/", views.notice_preflight, name="notice"),
    path("<int:year>/objections/", views.objection_list, name="objections"),
    path("objections/<int:pk>/", views.objection_settle, name="objection"),
    path("objections/<int:pk>/evidence/", views.objection_evidence, name="objection_evidence"),
]
