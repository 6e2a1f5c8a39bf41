"""Public results of a programme other than the default one: ``/results/p/<code>/…``, the same pages as
``reviews.public_urls`` (the default programme's, at ``/results/``)."""

from django.urls import path

from .views import public as public_views

app_name = "programme_results"

urlpatterns = [
    path("", public_views.public_index, name="index"),
    path("<int:year>/", public_views.public_results, name="cycle"),
    path("<int:year>/notice/", public_views.public_notice, name="notice"),
    path("<int:year>/notice/object/", public_views.public_objection, name="objection"),
    path("<int:year>/notice/receipt/", public_views.public_objection_receipt, name="objection_receipt"),
    path("units/<int:pk>/", public_views.public_unit, name="unit"),
    path("statistics/", public_views.public_statistics, name="statistics"),
]
