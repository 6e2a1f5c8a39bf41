"""The benchmark's own logic: which aims a page misses, and when a kept database is upgraded rather than rebuilt."""

import pytest

from bench import run


def row(key, median, p95, queries, **extra):
    return {"key": key, "label": key, "status": "ok", "median_ms": median, "p95_ms": p95, "queries": queries,
            "reference": False, **extra}


def test_a_page_misses_what_it_misses_and_nothing_else():
    stock = {**row("stock_units", 90.0, 100.0, 5), "reference": True}
    rows = {"stock_units": stock}
    assert run.misses(row("p", 20.0, 40.0, 7), row("p", 25.0, 60.0, 7, stock="stock_units"), rows) == []
    found = run.misses(row("p", 20.0, 40.0, 7), row("p", 95.0, 160.0, 8, stock="stock_units"), rows)
    assert found == ["queries 7→8", "median +45 ms", "p95 +10 ms", "4.75× demo", "not faster than stock (95 ≥ 90 ms)"]
    assert run.misses(None, row("p", 1.0, 1.0, 1), rows) == ["demo not timed"]
    # Our admin changelists: the same queries and faster than stock; no time aims.
    admin = row("a", 120.0, 300.0, 9, kind="admin", stock="stock_units")
    assert run.misses(row("a", 20.0, 40.0, 9), admin, rows) == ["not faster than stock (120 ≥ 90 ms)"]
    assert run.misses(row("a", 20.0, 40.0, 9), {**admin, "median_ms": 80.0}, rows) == []


def test_the_growth_table_compares_each_page_with_the_first_size():
    results = {"postgresql": {"demo": [], "large": {"100": [row("p", 20.0, 30.0, 7)], "1000": [row("p", 32.0, 50.0, 7)]}}}
    table = run.growth(results, 100, 1000)
    assert "1.60×" in table and "missed: 1.60×" in table
    results["postgresql"]["large"]["1000"] = [row("p", 25.0, 50.0, 9)]
    assert "missed: queries grew" in run.growth(results, 100, 1000)


def test_a_kept_database_is_migrated_when_only_its_schema_changed(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "VAR", tmp_path)
    target = run.Target("demo", None)
    target.path.write_bytes(b"")
    data, schema = run.fingerprint(100).split()
    assert target.state(f"{data} {schema}") == "build"  # never stamped
    target.stamp.write_text(f"{data} {schema}")
    assert target.state(f"{data} {schema}") == "current"
    assert target.state(f"{data} other-schema") == "migrate"
    assert target.state(f"other-data {schema}") == "build"
    assert run.fingerprint(1000).split()[0] != data and run.fingerprint(1000).split()[1] == schema


@pytest.mark.django_db
def test_the_load_runs_personas_are_signed_in(client, clerk_water, reviewer, category, bureau, districts):
    """The load run plays people signed in by ``bench/load.py prepare``: their sessions open the pages the load asks
    for (a session naming an authentication backend the settings do not list is signed out at once, and the load
    then timed the sign-in page)."""
    from django.utils import timezone

    from bench import load
    from tests.factories import make_cycle, make_list

    cycle = make_cycle(timezone.now().year)  # its deadline (next March 31) ahead: the draft can be edited
    make_list(cycle, category("19-1"), bureau("市水务局"), districts[:2], state="draft", clerk=clerk_water)
    make_list(cycle, category("6"), bureau("市水务局"), districts[2:4], clerk=clerk_water)
    personas = load.prepare(clerks=1, reviewers=1)
    (clerk,), (reviewing,) = personas["clerks"], personas["reviewers"]
    client.cookies["sessionid"] = clerk["session"]
    assert client.get(f"/nominations/{clerk['year']}/{clerk['category']}/edit/").status_code == 200
    client.cookies["sessionid"] = reviewing["session"]
    assert client.get("/review/").status_code == 200
    assert client.get(f"/review/lists/{reviewing['lists'][0]}/").status_code == 200
