"""The open API (api/): personal tokens made and revoked by their owner, a bureau's system writing a list's draft
with its nominees and evidence through the same services and door as the pages, scopes, expiry, the throttle, the
audit of every call, and the OpenAPI description (served, valid, and walked by schemathesis without a 500)."""

import datetime
import json
import re
from urllib.parse import urlencode

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings

from api import services as api_services
from api.models import ApiToken
from nominations.models import Evidence, NominationList
from organisation.models import AuditEntry

from .factories import open_cycle, pdf_file

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

YEAR = 2090


def _token(user, scopes=("read", "lists:write", "scores:write"), days=30) -> str:
    return api_services.token_create(actor=user, name="局内业务系统", scopes=list(scopes), days=days)[1]


def _api(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_a_bureaus_token_writes_a_draft_with_two_nominees_and_evidence_another_bureau_gets_404(
        administrator, clerk_water, clerk_forestry, category, districts):
    open_cycle(administrator, YEAR)
    six = category("6")
    # The owner makes the token on their page; its secret is shown once, and only its digest is kept.
    page = Client()
    page.force_login(clerk_water)
    response = page.post("/api/tokens/", {"name": "水务局业务系统", "scopes": ["read", "lists:write"], "days": "30"})
    assert response.status_code == 200
    secret = re.search(r'id="token-secret">(gzi_[^<]+)<', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=clerk_water)
    assert token.digest != secret and secret not in json.dumps(list(AuditEntry.objects.values_list("data", flat=True)))
    assert AuditEntry.objects.filter(action="api_token.created", actor=clerk_water, target_id=token.pk).exists()
    water = _api(secret)

    draft = {"version": 0, "nominees": [
        {"unit": districts[0].pk, "achievements": "河长制考核全市第一。", "figures": "优良率 98%"},
        {"unit": districts[1].pk, "achievements": "水环境治理成效明显。"}]}
    response = water.put(f"/api/v1/drafts/{YEAR}/{six.pk}/", draft, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    nl = NominationList.objects.get(pk=body["id"])
    assert (nl.bureau.short_name, nl.state, nl.created_by) == ("市水务局", "draft", clerk_water)
    assert [n["unit"] for n in body["nominees"]] == [districts[0].pk, districts[1].pk]

    first = body["nominees"][0]["id"]
    response = water.post(f"/api/v1/lists/{nl.pk}/nominees/{first}/evidence/",
                          {"file": pdf_file("河长制台账.pdf"), "version": body["version"]})
    assert response.status_code == 201, response.content
    assert [e["original_name"] for e in response.json()["nominees"][0]["evidence"]] == ["河长制台账.pdf"]
    assert Evidence.objects.filter(nominee__nomination_list=nl).count() == 1
    # The same services as the editor's page: their audit records, in the clerk's name.
    assert AuditEntry.objects.filter(action="nomination_list.created", actor=clerk_water, target_id=nl.pk).count() == 1
    assert AuditEntry.objects.filter(action="nomination_list.saved", actor=clerk_water, target_id=nl.pk).count() == 2
    assert water.get(f"/api/v1/lists/{nl.pk}/").json()["nominees"][1]["unit_name"] == districts[1].name

    # Another bureau's token: the list is not there, to read or to write.
    forestry = _api(_token(clerk_forestry))
    assert forestry.get(f"/api/v1/lists/{nl.pk}/").status_code == 404
    assert forestry.put(f"/api/v1/drafts/{YEAR}/{six.pk}/", draft, content_type="application/json").status_code == 404
    assert forestry.post(f"/api/v1/lists/{nl.pk}/nominees/{first}/evidence/",
                         {"file": pdf_file(), "version": "9"}).status_code == 404
    assert nl.pk not in [row["id"] for row in forestry.get("/api/v1/lists/").json()["results"]]
    assert Evidence.objects.filter(nominee__nomination_list=nl).count() == 1
    # Every call made with a token is in the audit trail, refusals included.
    calls = AuditEntry.objects.filter(action="api.called")
    assert calls.filter(actor=clerk_water).count() == 3
    assert sorted(calls.filter(actor=clerk_forestry).values_list("data__status", flat=True)) == [200, 404, 404, 404]


def test_scopes_expiry_revocation_and_the_throttle(clerk_water, clerk_forestry, settings):
    reader = _token(clerk_water, scopes=["read"])
    assert _api(reader).get("/api/v1/cycles/").status_code == 200
    # A read-only token writes nothing (refused before anything is looked up).
    assert _api(reader).put(f"/api/v1/drafts/{YEAR}/1/", {}, content_type="application/json").status_code == 403
    assert Client().get("/api/v1/cycles/").status_code == 401
    assert _api("gzi_not-a-token").get("/api/v1/cycles/").status_code == 401
    # Expired: refused.
    token = ApiToken.objects.get(prefix=reader[:12])
    ApiToken.objects.filter(pk=token.pk).update(created_at=timezone.now() - datetime.timedelta(days=2),
                                                expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert _api(reader).get("/api/v1/cycles/").status_code == 401
    # Revoked by its owner on the page: refused, and recorded; nobody else may revoke it.
    live = _token(clerk_water, scopes=["read"])
    token = ApiToken.objects.get(prefix=live[:12])
    other = Client()
    other.force_login(clerk_forestry)
    assert other.post(f"/api/tokens/{token.pk}/revoke/").status_code == 404
    assert _api(live).get("/api/v1/cycles/").status_code == 200
    owner = Client()
    owner.force_login(clerk_water)
    assert owner.post(f"/api/tokens/{token.pk}/revoke/").status_code == 302
    assert _api(live).get("/api/v1/cycles/").status_code == 401
    assert AuditEntry.objects.filter(action="api_token.revoked", actor=clerk_water, target_id=token.pk).exists()
    # The throttle: API_REQUESTS_PER_MINUTE calls a minute for one person, then 429.
    settings.API_REQUESTS_PER_MINUTE = 3
    fresh = _api(_token(clerk_forestry, scopes=["read"]))
    assert [fresh.get("/api/v1/programmes/").status_code for _ in range(4)] == [200, 200, 200, 429]


@pytest.fixture(scope="module")
def served_schema():
    """The description as /api/schema/ serves it (generated once: it reads no database)."""
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_served_valid_and_the_docs_page_answers(served_schema):
    schema = served_schema
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/drafts/{year}/{category_id}/", "/api/v1/lists/{id}/nominees/{nominee_pk}/evidence/",
            "/api/v1/scores/{year}/{category_id}/", "/api/v1/funds/"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["personalToken"]["scheme"] == "bearer"
    schemathesis.openapi.from_dict(schema).validate()
    assert Client().get("/api/docs/").status_code == 200


def _send(client: Client, case, secret: str):
    path = case.formatted_path
    if case.query:
        path += "?" + urlencode(case.query, doseq=True)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    method = case.method.lower()
    if case.media_type and case.media_type.startswith("multipart/"):
        data = {key: SimpleUploadedFile("f.pdf", value) if isinstance(value, bytes) else ("" if value is None else value)
                for key, value in (case.body if isinstance(case.body, dict) else {}).items()}
        return client.post(path, data, **headers)
    if method in {"put", "post", "patch"}:
        return client.generic(method.upper(), path, json.dumps(case.body, ensure_ascii=False),
                              content_type="application/json", **headers)
    return getattr(client, method)(path, **headers)


def test_a_schema_driven_run_finds_no_server_error(served_schema, administrator, clerk_water, districts):
    """Every operation of the description, with inputs generated from it (schemathesis), as a clerk whose token
    has every scope: whatever the input, never a 500."""
    open_cycle(administrator, YEAR)
    secret = _token(clerk_water)
    schema = schemathesis.openapi.from_dict(served_schema)
    client = Client(raise_request_exception=False)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 12
    failures = []
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=5, deadline=None, database=None, derandomize=True, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def run(case):
            with transaction.atomic():
                response = _send(client, case, secret)
                transaction.set_rollback(True)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query} {case.body!r:.200}: "
                                f"{response.status_code}")

        run()
    assert failures == []
