from django.urls import path

from . import views

app_name = "nominations"

urlpatterns = [
    path("", views.home, name="home"),
    path("<int:year>/<int:category_id>/", views.list_detail, name="list"),
    path("<int:year>/<int:category_id>/edit/", views.list_edit, name="edit"),
    path("<int:year>/<int:category_id>/autosave/", views.list_autosave, name="autosave"),
    path("<int:year>/<int:category_id>/units/", views.unit_choices, name="units"),
    path("<int:year>/<int:category_id>/submit/", views.list_submit, name="submit"),
    path("sign-off/", views.sign_off_queue, name="sign_off_queue"),
    path("<int:year>/<int:category_id>/sign-off/", views.list_sign_off, name="sign_off"),
    path("<int:year>/<int:category_id>/withdraw/", views.list_withdraw, name="withdraw"),
    path("<int:year>/<int:category_id>/comment/", views.list_comment, name="comment"),
    path("<int:year>/<int:category_id>/print/", views.list_print, name="print"),
    path("<int:year>/<int:category_id>/exception/", views.exception_request, name="exception_request"),
    path("evidence/<str:token>/", views.evidence_download, name="evidence"),
    path("rules/<int:measure_id>/", views.rules, name="rules"),
    path("rules/files/<str:token>/", views.rules_download, name="rules_download"),
]
