"""Public results (主动公开): readable by anyone without logging in.

The same patterns serve every programme, included twice by incentives/urls.py: at ``/results/`` for the default
programme (namespace ``results``) and at ``/results/p/<programme>/`` for the others (namespace
``programme_results``). The module names no ``app_name``: each include gives its own."""

from django.urls import path

from .views import public as public_views

urlpatterns = [
    path("", public_views.public_index, name="index"),
    path("<int:year>/", public_views.public_results, name="cycle"),
    path("<int:year>/notice/", public_views.public_notice, name="notice"),
    path("<int:year>/notice/object/", public_views.public_objection, name="objection"),
    path("<int:year>/notice/receipt/", public_views.public_objection_receipt, name="objection_receipt"),
    path("objections/status/", public_views.public_objection_lookup, name="objection_lookup"),
    path("units/<int:pk>/", public_views.public_unit, name="unit"),
    path("statistics/", public_views.public_statistics, name="statistics"),
]
