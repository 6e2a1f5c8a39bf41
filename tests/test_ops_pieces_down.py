"""One piece down, the rest working: the broker and the cache are separate Redis servers (docker-compose.yml), so
with the broker down sign-in and the public pages answer as usual; with the cache down, a signed-in person keeps
working (sessions live in the database), the public pages are rendered without it, and sign-in answers the 503 page
(its throttle counts in the cache and does not let attempts through uncounted). deploy/README.md, "When a piece is
down", says the same.

The cache of the first test is a real Redis (database 11 of the machine's server, used by no other test); the
broker is a closed port (tests/outbox_fixtures.py)."""

import pytest
import redis
from django.core.cache import cache
from django.urls import reverse

from .factories import PASSWORD, make_published_cycle

REDIS_CACHE = "redis://127.0.0.1:6379/13"
# Redis database 13 is shared by the tests of this group: ./test.sh runs a group on one worker.
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("redis-13")]
CLOSED_CACHE = "redis://127.0.0.1:1/0"


def redis_cache(location: str) -> dict:
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location,
                        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}}


@pytest.fixture
def real_cache(settings):
    try:
        redis.Redis.from_url(REDIS_CACHE, socket_connect_timeout=2).flushdb()
    except redis.RedisError as error:
        pytest.fail(f"these tests need the Redis server at {REDIS_CACHE}: {error}")
    settings.CACHES = redis_cache(REDIS_CACHE)
    yield
    redis.Redis.from_url(REDIS_CACHE).flushdb()


def sign_in(client, user):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD})


def test_with_the_broker_down_sign_in_works_and_the_public_results_answer(client, clerk_water, districts,
                                                                           broker_down, real_cache, settings):
    settings.NUM_PROXIES = 0
    make_published_cycle(2022)
    response = sign_in(client, clerk_water)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 302  # to the clerk's own page: signed in
    assert client.get(reverse("nominations:home")).status_code == 200
    client.logout()
    assert client.get(reverse("results:cycle", args=[2022])).status_code == 200
    assert client.get(reverse("results:statistics")).status_code == 200
    assert cache.get("login-fail:user:nobody") is None  # the cache answers meanwhile (a server of its own)


def test_with_the_cache_down_people_signed_in_keep_working_and_public_pages_render_without_it(
        client, clerk_water, districts, settings, caplog):
    make_published_cycle(2022)
    client.force_login(clerk_water)  # a session in the database (SESSION_ENGINE's default)
    settings.CACHES = redis_cache(CLOSED_CACHE)
    with pytest.raises(redis.ConnectionError):
        cache.get("anything")  # the cache is really down
    assert client.get(reverse("nominations:home")).status_code == 200
    client.logout()
    assert client.get(reverse("results:cycle", args=[2022])).status_code == 200
    assert client.get(reverse("results:statistics")).status_code == 200
    assert any(getattr(r, "dependency", "") == "cache" for r in caplog.records)


def test_with_the_cache_down_sign_in_answers_the_503_page_not_an_uncounted_attempt(client, clerk_water, settings):
    settings.CACHES = redis_cache(CLOSED_CACHE)
    response = sign_in(client, clerk_water)
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert "_auth_user_id" not in client.session
