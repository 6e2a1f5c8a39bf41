from django.contrib import admin
from django.urls import include, path

from . import health

handler400 = "incentives.request_limits.bad_request"

urlpatterns = [
    path("", include("organisation.urls")),
    path("accounts/", include("security.account_urls")),
    path("accounts/", include("organisation.account_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("measures/", include("measures.urls")),
    path("evaluation/", include("evaluation.urls")),
    path("nominations/", include("nominations.urls")),
    path("review/", include("reviews.urls")),
    # One set of public pages, two namespaces: the default programme's and the others' (by their code).
    path("results/", include(("reviews.public_urls", "results"))),
    path("results/p/<slug:programme>/", include(("reviews.public_urls", "programme_results"))),
    path("health/", health.ready, name="health"),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", include("reviews.metrics")),
    path("notifications/", include("organisation.notification_urls")),
    path("bulletins/", include("reviews.bulletin_urls")),
    path("api/", include("api.urls")),
    path("", include("security.urls")),
]


handler500 = "incentives.unavailable.server_error"
