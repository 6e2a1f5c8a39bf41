"""Details every page shares: styled error pages under production settings, the favicon, the admin themed like the
site with its language switch and a translated header."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.views import defaults

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_the_site_s_styled_404(client, settings, clerk_water):
    settings.DEBUG = False
    client.force_login(clerk_water)
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404 and 'data-status="404"' in html and "页面不存在" in html
    assert 'href="/static/favicon.svg"' in html and 'href="/static/css/site.css"' in html


def test_the_403_and_500_pages_are_styled_and_translated(settings, rf: RequestFactory):
    settings.DEBUG = False
    request = rf.get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    forbidden = defaults.permission_denied(request, exception=None)
    assert forbidden.status_code == 403 and 'data-status="403"' in forbidden.content.decode()
    error = defaults.server_error(request)
    html = error.content.decode()
    # Rendered without the database or a request context: only the style sheet and plain links.
    assert error.status_code == 500 and 'data-status="500"' in html and 'href="/static/css/site.css"' in html


def test_the_admin_is_themed_like_the_site_with_its_language_switch(client, administrator):
    client.force_login(administrator)
    html = client.get(reverse("admin:index")).content.decode()
    assert 'href="/static/css/admin.css"' in html and 'name="language"' in html and "广州市督查激励管理系统" in html
    client.post(reverse("set_language"), {"language": "en", "next": "/admin/"})
    html = client.get(reverse("admin:index")).content.decode()
    assert "Guangzhou supervision incentives system" in html and "广州市督查激励管理系统" not in html
