"""Body limits that fit honest input: each page that takes files gets its limit from one table
(``incentives.request_limits.UPLOAD_PAGES``), a public form what its fields can hold, and everything else a stranger
sends stays capped at ``REQUEST_MAX_BYTES_SMALL``."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from incentives import request_limits
from reviews.models import Objection

pytestmark = pytest.mark.django_db


def _pdf(size: int, name: str = "evidence.pdf") -> SimpleUploadedFile:
    body = b"%PDF-1.4\n" + b"0" * (size - 9)
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def _objection(world, **changes) -> dict:
    return {"name": "陈明", "contact": "13800000000", "award": str(world.extra["objection"].award_id),
            "grounds": "数据不实", **changes}


def test_an_anonymous_objection_with_a_100_kb_pdf_is_filed(world):
    url = reverse("results:objection", kwargs={"year": world.extra["notice"].year})
    before = Objection.objects.count()
    response = Client().post(url, _objection(world, evidence=_pdf(100 * 1024)))
    assert response.status_code == 302, response.content.decode()[:500]
    assert Objection.objects.count() == before + 1


def test_grounds_as_long_as_the_form_allows_are_read_not_refused_as_too_large(world):
    """8,000 characters of Chinese (the form's maximum) weigh 72 KB once percent-encoded: past the 64 KB cap of
    signed-out requests, within what the objection's form can hold."""
    url = reverse("results:objection", kwargs={"year": world.extra["notice"].year})
    from reviews.models import Objection

    before = Objection.objects.count()
    response = Client().post(url, _objection(world, grounds="据" * 8000))
    assert response.status_code == 302  # taken: the form's maximum is the service's
    assert Objection.objects.count() == before + 1 and Objection.objects.latest("pk").grounds == "据" * 8000
    assert request_limits.form_bytes("reviews.forms.ObjectionForm") > 8000 * 9


def test_a_stranger_s_body_elsewhere_stays_capped(world, settings):
    response = Client().post(reverse("password_reset"), {"email": "x" * (settings.REQUEST_MAX_BYTES_SMALL + 1)})
    assert response.status_code == 413


def test_an_objection_file_past_the_evidence_limit_is_stopped(world, settings):
    settings.EVIDENCE_MAX_BYTES = 128 * 1024
    url = reverse("results:objection", kwargs={"year": world.extra["notice"].year})
    response = Client().post(url, _objection(world, evidence=_pdf(512 * 1024)))
    assert response.status_code == 413


def test_a_3_mb_rules_file_is_an_upload_not_a_form(world):
    client = world.clients["water"]
    client.raise_request_exception = False
    measure = world.scopes[1].category.measure_id  # 19: 市水务局 files rules for 19-1, none filed yet
    data = {"bureau": str(world.extra["rules"].bureau_id), "title": "实施办法（修订）",
            "file": _pdf(3 * 1024 * 1024, "rules.pdf"), "csrfmiddlewaretoken": "matrixCsrfSecret0123456789abcdef"}
    response = client.post(reverse("nominations:rules", kwargs={"measure_id": measure}), data)
    assert response.status_code != 413
    assert response.status_code in (200, 302), response.content.decode()[-3000:]

