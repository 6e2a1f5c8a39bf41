from django.urls import path

from . import notification_views

urlpatterns = [
    path("", notification_views.notification_list, name="notifications"),
    path("read/", notification_views.notification_mark_read, name="notifications_read"),
]
