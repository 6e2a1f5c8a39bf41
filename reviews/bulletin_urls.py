from django.urls import path

from . import bulletin_views

app_name = "bulletins"

urlpatterns = [
    path("<int:year>/", bulletin_views.bulletin_versions, name="versions"),
    path("<int:year>/render/", bulletin_views.bulletin_request_view, name="request"),
    path("v/<int:pk>/", bulletin_views.bulletin_progress, name="progress"),
    path("v/<int:pk>/status.json", bulletin_views.bulletin_status, name="status"),
    path("v/<int:pk>/download/", bulletin_views.bulletin_download, name="download"),
    path("v/<int:pk>/download/ofd/", bulletin_views.bulletin_download_ofd, name="download_ofd"),
]
