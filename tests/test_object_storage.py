"""Media in S3-compatible object storage: the code paths web and workers share assume no local disk.

The real django-storages S3 backend runs against moto's in-process S3 (no network): evidence saved through the
nomination service lands in the bucket; its download, after the permission check, is a short-lived signed link
that names the file; someone without the right gets no link; a previewed file is streamed by the application;
an import waiting for its confirmation is kept in the bucket, so the confirming request may reach another host.
"""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, urlparse

import boto3
import moto
import pytest
import requests
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from measures.importing.admin_views import pending_discard, pending_load, pending_save
from nominations import services
from nominations.models import Evidence
from tests.factories import entry, pdf_file

BUCKET = "incentives-media-test"


@pytest.fixture
def bucket(settings):
    with moto.mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
            "bucket_name": BUCKET, "region_name": "us-east-1", "querystring_auth": True, "querystring_expire": 60,
            "default_acl": None, "file_overwrite": False, "signature_version": "s3v4", "access_key": "test", "secret_key": "test"}}}
        settings.MEDIA_SIGNED_URLS = True
        settings.MEDIA_SIGNED_URL_SECONDS = 60
        yield boto3.client("s3", region_name="us-east-1")


@pytest.fixture
def evidence_list(bucket, administrator, clerk_water, category, districts):
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    cycle = services.cycle_open(actor=administrator, year=2093, opens_at=now - datetime.timedelta(days=1),
                                deadline=now + datetime.timedelta(days=30))
    nl = services.nomination_list_get_or_create(actor=clerk_water, cycle=cycle, category=category("6"))
    return services.nomination_list_save(actor=clerk_water, nomination_list=nl, version=nl.version,
                                         entries=[entry(districts[0], files=[pdf_file("第一名佐证.pdf")])])


def test_evidence_is_stored_in_the_bucket_and_downloaded_by_a_signed_link(evidence_list, bucket, clerk_water):
    evidence = Evidence.objects.get(nominee__nomination_list=evidence_list)
    keys = [o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [evidence.file.name]  # in the bucket, not on this host's disk
    client = Client()
    client.force_login(clerk_water)
    response = client.get(reverse("nominations:evidence", args=[evidence.token]))
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    link = urlparse(response["Location"])
    query = parse_qs(link.query)
    assert link.path.endswith(evidence.file.name) and query["X-Amz-Expires"] == ["60"]
    assert "attachment" in query["response-content-disposition"][0]
    fetched = requests.get(response["Location"], timeout=10)  # answered by moto's S3
    assert fetched.status_code == 200 and fetched.content.startswith(b"%PDF-1.4")
    assert "attachment" in fetched.headers["Content-Disposition"]
    assert fetched.headers["Content-Type"] == "application/pdf"


def test_no_link_for_someone_who_may_not_see_the_list(evidence_list, clerk_forestry):
    evidence = Evidence.objects.get(nominee__nomination_list=evidence_list)
    client = Client()
    client.force_login(clerk_forestry)
    response = client.get(reverse("nominations:evidence", args=[evidence.token]))
    assert response.status_code == 404 and "Location" not in response


def test_a_previewed_file_is_streamed_by_the_application_under_its_own_policy(evidence_list, reviewer):
    evidence = Evidence.objects.get(nominee__nomination_list=evidence_list)
    client = Client()
    client.force_login(reviewer)
    response = client.get(reverse("reviews:evidence", args=[evidence_list.pk, evidence.token]))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF-1.4")
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]


def test_an_import_waiting_for_confirmation_is_kept_in_the_bucket(bucket, rf):
    request = rf.post("/")
    request.session = {}
    token = pending_save(request, data="序号,类别编号\n".encode(), options={"kind": "measures"})
    assert default_storage.exists(f"pending-imports/{token}")
    assert [o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]] == [f"pending-imports/{token}"]
    assert pending_load(request, token) == ("序号,类别编号\n".encode(), {"kind": "measures"})
    pending_discard(request, token)
    assert "Contents" not in bucket.list_objects_v2(Bucket=BUCKET)


def test_the_bucket_setting_turns_the_storage_and_the_signed_links_on():
    import os
    import subprocess
    import sys

    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.STORAGES['default']['BACKEND'], settings.STORAGES['default']['OPTIONS']['bucket_name'], "
            "settings.MEDIA_SIGNED_URLS, settings.STORAGES['default']['OPTIONS']['querystring_expire'])")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "incentives.settings", "MEDIA_S3_BUCKET": "gz-media",
           "MEDIA_SIGNED_URL_SECONDS": "45"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["storages.backends.s3.S3Storage", "gz-media", "True", "45"]
    env.pop("MEDIA_S3_BUCKET")
    out = subprocess.run([sys.executable, "-c", code.replace(", settings.STORAGES['default']['OPTIONS']['bucket_name']", "")
                          .replace(", settings.STORAGES['default']['OPTIONS']['querystring_expire']", "")],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["django.core.files.storage.FileSystemStorage", "False"]
