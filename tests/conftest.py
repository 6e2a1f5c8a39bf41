"""Shared fixtures. The catalogue of the 2022 notice is loaded once per test database; people are personas:

* ``clerk_water``   — 王芳, clerk of 市水务局 (lead of measure 6, separately responsible for 19-1 河长制湖长制)
* ``clerk_ndrc``    — 李强, clerk of 市发展改革委 (co-responsible for 6, lead of 3, 9, 11 …)
* ``clerk_forestry``— 陈静, clerk of 市林业园林局 (separately responsible for 19-2 林长制 only)
* ``reviewer``      — 张伟, General Office reviewer
* ``administrator`` — 刘洋, administrator
* ``inactive``      — 赵敏, a former clerk of 市水务局 whose account is disabled
"""

import os
import shutil
import subprocess
import sys
import time

import pytest
from django.conf import global_settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings
from django.utils import translation
from pytest_django.plugin import blocking_manager_key

from measures.models import IncentiveCategory
from organisation import roles
from organisation.models import Bureau, Unit, UnitKind

from .factories import PASSWORD, make_user
from .helpers import ROOT

# Fixtures of support modules, for every test module: the browsers, the permission matrix's ``world`` (module
# scoped: each module that asks for it gets its own, built once) and the broker that is down.
pytest_plugins = ["tests.browser_fixtures", "tests.matrix", "tests.outbox_fixtures"]

# One fast hasher for the whole suite: Django's PBKDF2 runs a million iterations (over a second a hash here) for
# every persona and every sign-in. Tests marked ``real_hasher`` get the production hashers back.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_configure(config):
    override_settings(PASSWORD_HASHERS=FAST_HASHERS).enable()


# The fixtures through which a test reaches the database (pytest-django's, the live server's, the matrix's world).
DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "django_db_setup", "_django_db_helper"}


def uses_database(item) -> bool:
    return bool(item.get_closest_marker("django_db") or DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))


# The tests that take longest (10 to 60 s: the request corpora, the processes started from scratch, the browser
# journeys), by module, slowest first. They are handed to the workers first, so that no worker is left running one
# of them alone while the other has finished (pytest-xdist hands out tests in collection order).
SLOW_FIRST = [
    "test_odd_values.py", "test_bad_request_corpus.py", "test_ops_restore.py", "test_upgrade.py",
    "test_init_command.py", "test_programmes.py",
    "test_deploy.py", "test_ops_worker.py", "test_ops_error_reports.py", "test_reviews_concurrency.py",
    "test_browser_panels.py", "test_browser_desk.py", "test_browser_journeys.py", "test_browser_pages_work.py",
    "test_browser_evaluation.py", "test_sign_on.py", "test_demo_pages.py", "test_ops_backup.py",
    "test_browser_notice.py", "test_browser_exceptions.py", "test_ops_health.py", "test_bulletin_layout.py",
]


# The modules with real Celery workers on the test database run last: a test after them on the same process found
# the publication's warming of the statistics not done (their broker switch and restart leave something behind that
# has not been found yet; tests/outbox_fixtures.py). Their PostgreSQL tests (marker real_workers) run in a process
# of their own in ./test.sh, beside the PostgreSQL pass; what is left of them here runs in the SQLite pass.
LAST = ["test_ops_outbox_worker.py", "test_ops_outbox_wecom.py", "test_jobs_worker.py"]


def _slowness(item) -> int:
    name = item.nodeid.split("::")[0].rsplit("/", 1)[-1]
    if name in LAST:
        return len(SLOW_FIRST) + 1 + LAST.index(name)
    return SLOW_FIRST.index(name) if name in SLOW_FIRST else len(SLOW_FIRST)


def pytest_collection_modifyitems(config, items):
    """The slow modules first (``SLOW_FIRST``; the order within a module is kept). ``./test.sh``'s PostgreSQL pass
    (``TEST_DATABASE_INDEPENDENT_RAN=1``) leaves out the tests that never reach the database: they ran in the SQLite
    pass, and would run there the same way."""
    unmarked = [item.nodeid for item in items
                if "workers" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("real_workers")]
    if unmarked:  # ./test.sh runs them beside the PostgreSQL pass, in a process of their own
        raise pytest.UsageError("These tests start real Celery workers (the workers fixture): mark them "
                                "real_workers:\n  " + "\n  ".join(unmarked))
    items.sort(key=_slowness)  # stable: the rest keep their order
    if os.environ.get("TEST_DATABASE_INDEPENDENT_RAN") != "1":
        return
    kept = [item for item in items if uses_database(item)]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if not uses_database(item)])
        items[:] = kept


@pytest.fixture(autouse=True)
def _real_hasher_when_asked(request):
    if request.node.get_closest_marker("real_hasher"):
        with override_settings(PASSWORD_HASHERS=global_settings.PASSWORD_HASHERS):
            yield
    else:
        yield


def _load_catalogue():
    call_command("loaddata", "organisation", "catalogue_2022", verbosity=0)
    call_command("sync_permissions", verbosity=0)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _load_catalogue()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test (live server, threads, a Celery worker, a migration) ends with a flush of every table:
    the catalogue is loaded again, committed, as soon as that flush is done. (Loaded by the next test instead, it was
    loaded inside that test's transaction and rolled back with it, and so again for every test after: half a second
    of every test's set-up on PostgreSQL.)"""
    yield
    if nextitem is None or not _transactional(item):  # (after the last test, the test database is gone)
        return
    if connection.in_atomic_block:
        return
    with item.config.stash[blocking_manager_key].unblock():  # pytest-django's django_db_blocker
        if not IncentiveCategory.objects.exists():
            _load_catalogue()


def _transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool((marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
                or {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))



@pytest.fixture(autouse=True)
def _catalogue_present(request, django_db_blocker):
    """The first test of a database finds the catalogue loaded (``django_db_setup``), and so does every test after a
    transactional one (``pytest_runtest_teardown``); this loads it for a test that finds it missing all the same."""
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    if uses_db:
        request.getfixturevalue("_django_db_helper")
        with django_db_blocker.unblock():
            if not IncentiveCategory.objects.exists():
                _load_catalogue()
    yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (login throttling counters, cached result pages)."""
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Code called directly by a test (services, commands) speaks English, so assertions on messages read the same
    whatever catalogue is compiled; pages still answer in the language each request asks for (Chinese by default)."""
    with translation.override("en"):
        yield


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded and rendered files go to a folder of the test's own (modules that store files use it for every test:
    ``pytest.mark.usefixtures("media_root")``)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def bureau(db):
    def get(short_name: str) -> Bureau:
        return Bureau.objects.get(short_name=short_name)

    return get


@pytest.fixture
def category(db):
    def get(code: str) -> IncentiveCategory:
        return IncentiveCategory.objects.select_related("measure").get(code=code, measure__document__in_force=True)

    return get


@pytest.fixture
def districts(db):
    return list(Unit.objects.filter(kind_id=UnitKind.DISTRICT, is_active=True).order_by("division_order"))


@pytest.fixture
def clerk_water(db, bureau):
    return make_user("wangfang", first_name="王芳", role=roles.BUREAU_STAFF, bureaus=[bureau("市水务局")])


@pytest.fixture
def clerk_ndrc(db, bureau):
    return make_user("liqiang", first_name="李强", role=roles.BUREAU_STAFF, bureaus=[bureau("市发展改革委")])


@pytest.fixture
def clerk_forestry(db, bureau):
    return make_user("chenjing", first_name="陈静", role=roles.BUREAU_STAFF, bureaus=[bureau("市林业园林局")])


@pytest.fixture
def reviewer(db):
    return make_user("zhangwei", first_name="张伟", role=roles.REVIEWER)


@pytest.fixture
def administrator(db):
    return make_user("liuyang", first_name="刘洋", role=roles.ADMINISTRATOR, is_staff=True, is_superuser=True)


@pytest.fixture
def inactive(db, bureau):
    return make_user("zhaomin", first_name="赵敏", role=roles.BUREAU_STAFF, bureaus=[bureau("市水务局")], is_active=False)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """``copy(path)``: an empty SQLite database as ``manage.py migrate`` leaves it, for the tests that start processes
    on a database of their own without testing the migrations themselves (a Celery worker, a plain-HTTP sign-in).
    The migrations run once for the whole run, by the first worker that asks; the others wait for it. (``manage.py
    init``, the restore and the upgrade still migrate their databases as the operator does.)"""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's folder, shared by its workers
    template, ready = root / "migrated-template.sqlite3", root / "migrated-template.ready"
    try:
        os.close(os.open(root / "migrated-template.lock", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:  # another worker is making it
        deadline = time.monotonic() + 300
        while not ready.exists():
            assert time.monotonic() < deadline, "the migrated template database was not made in 5 minutes"
            time.sleep(0.2)
    else:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_URL", "CACHE_URL"))}
        env.update(APP_ENV="test", DATABASE_URL=f"sqlite:///{template}")
        result = subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        ready.touch()

    def copy(path):
        shutil.copyfile(template, path)
        return path

    return copy
