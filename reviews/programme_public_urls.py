"""Public results of a programme other than the default one: ``/results/p/<code>/…``, the same pages as
``reviews.public_urls`` (the default programme's, at ``/results/``)."""

from django.urls import path

from . import views

app_name = "programme_results"

urlpatterns = [
    path("", views.public_index, name="index"),
    path("<int:year>/", views.public_results, name="cycle"),
    path("<int:year>/notice/", views.public_notice, name="notice"),
    path("<int:year>/notice/object/", views.public_objection, name="objection"),
    path("<int:year>/notice/receipt/", views.public_objection_receipt, name="objection_receipt"),
    path("units/<int:pk>/", views.public_unit, name="unit"),
    path("statistics/", views.public_statistics, name="statistics"),
]
