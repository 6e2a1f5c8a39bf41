"""The database's features beyond portable SQL are named in one place (incentives/databases.py), each with what a
database without it gets; nothing else in the application names a database vendor; an untested database is refused
where no fallback exists, never served silently."""

import re
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection, models

from incentives import databases

from .helpers import ROOT

APPS = ["incentives", "organisation", "measures", "evaluation", "nominations", "reviews", "security"]
VENDOR_SPECIFIC = re.compile(r"\.vendor\s*[!=]=|no_key=True|pg_advisory_xact_lock\(|nextval\(|SET TRANSACTION ISOLATION"
                             r"|SET CONSTRAINTS")


def test_no_code_but_the_one_place_names_a_database_vendor_or_its_features():
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or path == ROOT / "incentives" / "databases.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                code = line.split("#", 1)[0]
                if VENDOR_SPECIFIC.search(code):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "ask incentives.databases instead:\n" + "\n".join(offenders)


def test_each_feature_says_where_it_is_used_and_what_a_database_without_it_gets():
    for name, feature in databases.FEATURES.items():
        assert feature.used_for and feature.where and len(feature.without) > 20, name
    with pytest.raises(KeyError):
        databases.has("full_text_search")


@pytest.mark.django_db
def test_the_running_database_has_what_the_table_says():
    if connection.vendor == "postgresql":
        assert all(databases.has(name) for name in databases.FEATURES)
        assert databases.row_lock_options() == {"of": ("self",), "no_key": True}
    else:
        assert connection.vendor == "sqlite"
        assert {name for name in databases.FEATURES if databases.has(name)} == {"partial_unique_index",
                                                                               "expression_index"}
        assert databases.row_lock_options() == {}
    # The conditional unique constraints exist in this database (they hold rules under concurrency).
    conditional = [c for model in apps.get_models() for c in model._meta.constraints
                   if isinstance(c, models.UniqueConstraint) and c.condition is not None]
    assert len(conditional) >= 8 and databases.has("partial_unique_index")


def test_a_database_without_a_fallback_is_refused_by_name():
    dameng = SimpleNamespace(vendor="dm", features=SimpleNamespace(supports_partial_indexes=True,
                                                                  supports_expression_indexes=False,
                                                                  has_select_for_update_of=True))
    cursor = SimpleNamespace(db=dameng, execute=lambda *args: pytest.fail("no SQL for an unsupported database"))
    assert databases.has("partial_unique_index", dameng) and not databases.has("expression_index", dameng)
    assert databases.row_lock_options(dameng) == {"of": ("self",)}
    with pytest.raises(databases.DatabaseNotSupported, match="advisory_lock"):
        databases.audit_chain_serialise(cursor, lock_key=1)
    with pytest.raises(databases.DatabaseNotSupported, match="sequences"):
        databases.audit_next_id(cursor, "organisation_auditentry")
