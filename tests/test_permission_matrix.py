"""The permission matrix's tests: every URL is in ``MATRIX``, and every persona gets what the matrix says on every URL,
inside and outside its scope. The matrix, its personas and the ``world`` it is tried on are in tests/matrix.py (see
its docstring); the ``world`` fixture comes from there (a plugin of tests/conftest.py)."""

from __future__ import annotations

import copy

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from measures.models import Measure
from organisation.models import Bureau, Programme

from .matrix import (
    CLERKS,
    EXCLUDED_PREFIXES,
    KNOWN_DEVIATIONS,
    LOGIN,
    MATRIX,
    PERSONAS,
    REDIRECT,
    World,
    _check_keys,
    _with_token,
)

# ---------------------------------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------------------------------

def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace
            yield from _walk(pattern.url_patterns, route, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(pattern, URLPattern):
            yield route, (f"{namespace}{pattern.name}" if pattern.name else None)


def project_url_names() -> dict[str, str]:
    """Every named URL of the project outside the excluded prefixes: name → route."""
    found = {}
    for route, name in _walk(get_resolver().url_patterns):
        if route.lstrip("^").startswith(EXCLUDED_PREFIXES):
            continue
        found[name or f"<unnamed: {route}>"] = route
    return found


def test_every_url_is_in_the_matrix():
    urls = project_url_names()
    missing = sorted(set(urls) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(urls))
    assert not missing, (
        "These URLs have no row in tests/matrix.py MATRIX; add one saying who may open them:\n  "
        + "\n  ".join(f"{name}  ({urls[name]})" for name in missing)
    )
    assert not stale, f"MATRIX rows for URLs that no longer exist: {stale}"


def _outcome(response) -> object:
    if response.status_code == 302:
        return LOGIN if response["Location"].startswith(reverse(settings.LOGIN_URL)) else REDIRECT
    return response.status_code


def _matrix_params():
    """One test per URL and method. The pages read (GET) are tried in the SQLite pass only (``one_database``): who
    may open what is the door's decision, in Python, and the PostgreSQL pass opens every page too, as someone who may
    (tests/test_odd_values.py, tests/test_bad_request_corpus.py). The actions (POST) run their services, whose row
    locks only PostgreSQL takes, so they are tried on both databases."""
    for url_name in sorted(MATRIX):
        for method in sorted({case.method for case in MATRIX[url_name]}):
            marks = [pytest.mark.one_database] if method == "get" else []
            yield pytest.param(url_name, method, marks=marks, id=f"{url_name}-{method}")


@pytest.mark.django_db
@pytest.mark.parametrize(("url_name", "method"), list(_matrix_params()))
def test_permission_matrix(world, url_name, method):
    failures, deviations_seen = [], set()
    cases = [case for case in MATRIX[url_name] if case.method == method]
    for case in cases:
        url = reverse(url_name, kwargs=case.kwargs(world))
        expected = case.expect(world)
        _check_keys(expected, PERSONAS)
        for persona in PERSONAS:
            want = expected[persona]
            client = world.clients[persona]
            cookies = copy.deepcopy(client.cookies)
            data = case.data(world) if callable(case.data) else (case.data or {})
            if case.method == "post":
                data = _with_token(data)
            cache.clear()  # like the database, no throttle counter of an earlier request counts for this one
            with transaction.atomic():
                response = getattr(client, case.method)(url, data)
                transaction.set_rollback(True)
            client.cookies = cookies  # a logout or a message cookie is rolled back with the database
            got = _outcome(response)
            deviation = KNOWN_DEVIATIONS.get((url_name, case.label, persona))
            if deviation is not None:
                deviations_seen.add((url_name, case.label, persona))
                want = deviation[0]
            if got != want:
                failures.append(f"{case.method.upper()} {url} [{case.label}] as {persona}: expected {want}, got {got}")
    labels = {case.label for case in cases}
    fixed = {k for k in KNOWN_DEVIATIONS if k[0] == url_name and k[1] in labels} - deviations_seen
    assert not failures, "\n".join(failures)
    assert not fixed, f"KNOWN_DEVIATIONS entries never reached (remove them): {sorted(fixed)}"


@pytest.mark.django_db
def test_the_matrix_posts_pass_the_csrf_check_and_would_fail_without_it(world):
    """The clients enforce the CSRF checks: without the token a POST is refused (403), with it the view answers."""
    url = reverse("reviews:rules_decide", args=[world.extra["rules"].pk])
    client = world.clients["reviewer"]
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        assert client.post(url, {"action": "return"}).status_code == 403
        assert _outcome(client.post(url, _with_token({"action": "return"}))) == REDIRECT
        transaction.set_rollback(True)
    client.cookies = cookies


@pytest.mark.django_db
def test_marking_another_persons_notification_read_changes_nothing(world):
    notification = world.extra["notification"]  # the water clerk's
    for persona in ("ndrc", "reviewer", "administrator"):
        world.clients[persona].post(reverse("notifications_read"), _with_token({"notification": str(notification.pk)}))
        notification.refresh_from_db()
        assert notification.read_at is None, persona
    world.clients["water"].post(reverse("notifications_read"), _with_token({"notification": str(notification.pk)}))
    notification.refresh_from_db()
    assert notification.read_at is not None

# ---------------------------------------------------------------------------------------------------------------
# Two programmes: nobody of one reaches an object of the other
# ---------------------------------------------------------------------------------------------------------------


def _objects_of_guangzhou(w: World) -> list[tuple[str, dict]]:
    scope = w.scopes[0]
    return [
        ("nominations:list", {"year": w.cycle.year, "category_id": scope.category.pk}),
        ("nominations:print", {"year": w.cycle.year, "category_id": scope.category.pk}),
        ("nominations:edit", {"year": w.cycle.year, "category_id": scope.category.pk}),
        ("nominations:units", {"year": w.cycle.year, "category_id": scope.category.pk}),
        ("nominations:evidence", {"token": scope.evidence.token}),
        ("measures:detail", {"pk": scope.category.measure_id}),
        ("reviews:list", {"pk": scope.nomination_list.pk}),
        ("reviews:cap_exception", {"year": w.cycle.year, "category_pk": scope.category.pk}),
        ("reviews:objection", {"pk": w.extra["objection"].pk}),
        ("reviews:objection_evidence", {"pk": w.extra["objection"].pk}),
        ("reviews:objections", {"year": w.extra["notice"].year}),
        ("bulletins:progress", {"pk": w.extra["bulletin_open"].pk}),
        ("bulletins:status", {"pk": w.extra["bulletin_open"].pk}),
        ("bulletins:download", {"pk": w.extra["bulletin_open"].pk}),
    ]


def _objects_of_jiangsu(w: World) -> list[tuple[str, dict]]:
    b = w.extra["b"]
    return [
        ("nominations:list", {"year": b["cycle"].year, "category_id": b["category"].pk}),
        ("nominations:print", {"year": b["cycle"].year, "category_id": b["category"].pk}),
        ("nominations:edit", {"year": b["cycle"].year, "category_id": b["category"].pk}),
        ("nominations:units", {"year": b["cycle"].year, "category_id": b["category"].pk}),
        ("nominations:evidence", {"token": b["evidence"].token}),
        ("measures:detail", {"pk": b["measure"].pk}),
        ("reviews:list", {"pk": b["list"].pk}),
        ("reviews:cap_exception", {"year": b["cycle"].year, "category_pk": b["category"].pk}),
        ("bulletins:progress", {"pk": b["bulletin_open"].pk}),
        ("bulletins:status", {"pk": b["bulletin_open"].pk}),
        ("bulletins:download", {"pk": b["bulletin_open"].pk}),
        ("bulletins:download_ofd", {"pk": b["bulletin_open"].pk}),
    ]


@pytest.mark.django_db
def test_the_queue_choosers_answer_each_programme_its_own(world):
    """The queue's choosers: each programme's reviewer gets their own programme's bureaus and measures, never the
    other's, whatever they type or ask for; naming the other programme answers 404, as the queue does."""
    b = world.extra["b"]
    jiangsu = {"bureau": set(Bureau.objects.filter(programme=b["programme"]).values_list("pk", flat=True)),
               "measure": set(Measure.objects.filter(document__programme=b["programme"]).values_list("pk", flat=True))}
    guangzhou_code = Programme.objects.get(is_default=True).code
    failures = []
    for persona, own, other_code in (("reviewer", False, b["programme"].code), ("js_reviewer", True, guangzhou_code)):
        client = world.clients[persona]
        for kind in ("bureau", "measure"):
            url = reverse("reviews:queue_choices", args=[kind])
            seen = set()
            for query in ({"q": ""}, {"q": "市"}, {"q": "财政"}, {"q": "水"}, {"q": "1"}, {"q": "一"},
                          {"q": "", "year": world.cycle.year}, {"q": "", "year": world.published.year}):
                response = client.get(url, query)
                assert response.status_code == 200, (persona, kind, query)
                seen |= {r["id"] for r in response.json()["results"]}
            assert seen, (persona, kind)
            if not seen <= jiangsu[kind] if own else seen & jiangsu[kind]:
                failures.append(f"{persona} {kind}: {sorted(seen)}")
            if client.get(url, {"programme": other_code}).status_code != 404:
                failures.append(f"{persona} {kind}: the other programme's options by name")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_nobody_of_one_programme_reaches_an_object_of_the_other(world):
    b = world.extra["b"]
    jiangsu_clients = {}
    for name in ("clerk", "reviewer"):
        jiangsu_clients[name] = Client()
        jiangsu_clients[name].force_login(b[name])
    tries = [(persona, world.clients[persona], _objects_of_jiangsu(world)) for persona in [*CLERKS, "reviewer"]]
    tries += [(f"jiangsu {name}", client, _objects_of_guangzhou(world)) for name, client in jiangsu_clients.items()]
    failures = []
    for persona, client, objects in tries:
        for url_name, kwargs in objects:
            url = reverse(url_name, kwargs=kwargs)
            with transaction.atomic():
                status = client.get(url).status_code
                transaction.set_rollback(True)
            if status != 404:
                failures.append(f"GET {url} as {persona}: expected 404, got {status}")
    assert not failures, "\n".join(failures)
    # Each reaches their own programme's object of the same year (the tries above are not 404 for lack of data).
    own = [(jiangsu_clients["clerk"], reverse("nominations:list", args=[b["cycle"].year, b["category"].pk])),
           (jiangsu_clients["reviewer"], reverse("reviews:list", args=[b["list"].pk])),
           (jiangsu_clients["reviewer"], reverse("bulletins:progress", args=[b["bulletin_open"].pk])),
           (world.clients["water"], reverse("nominations:list", args=[world.cycle.year, world.scopes[0].category.pk]))]
    for client, url in own:
        assert client.get(url).status_code == 200, url
