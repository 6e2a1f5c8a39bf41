from django.urls import path

from . import views

app_name = "evaluation"

urlpatterns = [
    path("<int:year>/<int:category_id>/", views.sheet, name="sheet"),
    path("<int:year>/<int:category_id>/criteria/", views.criteria_edit, name="criteria"),
    path("<int:year>/<int:category_id>/import/", views.values_import, name="import"),
    path("<int:year>/<int:category_id>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<str:token>/", views.evidence_file, name="evidence"),
    path("<int:year>/declaration/", views.declaration, name="declaration"),
    path("criteria/<int:pk>/decide/", views.criteria_decide, name="criteria_decide"),
    path("<int:year>/<int:category_id>/panel/", views.panel_convene, name="panel_convene"),
    path("panels/", views.panels, name="panels"),
    path("panels/<int:pk>/", views.panel, name="panel"),
    path("panels/<int:pk>/settings/", views.panel_settings, name="panel_settings"),
]
