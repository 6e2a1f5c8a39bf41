from django.urls import path

from . import views

app_name = "measures"

urlpatterns = [
    path("", views.measure_list_view, name="list"),
    path("<int:pk>/", views.measure_detail_view, name="detail"),
    path("bureaus/", views.bureau_list_view, name="bureaus"),
]
