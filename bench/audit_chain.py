"""What chaining costs an audited transaction: audit_record (advisory lock, last chain value, next id, HMAC-SM3)
against a plain INSERT of the same record, one transaction per record, by one thread and by several at once.

    DATABASE_URL=postgres://…/incentives_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://…/incentives_bench .venv/bin/python bench/audit_chain.py --records 1000 --threads 4

It writes records into that database: use a database of its own.
"""

import argparse
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incentives.settings")
import django  # noqa: E402

django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import close_old_connections, connection, transaction  # noqa: E402

from organisation.audit import audit_record  # noqa: E402
from organisation.models import AuditEntry  # noqa: E402


def chained(target):
    with transaction.atomic():
        audit_record(actor=None, action="audit.exported", target=target, message="bench")


def plain(target):
    with transaction.atomic():
        AuditEntry.objects.create(action="audit.exported", target_type=ContentType.objects.get_for_model(target),
                                  target_id=target.pk, target_repr=str(target), message="bench")


def run(write, records: int, threads: int) -> float:
    target = ContentType.objects.first()
    each = records // threads

    def work():
        for _ in range(each):
            write(target)
        close_old_connections()
        connection.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return (time.perf_counter() - started) / (each * threads) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    options = parser.parse_args()
    for threads in (1, options.threads):
        for name, write in (("plain INSERT", plain), ("audit_record", chained)):
            milliseconds = run(write, options.records, threads)
            print(f"{connection.vendor} {threads} thread(s) {name}: {milliseconds:.2f} ms a record "
                  f"({1000 / milliseconds:,.0f} records/s)")


if __name__ == "__main__":
    main()
