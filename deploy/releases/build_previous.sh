#!/usr/bin/env bash
# Build the kept database of a released version: deploy/releases/<VERSION>/db.sqlite3.gz and
# deploy/releases/<VERSION>/db.postgresql.sql.gz, from that release's own code.
#
#   deploy/releases/build_previous.sh 0.1.0 4b5bc5b
#
# Run from the repository's top level, with the virtual environment in .venv and PostgreSQL reachable at
# $PG_URL (default postgres://postgres@127.0.0.1:5432, trust authentication). Steps, all with the released code
# checked out in a temporary worktree outside this one:
#   1. SQLite: migrate, load_demo (catalogue, demo units, open cycle, demo accounts), bench/generate.py --scale 1
#      (a published cycle with decisions and awards, more bureaus, units, lists, audit records), then
#      deploy/releases/fill_every_table.py (one row or more in every table still empty; audit trimmed to 500);
#      VACUUM, gzip.
#   2. PostgreSQL: a new database migrated by the released code, the SQLite data moved into it with the
#      released code's own `manage.py backup` and `restore` (the same rows, ids and values; the programme the
#      migration creates is deleted first, as 0.1.0's restore refuses it), then
#      pg_dump --no-owner --no-privileges (plain SQL), gzip. The database is dropped afterwards.
#   3. The temporary worktree is removed.
# tests/test_upgrade.py restores both and upgrades them with the current code.
set -euo pipefail

VERSION="${1:?version, e.g. 0.1.0}"
COMMIT="${2:?the commit of the release}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$ROOT/deploy/releases/$VERSION"
TREE="$(mktemp -d /tmp/release-build.XXXXXX)/tree"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
PG_DB="incentives_release_${VERSION//./_}_$$"
PY="$ROOT/.venv/bin/python"

cleanup() {
  psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true
  git -C "$ROOT" worktree remove --force "$TREE" >/dev/null 2>&1 || true
  rm -rf "$(dirname "$TREE")"
}
trap cleanup EXIT

git -C "$ROOT" worktree add --detach "$TREE" "$COMMIT" >/dev/null
mkdir -p "$OUT" "$TREE/var"
cd "$TREE"
export APP_ENV=development DEMO_MODE=1 MEDIA_ROOT="$TREE/var/media"
unset CELERY_BROKER_URL CACHE_URL

SQLITE="$TREE/var/kept.sqlite3"
export DATABASE_URL="sqlite:///$SQLITE"
"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py load_demo >/dev/null
"$PY" bench/generate.py --scale 1 --seed 2025 >/dev/null
"$PY" "$ROOT/deploy/releases/fill_every_table.py"
"$PY" -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('VACUUM'); c.close()" "$SQLITE"
gzip -9 -n -c "$SQLITE" > "$OUT/db.sqlite3.gz"

"$PY" manage.py backup --output "$TREE/var/backup" >/dev/null
psql "$PG_URL/postgres" -qc "CREATE DATABASE $PG_DB" >/dev/null
export DATABASE_URL="$PG_URL/$PG_DB"
"$PY" manage.py migrate --noinput -v 0
# 0.1.0's restore refuses the programme its own migration creates: remove it, the backup brings it back.
psql "$PG_URL/$PG_DB" -qc "DELETE FROM organisation_programme" >/dev/null
"$PY" manage.py restore "$TREE/var/backup" >/dev/null
# The backup leaves the sessions out: copy them as they are.
"$PY" -c "
import sqlite3, sys, psycopg2
rows = sqlite3.connect(sys.argv[1]).execute('SELECT session_key, session_data, expire_date FROM django_session').fetchall()
with psycopg2.connect(sys.argv[2]) as pg, pg.cursor() as cursor:
    cursor.executemany('INSERT INTO django_session VALUES (%s, %s, %s)', rows)
" "$SQLITE" "$PG_URL/$PG_DB"
pg_dump --no-owner --no-privileges "$PG_URL/$PG_DB" | gzip -9 -n > "$OUT/db.postgresql.sql.gz"

ls -l "$OUT"
