"""Public results (主动公开): readable by anyone without logging in."""

from django.urls import path

from . import views

app_name = "results"

urlpatterns = [
    path("", views.public_index, name="index"),
    path("<int:year>/", views.public_results, name="cycle"),
    path("<int:year>/notice/", views.public_notice, name="notice"),
    path("<int:year>/notice/object/", views.public_objection, name="objection"),
    path("<int:year>/notice/receipt/", views.public_objection_receipt, name="objection_receipt"),
    path("units/<int:pk>/", views.public_unit, name="unit"),
    path("statistics/", views.public_statistics, name="statistics"),
]
