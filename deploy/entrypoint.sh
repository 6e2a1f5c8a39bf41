#!/bin/sh
# The container's roles:
#   init    migrate (as DATABASE_OWNER_URL's role when set), load the organisation and the 2022 catalogue into an
#           empty database, rebuild the permissions, grant the application's role (manage.py init), then run the
#           deployment checks; the one-shot `migrate` service of docker-compose.yml
#   web     gunicorn (static files by WhiteNoise); never migrates: it starts after `init` succeeded
#   worker  a Celery worker: every queue (e-mails, sweeps, and the renders' `bulletins`), or those WORKER_QUEUES
#           names (docker-compose.yml: `worker` takes `celery`, `renderer` takes `bulletins`)
#   beat    Celery beat: the one scheduler (run exactly one); it writes its heartbeat file at every tick
#   manage  python manage.py …   (e.g. `docker compose run --rm web manage createsuperuser`)
set -eu
# The application's directory, /app in the image (the script is /app/deploy/entrypoint.sh); a checkout works too.
cd "$(dirname "$0")/.."

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
  init)
    # As the tables' owner when there are two roles: the application's role may not exist yet (init creates it).
    (export DATABASE_URL="${DATABASE_OWNER_URL:-${DATABASE_URL:-}}"; wait_for_database)
    python manage.py init "$@"
    python manage.py check --deploy --fail-level ERROR
    ;;
  web)
    wait_for_database
    exec gunicorn incentives.wsgi:application --config /app/deploy/gunicorn.conf.py "$@"
    ;;
  worker)
    wait_for_database
    # --quiet: no start-up banner (plain text on standard output); the worker logs its start as a JSON line.
    exec celery -A incentives --quiet worker --loglevel="${LOG_LEVEL:-INFO}" --concurrency="${WORKER_CONCURRENCY:-2}" \
      --hostname="${WORKER_NODE_NAME:-celery@%h}" ${WORKER_QUEUES:+--queues="$WORKER_QUEUES"} "$@"
    ;;
  beat)
    wait_for_database
    exec celery -A incentives --quiet beat --loglevel="${LOG_LEVEL:-INFO}" \
      --schedule="${BEAT_SCHEDULE_FILE:-/app/var/run/celerybeat-schedule}" --pidfile= "$@"
    ;;
  manage)
    exec python manage.py "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
