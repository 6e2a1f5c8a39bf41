#!/usr/bin/env bash
# Install everything and run the application on the embedded default:
# SQLite, Celery tasks in-process (no broker), console e-mail, the notice's catalogue, demo data and accounts.
# Open http://127.0.0.1:8000 afterwards. HOST and PORT change the address.
source "$(dirname "$0")/bootstrap.sh"
bootstrap run

export APP_ENV="${APP_ENV:-development}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"

say "Preparing the database"
# A demo database made before the migrations were restarted from a new baseline (the organisation app) cannot be
# migrated: it holds demo data only, so it is set aside and made anew.
python - <<'PY'
import os, sqlite3, time
path = "db.sqlite3"
if os.path.exists(path):
    try:
        old = sqlite3.connect(path).execute("SELECT 1 FROM django_migrations WHERE app = 'incentives' LIMIT 1").fetchone()
    except sqlite3.Error:
        old = None
    if old:
        aside = f"{path}.before-{time.strftime('%Y%m%d%H%M%S')}"
        os.rename(path, aside)
        print(f"The demo database was made by an earlier version; kept as {aside}, a new one is made.")
PY
python manage.py migrate --noinput -v 0
python manage.py load_demo

say "Sealing bulletins with a self-signed TEST certificate (manage.py seal_test_certificate; the pages say so)"
while IFS= read -r line; do export "$line"; done < <(python manage.py seal_test_certificate --dir var/seal)

say "Starting the reminder scheduler beside the server (manage.py run_scheduler: a sweep every minute)"
python manage.py run_scheduler &
SCHEDULER_PID=$!
trap 'kill "$SCHEDULER_PID" 2>/dev/null || true' EXIT

say "Serving on http://$HOST:$PORT  (Ctrl-C to stop)"
python manage.py runserver "$HOST:$PORT"
