"""Import benchmark: the one import path of each kind, on generated files.

    .venv/bin/python bench/import_bench.py [--measures 1000] [--units 100000] [--keep DIR]

Builds a scratch SQLite database (never the project's), loads the fixtures, writes two files — a catalogue of
1,000 category rows (50 measures × 20 categories, with bureaus in all four roles) and 100,000 street rows under
the 11 districts — then imports each one, every run starting from the same copy of the database, through the
importers the admin's import pages and the commands use:

* measures: ``measures.importing`` (plan_catalogue_file + catalogue_import);
* units: ``measures.importing.organisation.IMPORTERS["units"]`` (plan_units + units_import), as the admin's
  import page and ``import_organisation`` do.

Each run happens in a forked child, so its peak memory is its own (``ru_maxrss`` minus the resident size at the
start of the run). Prints rows per second and peak memory. Not a test: nothing asserts. (The row-by-row
django-import-export path it was once compared with is gone; bench/README.md keeps the comparison's figures.)
"""

import argparse
import csv
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def write_catalogue(path: Path, measures: int) -> int:
    from measures.exports import CATALOGUE_HEADER
    from measures.models import chinese_numeral

    per_measure = 20
    bureaus = ["市水务局", "市发展改革委", "市财政局", "市林业园林局", "市商务局", "市教育局"]
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CATALOGUE_HEADER)
        for number in range(1, measures // per_measure + 1):
            for index in range(1, per_measure + 1):
                lead, co = bureaus[(number + index) % 6], bureaus[(number + index + 1) % 6]
                roles = [lead, co, "", ""] if index % 3 else ["", "", "", f"{lead}、{co}"]
                writer.writerow([number, chinese_numeral(number), f"措施{number}", f"{number}-{index}", f"类别{number}-{index}",
                                 *roles, "", "区", "commendation", 3])
                rows += 1
    return rows


def write_units(path: Path, units: int) -> int:
    districts = ["越秀区", "海珠区", "荔湾区", "天河区", "白云区", "黄埔区", "番禺区", "花都区", "南沙区", "从化区", "增城区"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "kind", "parent", "full_name", "division_order", "is_active"])
        for n in range(units):
            district = districts[n % len(districts)]
            writer.writerow([f"测试街道{n:06d}", "street", district, f"广州市{district}测试街道{n:06d}", 2000 + n % 1000, "1"])
    return units


def restore(source: Path, target: Path) -> None:
    """Copy a SQLite database whole, through SQLite's backup API: the write-ahead log of the source is included,
    and the target's own ``-wal``/``-shm`` files, which would otherwise be replayed over the copy, are removed."""
    import sqlite3

    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    target.unlink(missing_ok=True)
    source_db, copy = sqlite3.connect(source), sqlite3.connect(target)
    with copy:
        source_db.backup(copy)
    source_db.close()
    copy.close()


def run_child(work, database: Path, snapshot: Path) -> dict:
    """Fork; in the child restore the database, run ``work`` and report seconds and peak memory through a pipe."""
    import json

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        code = 0
        try:
            from django.db import connections

            connections.close_all()
            restore(snapshot, database)
            start_rss = rss_kib()
            started = time.perf_counter()
            rows = work()
            seconds = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            result = {"rows": rows, "seconds": seconds, "peak_mib": max(peak - start_rss, 0) / 1024}
        except BaseException as error:  # report it to the parent instead of dying silently
            result = {"error": repr(error)}
            code = 1
        os.write(write_end, json.dumps(result).encode())
        os.close(write_end)
        os._exit(code)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    os.waitpid(pid, 0)
    return json.loads(b"".join(chunks) or b'{"error": "no result"}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--measures", type=int, default=1_000, help="catalogue rows (a multiple of 20)")
    parser.add_argument("--units", type=int, default=100_000, help="unit rows")
    parser.add_argument("--keep", help="directory to keep the generated files and database in")
    args = parser.parse_args()

    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="import-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    database, snapshot = workdir / "bench.sqlite3", workdir / "snapshot.sqlite3"
    database.unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incentives.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    call_command("loaddata", "organisation", "catalogue_2022", verbosity=0)
    call_command("sync_permissions", verbosity=0)
    connections.close_all()
    restore(database, snapshot)

    catalogue_file, units_file = workdir / "measures.csv", workdir / "units.csv"
    measure_rows = write_catalogue(catalogue_file, args.measures)
    unit_rows = write_units(units_file, args.units)
    limit = 200 * 1024 * 1024
    print(f"files: {catalogue_file.name} {measure_rows:,} rows ({catalogue_file.stat().st_size / 1024:.0f} KB), "
          f"{units_file.name} {unit_rows:,} rows ({units_file.stat().st_size / 1024 / 1024:.1f} MB); database {database}")

    def bulk_measures():
        from measures.importing.plan import new_document_fields
        from measures.importing.services import catalogue_import
        from measures.importing.spreadsheet import plan_catalogue_file

        plan = plan_catalogue_file(catalogue_file.read_bytes(), filename="measures.csv", byte_limit=limit,
                                   new_document=new_document_fields(number="BENCH-1", title="bench"))
        assert plan.is_valid, plan.all_errors[:3]
        catalogue_import(actor=None, plan=plan)
        return len(plan.rows)

    def bulk_units():
        from measures.importing.organisation import IMPORTERS

        plan_units, units_import, _columns = IMPORTERS["units"]
        plan = plan_units(units_file.read_bytes(), filename="units.csv", byte_limit=limit)
        assert plan.is_valid, plan.all_errors[:3]
        units_import(actor=None, plan=plan)
        return len(plan.rows)

    print(f"{'file':<14}{'path':<10}{'rows':>9}{'seconds':>10}{'rows/s':>11}{'peak MiB':>10}")
    for label, work in (("measures", bulk_measures), ("units", bulk_units)):
        result = run_child(work, database, snapshot)
        if "error" in result:
            print(f"{label:<14}{'bulk':<10} failed: {result['error']}")
            continue
        rate = result["rows"] / result["seconds"]
        print(f"{label:<14}{'bulk':<10}{result['rows']:>9,}{result['seconds']:>10.2f}{rate:>11,.0f}{result['peak_mib']:>10.1f}", flush=True)
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
