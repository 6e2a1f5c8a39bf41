# shellcheck shell=bash
# Shared set-up for ./run.sh and ./test.sh: system packages, the virtual environment, translations.
# Sourced, not run. Usage: bootstrap <run|test>

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-$ROOT/.venv}"

# What WeasyPrint and the interface need to run, and what the tests need on top.
RUN_PACKAGES=(fonts-noto-cjk fonts-arphic-ukai libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 gettext)
# prometheus brings promtool, which checks and unit-tests deploy/prometheus/alerts.yml; no test needs its server
# (Debian's package may start one on install; nothing talks to it). psql restores the kept PostgreSQL database of
# the previous release in the upgrade test. systemd: systemd-analyze verifies deploy/systemd/'s units.
TEST_PACKAGES=(poppler-utils chromium prometheus postgresql-client systemd)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || printf '%s ' "$pkg"
  done
}

install_system_packages() {
  command -v dpkg-query >/dev/null 2>&1 || die "this set-up expects Debian (dpkg/apt). Install by hand: $*"
  local missing
  missing="$(missing_packages "$@")"
  [ -z "$missing" ] && return 0
  say "Installing system packages: $missing"
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      die "missing system packages: $missing
       They cannot be installed without root. Run:  sudo apt-get install -y $missing"
    fi
  fi
  # shellcheck disable=SC2086
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing; } >/tmp/incentives-apt.log 2>&1; then
    tail -n 20 /tmp/incentives-apt.log >&2
    die "could not install system packages: $missing (log: /tmp/incentives-apt.log)"
  fi
  missing="$(missing_packages "$@")"
  [ -z "$missing" ] || die "system packages still missing after apt-get: $missing"
}

ensure_venv() {
  "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null \
    || die "$PYTHON is missing or older than 3.11 (found: $("$PYTHON" --version 2>&1 || true))"
  if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
      rm -rf "$VENV"
      install_system_packages python3-venv
      "$PYTHON" -m venv "$VENV" || die "could not create the virtual environment in $VENV"
    fi
  fi
  # Reinstall only when the dependencies changed.
  local stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    say "Installing Python packages into $VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
    "$VENV/bin/python" -m pip install -q -e ".[dev]" || die "pip could not install the project's dependencies"
    rm -f "$VENV"/.installed-*
    touch "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}

compile_translations() {
  (cd "$ROOT" && python manage.py compilemessages -v 0 --ignore=.venv) || die "could not compile translations (is gettext installed?)"
}

bootstrap() {
  local purpose="$1"
  install_system_packages "${RUN_PACKAGES[@]}"
  [ "$purpose" = test ] && install_system_packages "${TEST_PACKAGES[@]}"
  ensure_venv
  compile_translations
}
