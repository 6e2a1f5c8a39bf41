"""The benchmark: build the demo and the large databases, time the main pages on SQLite and PostgreSQL, run the load.

    .venv/bin/python bench/run.py                          # both databases at scale 100, then the load on PostgreSQL
    .venv/bin/python bench/run.py --scale 100 1000 --growth-databases postgresql   # and a province's size
    .venv/bin/python bench/run.py --databases sqlite       # SQLite only (no PostgreSQL needed)
    .venv/bin/python bench/run.py --no-load                # page timings only

Databases are built once and kept (var/bench-demo.sqlite3, var/bench-large.sqlite3, var/bench-large1000.sqlite3,
or the PostgreSQL databases bench_demo, bench_large, bench_large1000 on --postgres); they are rebuilt when the
migrations, the generator or the scale change, or with --rebuild. The load run works on a copy of the large
database, so timings stay repeatable. Each step runs in its own process with DATABASE_URL set; this command
starts gunicorn and locust itself, on 127.0.0.1 only, and stops them when it ends. The results are printed as
tables (the databases side by side; the growth to each further size) and kept in var/bench-results.json.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VAR = ROOT / "var"
PYTHON = sys.executable

# The aims of the issue, for every page at the large size.
AIM_MEDIAN_MS, AIM_P95_MS, AIM_RATIO = 50, 150, 1.5
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432"


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def _digest(paths: list[Path], seed: str = "") -> str:
    digest = hashlib.sha256(seed.encode())
    for path in paths:
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def fingerprint(scale: float) -> str:
    """What a built database depends on: its data (the demo data, the generator, the scale) and its schema (the
    migrations). A database whose data is current but whose schema is not is upgraded in place by ``migrate``,
    as production is; one whose data changed is built again."""
    data = _digest(sorted((ROOT / "fixtures").glob("*.json")) + [BENCH / "generate.py", ROOT / "nominations" / "demo.py"],
                   f"scale={scale}")
    return f"{data} {_digest(sorted(ROOT.glob('*/migrations/*.py')))}"


class Target:
    """One benchmark database: a SQLite file or a PostgreSQL database."""

    def __init__(self, name: str, postgres: str | None):
        self.name = name
        self.postgres = postgres.rstrip("/") if postgres else None
        self.path = VAR / f"bench-{name}.sqlite3"
        self.stamp = VAR / (f"bench-{name}.sqlite3.built" if not postgres else f"bench-pg-{name}.built")

    @property
    def url(self) -> str:
        return f"{self.postgres}/bench_{self.name}" if self.postgres else f"sqlite:///{self.path}"

    def env(self) -> dict:
        # DEBUG off: production-like templates and no query log; the development settings otherwise, but with the
        # database connection kept between requests as production keeps it (DATABASE_CONN_MAX_AGE, 600 s in
        # production): a PostgreSQL connection opened for every request is not what a deployment's pages cost.
        return {**os.environ, "DATABASE_URL": self.url, "DEBUG": "0", "APP_ENV": "development", "LOG_LEVEL": "ERROR",
                "DATABASE_CONN_MAX_AGE": "600"}

    def exists(self) -> bool:
        if not self.postgres:
            return self.path.exists()
        import psycopg2

        connection = psycopg2.connect(f"{self.postgres}/postgres")
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [f"bench_{self.name}"])
            found = cursor.fetchone() is not None
        connection.close()
        return found

    def state(self, print_: str) -> str:
        """"current", "migrate" (the data is current, the schema is older) or "build"."""
        if not self.stamp.exists() or not self.exists():
            return "build"
        stamped = self.stamp.read_text().split()
        if stamped == print_.split():
            return "current"
        return "migrate" if stamped[:1] == print_.split()[:1] else "build"

    def _pg(self, sql: str) -> None:
        import psycopg2

        connection = psycopg2.connect(f"{self.postgres}/postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql)
        connection.close()

    def analyze(self) -> None:
        """Fresh planner statistics after an upgrade (new indexes)."""
        if self.postgres:
            import psycopg2
            connection = psycopg2.connect(self.url)
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            connection.close()
        else:
            import sqlite3
            connection = sqlite3.connect(self.path)
            connection.execute("ANALYZE")
            connection.close()

    def reset(self) -> None:
        if self.postgres:
            self._pg(f"DROP DATABASE IF EXISTS bench_{self.name} WITH (FORCE)")
            self._pg(f"CREATE DATABASE bench_{self.name}")
        else:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def copy_from(self, other: Target) -> None:
        if self.postgres:
            self._pg(f"DROP DATABASE IF EXISTS bench_{self.name} WITH (FORCE)")
            self._pg(f"CREATE DATABASE bench_{self.name} TEMPLATE bench_{other.name}")
        else:
            import sqlite3

            self.reset()
            # The backup API copies a consistent database, write-ahead log included.
            source, copy = sqlite3.connect(other.path), sqlite3.connect(self.path)
            with copy:
                source.backup(copy)
            source.close()
            copy.close()


def run(args: list, env: dict, *, capture: bool = False, timeout: float | None = None) -> str:
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=env, text=True, timeout=timeout,
                            stdout=subprocess.PIPE if capture else None)
    if result.returncode != 0:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(str(a) for a in args)}")
    return result.stdout if capture else ""


def build(target: Target, scale: float, rebuild: bool) -> float:
    print_ = fingerprint(scale)
    state = "build" if rebuild else target.state(print_)
    if state == "current":
        say(f"{target.name}: database up to date ({target.url})")
        return 0.0
    started = time.monotonic()
    env = target.env()
    if state == "migrate":
        say(f"{target.name}: new migrations, upgrading the database in place ({target.url})")
        run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env)
        target.analyze()
        target.stamp.write_text(print_)
        return time.monotonic() - started
    say(f"{target.name}: building at scale {scale:g} ({target.url})")
    target.stamp.unlink(missing_ok=True)
    target.reset()
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    run([PYTHON, "manage.py", "load_demo"], {**env, "DEMO_MODE": "1"}, capture=True)
    run([PYTHON, BENCH / "generate.py", "--scale", scale], env)
    target.stamp.write_text(print_)
    return time.monotonic() - started


def time_pages(target: Target, repeat: int, budget: float) -> list[dict]:
    say(f"{target.name}: timing pages ({repeat} runs each, at most ~{budget:g}s per page)")
    output = run([PYTHON, BENCH / "pages.py", "--repeat", repeat, "--budget", budget], target.env(), capture=True)
    return json.loads(output.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited at start (see var/bench-gunicorn.log)")
        try:
            with urllib.request.urlopen(url + "/health/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer within 30 s")


def warm_up(host: str, personas_file: Path, workers: int) -> None:
    """Each worker's first requests load URL patterns, templates and translations: pay that before the run."""
    personas = json.loads(personas_file.read_text())
    pages = []
    if personas["clerks"]:
        clerk = personas["clerks"][0]
        pages += [(clerk["session"], "/nominations/"),
                  (clerk["session"], f"/nominations/{clerk['year']}/{clerk['category']}/"),
                  (clerk["session"], f"/nominations/{clerk['year']}/{clerk['category']}/edit/")]
    if personas["reviewers"]:
        reviewer = personas["reviewers"][0]
        pages.append((reviewer["session"], "/review/"))
        if reviewer["lists"]:
            pages.append((reviewer["session"], f"/review/lists/{reviewer['lists'][0]}/"))
    for _ in range(workers * 2):
        for session, path in pages:
            request = urllib.request.Request(host + path, headers={"Cookie": f"sessionid={session}"})
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()


def server_times(log_path: Path, since: int) -> dict:
    """Server-side times of the run's requests, from gunicorn's access log (warm-up excluded)."""
    times = []
    with open(log_path, encoding="utf-8", errors="replace") as log:
        for line in log.read().splitlines()[since:]:
            if line.startswith("ACCESS ") and not line.split()[2].startswith("/health"):
                times.append(int(line.split()[-1]))
    times.sort()
    if not times:
        return {}
    return {"server_median_ms": times[len(times) // 2], "server_p95_ms": times[max(0, -(-95 * len(times) // 100) - 1)],
            "server_requests": len(times)}


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def load_run(source: Target, postgres: str | None, *, seconds: int, clerks: int, reviewers: int, workers: int) -> dict:
    target = Target("load", postgres)
    say(f"load: copying the large database to {target.url}")
    target.copy_from(source)
    # As in production: each worker keeps its database connection (DATABASE_CONN_MAX_AGE, Target.env).
    env = target.env()
    personas_file, results_file = VAR / "bench-load-personas.json", VAR / "bench-load-results.json"
    results_file.unlink(missing_ok=True)
    prepared = json.loads(run([PYTHON, BENCH / "load.py", "prepare", "--clerks", clerks, "--reviewers", reviewers,
                               "--out", personas_file], env, capture=True).strip().splitlines()[-1])
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    gunicorn = locust = None
    log = open(VAR / "bench-gunicorn.log", "w")
    try:
        say(f"load: gunicorn with {workers} workers on 127.0.0.1:{port}")
        gunicorn = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "incentives.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--timeout", "60", "--access-logfile", "-",
             "--access-logformat", 'ACCESS %(m)s %(U)s %(s)s %(M)s'],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_until_up(host, gunicorn)
        warm_up(host, personas_file, workers)
        log.flush()
        warm_lines = len(open(VAR / "bench-gunicorn.log", encoding="utf-8", errors="replace").read().splitlines())
        users = prepared["clerks"] + prepared["reviewers"]
        say(f"load: locust, {prepared['clerks']} clerks and {prepared['reviewers']} reviewers for {seconds} s")
        csv_prefix = VAR / "bench-load"
        locust = subprocess.Popen(
            [PYTHON, "-m", "locust", "-f", str(BENCH / "locustfile.py"), "--headless", "--host", host,
             "-u", str(users), "-r", str(users), "--run-time", f"{seconds}s", "--stop-timeout", "10",
             "--csv", str(csv_prefix), "--only-summary", "--loglevel", "WARNING"],
            cwd=ROOT, env={**env, "BENCH_PERSONAS": str(personas_file), "BENCH_RESULTS": str(results_file)},
            stdout=subprocess.DEVNULL, stderr=open(VAR / "bench-locust.log", "w"))
        try:
            locust.wait(timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            stop(locust)
            raise SystemExit("locust did not stop in time") from None
    finally:
        stop(locust)
        stop(gunicorn)
        log.close()
    server = server_times(VAR / "bench-gunicorn.log", warm_lines)
    rows = {row["Name"]: row for row in csv.DictReader(open(f"{csv_prefix}_stats.csv", encoding="utf-8"))}
    total = rows["Aggregated"]
    check = json.loads(run([PYTHON, BENCH / "load.py", "verify", "--personas", personas_file,
                            "--results", results_file], env, capture=True).strip().splitlines()[-1])
    return {
        "seconds": seconds, "clerks": prepared["clerks"], "reviewers": prepared["reviewers"], "workers": workers,
        "requests": int(total["Request Count"]), "errors": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]), "median_ms": float(total["50%"]), "p95_ms": float(total["95%"]),
        "by_name": {name: {"requests": int(r["Request Count"]), "errors": int(r["Failure Count"]),
                           "median_ms": float(r["50%"]), "p95_ms": float(r["95%"])}
                    for name, r in rows.items() if name != "Aggregated"},
        **server, **check,
    }


# ------------------------------------------------------------------ the tables

DB_LABEL = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _fmt(value, digits=1):
    return "—" if value is None else f"{value:,.{digits}f}"


def _ok(row: dict | None) -> bool:
    return bool(row) and row.get("status") == "ok"


def _stock_of(row: dict, rows: dict[str, dict]) -> dict | None:
    """The stock admin changelist a page is compared with (the same rows), if it was timed."""
    stock = rows.get(row.get("stock") or "")
    return stock if _ok(stock) else None


def misses(demo: dict | None, large: dict, rows: dict[str, dict]) -> list[str]:
    """What a page misses of the aims at the large size (empty: all met). A main page: the time aims, the same
    queries, faster than the stock changelist of the same rows; our admin changelists: the last two. Stock rows
    are the reference and have no aims."""
    if not _ok(large) or not _ok(demo):
        return [large.get("status") if not _ok(large) else f"demo {(demo or {}).get('status', 'not timed')}"]
    found = []
    if large["queries"] != demo["queries"]:
        found.append(f"queries {demo['queries']}→{large['queries']}")
    stock = _stock_of(large, rows)
    if large.get("kind") == "admin":  # our changelists: the same queries at every size, and faster than stock
        if stock and large["median_ms"] >= stock["median_ms"]:
            found.append(f"not faster than stock ({large['median_ms']:.0f} ≥ {stock['median_ms']:.0f} ms)")
        return found
    if large["median_ms"] > AIM_MEDIAN_MS:
        found.append(f"median +{large['median_ms'] - AIM_MEDIAN_MS:.0f} ms")
    if large["p95_ms"] > AIM_P95_MS:
        found.append(f"p95 +{large['p95_ms'] - AIM_P95_MS:.0f} ms")
    ratio = large["median_ms"] / demo["median_ms"]
    if ratio > AIM_RATIO:
        found.append(f"{ratio:.2f}× demo")
    if stock and large["median_ms"] >= stock["median_ms"]:
        found.append(f"not faster than stock ({large['median_ms']:.0f} ≥ {stock['median_ms']:.0f} ms)")
    return found


def _render(header: list[str], lines: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *lines, strict=False)]
    out = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
           "-|-".join("-" * w for w in widths)]
    out += [" | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) for cells in lines]
    return "\n".join(out)


def side_by_side(results: dict, scale: float) -> str:
    """One row per page; for each database: demo median, large median / p95, queries, ratio, and the verdict."""
    header, keys = ["page"], []
    per_db = {}
    for db, data in results.items():
        demo = {r["key"]: r for r in data["demo"]}
        large = {r["key"]: r for r in data["large"].get(str(scale), [])}
        per_db[db] = (demo, large)
        for row in data["large"].get(str(scale), []):
            if row["key"] not in keys:
                keys.append(row["key"])
        label = DB_LABEL[db]
        header += [f"{label} demo", f"{label} large (p95)", "q", "×demo", "×stock", f"{label} aims"]
    lines = []
    for key in keys:
        label = next(rows[1][key]["label"] for rows in per_db.values() if key in rows[1])
        cells = [label]
        for demo, large in per_db.values():
            d, g = demo.get(key), large.get(key)
            if not g:
                cells += ["", "not timed", "", "", "", ""]
                continue
            if not _ok(g):
                cells += ["", g.get("status", "?"), "", "", "", ""]
                continue
            stock = _stock_of(g, large)
            ratio = g["median_ms"] / d["median_ms"] if _ok(d) else None
            queries = (f"{d['queries']}→{g['queries']}" if _ok(d) and d["queries"] != g["queries"] else str(g["queries"]))
            found = misses(d, g, large)
            verdict = "reference" if g.get("kind") == "stock" else ("met" if not found else "missed: " + ", ".join(found))
            cells += [_fmt(d.get("median_ms")) if _ok(d) else (d or {}).get("status", "—"),
                      f"{_fmt(g['median_ms'])} ({_fmt(g['p95_ms'], 0)})", queries,
                      f"{ratio:.2f}×" if ratio else "—",
                      f"{g['median_ms'] / stock['median_ms']:.2f}×" if stock else "", verdict]
        lines.append(cells)
    return _render(header, lines)


def growth(results: dict, base: float, scale: float) -> str:
    """The same pages at a larger size against the base large size: the aim is ≤ 1.5× and the same queries."""
    header = ["page", "database", f"{base:g}× median (p95)", f"{scale:g}× median (p95)", "ratio", "queries", "aim"]
    lines = []
    for db, data in results.items():
        small = {r["key"]: r for r in data["large"].get(str(base), [])}
        for row in data["large"].get(str(scale), []):
            before = small.get(row["key"])
            if not (_ok(row) and _ok(before)):
                lines.append([row["label"], DB_LABEL[db], (before or {}).get("status", "—"), row.get("status"), "", "", ""])
                continue
            ratio = row["median_ms"] / before["median_ms"]
            same = row["queries"] == before["queries"]
            found = ([] if ratio <= AIM_RATIO else [f"{ratio:.2f}×"]) + ([] if same else ["queries grew"])
            lines.append([row["label"], DB_LABEL[db], f"{_fmt(before['median_ms'])} ({_fmt(before['p95_ms'], 0)})",
                          f"{_fmt(row['median_ms'])} ({_fmt(row['p95_ms'], 0)})", f"{ratio:.2f}×",
                          str(row["queries"]) if same else f"{before['queries']}→{row['queries']}",
                          "reference" if row.get("kind") == "stock" else ("met" if not found else "missed: " + ", ".join(found))])
    return _render(header, lines)


def load_summary(load: dict) -> str:
    lost = len(load["saves_lost"]) + len(load["decisions_lost"])
    lines = [
        f"Load on {DB_LABEL[load['database']]}: {load['clerks']} clerks + {load['reviewers']} reviewers for "
        f"{load['seconds']} s against gunicorn ({load['workers']} workers, 127.0.0.1)",
        f"  {load['requests']} requests, {load['rps']:.1f} requests/s, median {load['median_ms']:.0f} ms, "
        f"95th percentile {load['p95_ms']:.0f} ms, errors {load['errors']}",
        f"  time inside gunicorn (its access log, {load.get('server_requests', 0)} requests): median "
        f"{load.get('server_median_ms', 0)} ms, 95th percentile {load.get('server_p95_ms', 0)} ms "
        "(the rest of the response time is waiting for a free worker)",
        f"  writes confirmed: {load['saves_confirmed']} draft saves on {load['lists_saved']} lists, "
        f"{load['decisions_confirmed']} decisions; found in the database: "
        + ("all" if not lost else f"NOT ALL ({len(load['saves_lost'])} lists, {len(load['decisions_lost'])} decisions differ)"),
        f"  (attempted: {load['saves_attempted']} saves, {load['decisions_attempted']} decisions; "
        f"{load['saves_unconfirmed_but_written']} saves in flight at the stop were written unconfirmed)",
        "  by request:",
    ]
    for name, row in sorted(load["by_name"].items()):
        lines.append(f"    {name:<34} {row['requests']:>6}  median {row['median_ms']:>6.0f} ms  "
                     f"p95 {row['p95_ms']:>6.0f} ms  errors {row['errors']}")
    return "\n".join(lines)


def check_postgres(url: str) -> None:
    import psycopg2
    try:
        psycopg2.connect(f"{url.rstrip('/')}/postgres", connect_timeout=5).close()
    except psycopg2.Error as error:
        raise SystemExit(f"PostgreSQL is not reachable at {url} ({str(error).strip()}).\n"
                         "Start it, give its address with --postgres URL, or run SQLite only: --databases sqlite") from None


def large_name(scale: float, first: float) -> str:
    """The benchmark's large database is "large"; further sizes are named by their scale (large1000)."""
    return "large" if scale == first else f"large{scale:g}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, nargs="+", default=[100], metavar="SCALE",
                        help="sizes of the large databases (100: 20 cycles, 300 categories, 200 bureaus, 3,000 units, "
                             "5,000 users, a million audit records; 1000: a province). The first is compared with the "
                             "demo (the aims), each further one with the first (the growth)")
    parser.add_argument("--databases", nargs="+", choices=sorted(DB_LABEL), default=["sqlite", "postgresql"])
    parser.add_argument("--growth-databases", nargs="+", choices=sorted(DB_LABEL), metavar="DB",
                        help="where the further sizes are built and timed (default: every database)")
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get("BENCH_POSTGRES", DEFAULT_POSTGRES),
                        help=f"PostgreSQL server, without a database name (default {DEFAULT_POSTGRES})")
    parser.add_argument("--demo-scale", type=float, default=1, help="generated data added to the demo database")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page")
    parser.add_argument("--budget", type=float, default=15, help="seconds per page; slower pages get fewer runs (≥5)")
    parser.add_argument("--load-on", choices=sorted(DB_LABEL), default="postgresql", help="database of the load run")
    parser.add_argument("--load-seconds", type=int, default=60)
    parser.add_argument("--clerks", type=int, default=16)
    parser.add_argument("--reviewers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--no-load", action="store_true", help="skip the load run")
    parser.add_argument("--no-pages", action="store_true", help="skip the page timings")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the databases even if up to date")
    args = parser.parse_args(argv)
    first = args.scale[0]
    growth_dbs = args.growth_databases or args.databases
    if "postgresql" in args.databases or (args.load_on == "postgresql" and not args.no_load):
        check_postgres(args.postgres)

    VAR.mkdir(exist_ok=True)
    started = time.monotonic()
    results: dict[str, dict] = {}
    built: dict[str, float] = {}
    large_targets: dict[str, Target] = {}
    for db in args.databases:
        server = args.postgres if db == "postgresql" else None
        demo = Target("demo", server)
        built[f"{db} demo"] = build(demo, args.demo_scale, args.rebuild)
        results[db] = {"demo": [] if args.no_pages else time_pages(demo, args.repeat, args.budget), "large": {}}
        for scale in args.scale:
            if scale != first and db not in growth_dbs:
                continue
            target = Target(large_name(scale, first), server)
            built[f"{db} {scale:g}"] = build(target, scale, args.rebuild)
            if scale == first:
                large_targets[db] = target
            results[db]["large"][str(scale)] = [] if args.no_pages else time_pages(target, args.repeat, args.budget)
    load = None
    if not args.no_load:
        source = large_targets.get(args.load_on)
        if source is None:
            server = args.postgres if args.load_on == "postgresql" else None
            source = Target("large", server)
            built[f"{args.load_on} {first:g}"] = build(source, first, args.rebuild)
        load = load_run(source, source.postgres, seconds=args.load_seconds, clerks=args.clerks,
                        reviewers=args.reviewers, workers=args.workers)
        load["database"] = args.load_on
    elapsed = time.monotonic() - started
    summary = {"scales": args.scale, "demo_scale": args.demo_scale, "build_seconds": built, "pages": results,
               "load": load, "total_seconds": elapsed, "cpus": os.cpu_count(), "load_average": os.getloadavg(),
               "repeat": args.repeat}
    (VAR / "bench-results.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))

    print()
    if not args.no_pages:
        print(f"Server time of the main pages, ms: median (p95); demo = demo data + scale {args.demo_scale:g}, "
              f"large = scale {first:g}; {args.repeat} runs per page unless a page's {args.budget:g} s budget ran out")
        print(f"aims at the large size: median < {AIM_MEDIAN_MS} ms, p95 < {AIM_P95_MS} ms, ≤ {AIM_RATIO}× the demo "
              "median, the same number of queries (q), faster than the stock admin changelist of the same rows "
              "(×stock < 1)")
        print(side_by_side(results, first))
        for scale in args.scale[1:]:
            print()
            print(f"Growth: scale {first:g} → {scale:g} (aim: ≤ {AIM_RATIO}× and the same queries)")
            print(growth({db: r for db, r in results.items() if str(scale) in r["large"]}, first, scale))
    if load:
        print()
        print(load_summary(load))
    print()
    builds = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in built.items() if seconds)
    print(f"Finished in {elapsed / 60:.1f} min (databases built: {builds or 'none, all up to date'}); "
          f"load average {summary['load_average'][0]:.1f} on {summary['cpus']} CPUs. Results: var/bench-results.json")


if __name__ == "__main__":
    main()
