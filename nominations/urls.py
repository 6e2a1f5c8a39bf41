from django.urls import path

from . import views

app_name = "nominations"

urlpatterns = [
    path("", views.home, name="home"),
]
