#!/usr/bin/env bash
# Install everything the tests need and run the whole suite twice:
#   1. on SQLite (everything but the tests that need PostgreSQL's row locks and concurrent writes);
#   2. on PostgreSQL (TEST_DATABASE_URL, by default the machine's server at 127.0.0.1:5432), every test that
#      reaches the database but the browser tests: the browser tests and the tests that never touch the database
#      (TEST_DATABASE_INDEPENDENT_RAN, tests/conftest.py) already ran in the first pass, the same way, and so did
#      the permission matrix's pages read (marker one_database: the door's decisions, in Python; every page is
#      still opened on PostgreSQL by the odd-values sweep) and the bad-request corpus (one_database: on
#      PostgreSQL the odd-values sweep, marker postgres, sends its database-reaching values to every URL instead).
#      The tests with real Celery workers run in a process of their own beside the others.
# Each pass runs on every core (pytest-xdist; the tests sharing a Redis database run as a group on one worker;
# TEST_WORKERS=1 runs one process) and prints its time.
# Extra arguments go to pytest, e.g. ./test.sh -k cap -x
source "$(dirname "$0")/bootstrap.sh"
bootstrap test

export APP_ENV=test
PG_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/incentives}"
REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
export TEST_REDIS_URL="$REDIS_URL"
export TEST_ARTIFACTS="${TEST_ARTIFACTS:-$ROOT/test-artifacts}"
mkdir -p "$TEST_ARTIFACTS" "$ROOT/var"

pg_ready() { python - "$PG_URL" <<'PY'
import sys, psycopg2, dj_database_url
cfg = dj_database_url.parse(sys.argv[1])
try:
    psycopg2.connect(dbname="postgres", user=cfg["USER"], password=cfg["PASSWORD"], host=cfg["HOST"], port=cfg["PORT"] or 5432, connect_timeout=3).close()
except Exception as exc:
    print(exc, file=sys.stderr); sys.exit(1)
PY
}
redis_ready() { python -c "import redis,sys; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=2).ping()" "$REDIS_URL" 2>/dev/null; }

if ! pg_ready 2>/dev/null; then
  say "PostgreSQL is not answering at $PG_URL: trying to start it"
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    sleep 2
  fi
  pg_ready || die "PostgreSQL is needed for the second pass and is not reachable at $PG_URL.
       Install and start it (apt-get install postgresql), or set TEST_DATABASE_URL."
fi
if ! redis_ready; then
  say "Redis is not answering at $REDIS_URL: trying to start it"
  if command -v redis-server >/dev/null 2>&1; then
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /tmp >/dev/null || true
    sleep 1
  fi
  redis_ready || die "Redis is needed for the Celery integration test and is not reachable at $REDIS_URL.
       Install and start it (apt-get install redis-server), or set TEST_REDIS_URL."
fi

WORKERS="${TEST_WORKERS:-auto}"
started=$SECONDS
elapsed() { local s=$((SECONDS - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

status=0
say "Lint (ruff)"
ruff check . || status=1

say "Pass 1/2: SQLite ($WORKERS workers)"
pass=$SECONDS
DATABASE_URL="sqlite:///$ROOT/var/test.sqlite3" python -m pytest -m "not postgres" -p no:cacheprovider -n "$WORKERS" --dist loadgroup "$@" || status=1
sqlite_time="$(elapsed "$pass")"

say "Pass 2/2: PostgreSQL ($PG_URL, $WORKERS workers, and one process for the tests with real Celery workers)"
pass=$SECONDS
# The tests with real Celery workers (marker real_workers) spend most of their two minutes waiting: for a worker to
# start, a claim to turn stale, a slow mail server. They run in a process of their own beside the rest, on a test
# database of their own (test_<name>; the workers' are test_<name>_gw0, _gw1 …), so that the waiting overlaps work.
side_log="$TEST_ARTIFACTS/postgres-real-workers.log"
TEST_DATABASE_INDEPENDENT_RAN=1 DATABASE_URL="$PG_URL" python -m pytest -m "real_workers and not browser" \
  -p no:cacheprovider --basetemp="$ROOT/var/pytest-real-workers" "$@" >"$side_log" 2>&1 &
side=$!
TEST_DATABASE_INDEPENDENT_RAN=1 DATABASE_URL="$PG_URL" python -m pytest -m "not browser and not real_workers and not one_database" \
  -p no:cacheprovider -n "$WORKERS" --dist loadgroup "$@" || status=1
side_status=0
wait "$side" || side_status=$?
say "The tests with real Celery workers, on PostgreSQL ($side_log):"
cat "$side_log"
# (5: no test selected, when the arguments name none of them)
if [ "$side_status" != 0 ] && [ "$side_status" != 5 ]; then status=1; fi
postgres_time="$(elapsed "$pass")"

say "Time: SQLite $sqlite_time, PostgreSQL $postgres_time; $(elapsed "$started") for both passes with the lint, $(elapsed 0) in all with the set-up"
if [ "$status" = 0 ]; then say "All tests passed on SQLite and PostgreSQL"; else printf '\033[31mSome tests failed (see above).\033[0m\n'; fi
exit "$status"
