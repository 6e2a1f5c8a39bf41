"""The benchmark: build the demo and the large database, time the main pages on both, run the load.

    .venv/bin/python bench/run.py                      # everything, SQLite, large = scale 100
    .venv/bin/python bench/run.py --load-seconds 120   # a longer load run
    .venv/bin/python bench/run.py --postgres postgres://postgres@127.0.0.1:5432   # on PostgreSQL
    .venv/bin/python bench/run.py --no-load            # page timings only

Databases are built once and kept (var/bench-demo.sqlite3, var/bench-large.sqlite3, or the PostgreSQL
databases bench_demo and bench_large); they are rebuilt when the migrations, the generator or the scale
change, or with --rebuild. The load run works on a copy of the large database, so timings stay repeatable.
Each step runs in its own process with DATABASE_URL set; this command starts gunicorn and locust itself, on
127.0.0.1 only, and stops them when it ends. Results are printed as a table and kept in var/bench-results.json.
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


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def fingerprint(scale: float) -> str:
    """What the built database depends on: the migrations, the demo data, the generator and the scale."""
    digest = hashlib.sha256(f"scale={scale}".encode())
    sources = sorted(ROOT.glob("*/migrations/*.py")) + sorted((ROOT / "fixtures").glob("*.json")) + [
        BENCH / "generate.py", ROOT / "nominations" / "demo.py"]
    for path in sources:
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


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
        # DEBUG off: production-like templates and no query log; the development settings otherwise.
        return {**os.environ, "DATABASE_URL": self.url, "DEBUG": "0", "APP_ENV": "development", "LOG_LEVEL": "ERROR"}

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

    def is_built(self, print_: str) -> bool:
        return self.stamp.exists() and self.stamp.read_text().strip() == print_ and self.exists()

    def _pg(self, sql: str) -> None:
        import psycopg2

        connection = psycopg2.connect(f"{self.postgres}/postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql)
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
    if not rebuild and target.is_built(print_):
        say(f"{target.name}: database up to date ({target.url})")
        return 0.0
    say(f"{target.name}: building at scale {scale:g} ({target.url})")
    started = time.monotonic()
    target.stamp.unlink(missing_ok=True)
    target.reset()
    env = target.env()
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


# ------------------------------------------------------------------ the table


def _fmt(value, digits=1):
    return "—" if value is None else f"{value:.{digits}f}"


def _misses(demo: dict, large: dict) -> list[str]:
    if large.get("status") != "ok" or demo.get("status") != "ok":
        return [large.get("status") if large.get("status") != "ok" else f"demo {demo.get('status')}"]
    misses = []
    if large["queries"] != demo["queries"]:
        misses.append(f"queries {demo['queries']}→{large['queries']}")
    if large["median_ms"] > AIM_MEDIAN_MS:
        misses.append(f"median +{large['median_ms'] - AIM_MEDIAN_MS:.0f} ms")
    if large["p95_ms"] > AIM_P95_MS:
        misses.append(f"p95 +{large['p95_ms'] - AIM_P95_MS:.0f} ms")
    ratio = large["median_ms"] / demo["median_ms"]
    if ratio > AIM_RATIO:
        misses.append(f"ratio {ratio:.2f}×")
    return misses


def table(demo_rows: list[dict], large_rows: list[dict]) -> str:
    header = ["page", "demo median", "demo p95", "demo q", "large median", "large p95", "large q",
              "large cpu", "ratio", "aims (large)"]
    lines = []
    demo = {r["key"]: r for r in demo_rows}
    for large in large_rows:
        d = demo.get(large["key"], {})
        ok = large.get("status") == "ok" and d.get("status") == "ok"
        if large.get("status") != "ok" and large.get("status") == d.get("status"):
            cells = [large["label"], large["status"], "", "", "", "", "", "", "", ""]
        else:
            ratio = large["median_ms"] / d["median_ms"] if ok else None
            misses = _misses(d, large)
            verdict = "reference" if large["reference"] else ("met" if not misses else "missed: " + ", ".join(misses))
            cells = [large["label"], _fmt(d.get("median_ms")), _fmt(d.get("p95_ms")), str(d.get("queries", "—")),
                     _fmt(large.get("median_ms")), _fmt(large.get("p95_ms")), str(large.get("queries", "—")),
                     _fmt(large.get("cpu_median_ms")), _fmt(ratio, 2) + ("×" if ratio else ""),
                     verdict if ok else (large.get("status") if large.get("status") != "ok" else f"demo: {d.get('status')}")]
        lines.append(cells)
    widths = [max(len(str(c)) for c in col) for col in zip(header, *lines, strict=False)]
    out = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
           "-|-".join("-" * w for w in widths)]
    out += [" | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) for cells in lines]
    return "\n".join(out)


def load_summary(load: dict) -> str:
    lost = len(load["saves_lost"]) + len(load["decisions_lost"])
    lines = [
        f"Load: {load['clerks']} clerks + {load['reviewers']} reviewers for {load['seconds']} s against gunicorn "
        f"({load['workers']} workers, 127.0.0.1)",
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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=100, help="size of the large database (100: 20 cycles, 300 "
                        "categories, 200 bureaus, 3,000 units, 5,000 users, a million audit records)")
    parser.add_argument("--demo-scale", type=float, default=1, help="generated data added to the demo database")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page")
    parser.add_argument("--budget", type=float, default=15, help="seconds per page; slower pages get fewer runs (≥5)")
    parser.add_argument("--load-seconds", type=int, default=60)
    parser.add_argument("--clerks", type=int, default=16)
    parser.add_argument("--reviewers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--no-load", action="store_true", help="skip the load run")
    parser.add_argument("--no-pages", action="store_true", help="skip the page timings")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the databases even if up to date")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL server URL (without database name) instead of SQLite")
    args = parser.parse_args(argv)

    VAR.mkdir(exist_ok=True)
    started = time.monotonic()
    demo, large = Target("demo", args.postgres), Target("large", args.postgres)
    built = {"demo": build(demo, args.demo_scale, args.rebuild), "large": build(large, args.scale, args.rebuild)}
    demo_rows = [] if args.no_pages else time_pages(demo, args.repeat, args.budget)
    large_rows = [] if args.no_pages else time_pages(large, args.repeat, args.budget)
    load = None
    if not args.no_load:
        load = load_run(large, args.postgres, seconds=args.load_seconds, clerks=args.clerks,
                        reviewers=args.reviewers, workers=args.workers)
    elapsed = time.monotonic() - started
    results = {"database": "postgresql" if args.postgres else "sqlite", "scale": args.scale,
               "demo_scale": args.demo_scale, "build_seconds": built, "demo": demo_rows, "large": large_rows,
               "load": load, "total_seconds": elapsed, "cpus": os.cpu_count(),
               "load_average": os.getloadavg()}
    (VAR / "bench-results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))

    print()
    if large_rows:
        print_pages(args, demo_rows, large_rows)
    if load:
        print()
        print(load_summary(load))
    print()
    print(f"Finished in {elapsed / 60:.1f} min (databases built: demo {built['demo']:.0f} s, large {built['large']:.0f} s); "
          f"load average {results['load_average'][0]:.1f} on {results['cpus']} CPUs. Results: var/bench-results.json")


def print_pages(args, demo_rows, large_rows) -> None:
    print(f"Server time of the main pages, ms ({'postgresql' if args.postgres else 'sqlite'}; demo = demo data + scale {args.demo_scale:g}, "
          f"large = scale {args.scale:g}; {args.repeat} runs per page unless a page's {args.budget:g} s budget ran out)")
    print(f"aims at the large size: median < {AIM_MEDIAN_MS} ms, p95 < {AIM_P95_MS} ms, ≤ {AIM_RATIO}× the demo "
          "median, the same number of queries; 'large cpu' is the process CPU time (SQLite runs in-process)")
    print(table(demo_rows, large_rows))


if __name__ == "__main__":
    main()
