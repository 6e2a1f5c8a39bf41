from django.urls import path

from . import views

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
    path("<int:year>/publish/", views.cycle_publish, name="publish"),
    path("<int:year>/reopen/", views.cycle_reopen, name="reopen"),
]
