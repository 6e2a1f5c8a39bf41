#!/bin/sh
# The container's roles:
#   web     migrate the database, then serve with gunicorn (static files by WhiteNoise)
#   worker  a Celery worker (reminder deliveries, bulletin renders, returned-list notices)
#   beat    Celery beat: the one scheduler (run exactly one); its schedule is in CELERY_BEAT_SCHEDULE
#   manage  python manage.py …   (e.g. `docker compose run --rm web manage createsuperuser`)
set -eu
cd /app

wait_for_database() {
  python - <<'PY'
import sys, time
import django
from django.db import connection
django.setup()
for attempt in range(60):
    try:
        connection.ensure_connection()
        sys.exit(0)
    except Exception as error:  # noqa: BLE001
        print(f"waiting for the database: {error}", file=sys.stderr)
        time.sleep(2)
sys.exit("the database did not answer in 2 minutes")
PY
}

export DJANGO_SETTINGS_MODULE=incentives.settings
role="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$role" in
  web)
    wait_for_database
    python manage.py migrate --noinput
    python manage.py check --deploy --fail-level ERROR
    exec gunicorn incentives.wsgi:application --config /app/deploy/gunicorn.conf.py "$@"
    ;;
  worker)
    wait_for_database
    exec celery -A incentives worker --loglevel="${LOG_LEVEL:-INFO}" --concurrency="${WORKER_CONCURRENCY:-2}" "$@"
    ;;
  beat)
    wait_for_database
    exec celery -A incentives beat --loglevel="${LOG_LEVEL:-INFO}" \
      --schedule=/app/var/run/celerybeat-schedule --pidfile=/app/var/run/celerybeat.pid "$@"
    ;;
  manage)
    exec python manage.py "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
