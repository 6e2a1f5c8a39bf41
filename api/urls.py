from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from . import pages, views

app_name = "api"


class Schema(SpectacularAPIView):
    """The OpenAPI 3 description (YAML, or JSON with ?format=json): public, it holds no data."""

    permission_classes = [AllowAny]


class Docs(SpectacularSwaggerSplitView):
    """The description read in a browser (Swagger UI served from this site: no outside script)."""

    permission_classes = [AllowAny]
    url_name = "api:schema"


urlpatterns = [
    path("schema/", Schema.as_view(), name="schema"),
    path("docs/", Docs.as_view(), name="docs"),
    path("tokens/", pages.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", pages.token_revoke, name="token_revoke"),
    path("v1/programmes/", views.ProgrammeList.as_view(), name="programmes"),
    path("v1/catalogue/", views.CatalogueList.as_view(), name="catalogue"),
    path("v1/units/", views.UnitList.as_view(), name="units"),
    path("v1/cycles/", views.CycleList.as_view(), name="cycles"),
    path("v1/lists/", views.ListList.as_view(), name="lists"),
    path("v1/lists/<int:pk>/", views.ListDetail.as_view(), name="list"),
    path("v1/lists/<int:pk>/nominees/<int:nominee_pk>/evidence/", views.EvidenceAdd.as_view(), name="evidence_add"),
    path("v1/drafts/<int:year>/<int:category_id>/", views.DraftSave.as_view(), name="draft"),
    path("v1/scores/<int:year>/<int:category_id>/", views.ValuesEnter.as_view(), name="values"),
    path("v1/results/", views.ResultList.as_view(), name="results"),
    path("v1/awards/", views.AwardList.as_view(), name="awards"),
    path("v1/funds/", views.FundsList.as_view(), name="funds"),
]
