#!/bin/sh
# A dated backup into the directory given (default /var/backups/incentives), verified, and the backups there older
# than BACKUP_KEEP_DAYS days (14) removed. Run by deploy/systemd/incentives-backup.service; by hand or from cron:
#   deploy/backup.sh /var/backups/incentives
# Copy the backups off the machine too (deploy/README.md, "Backups").
set -eu
cd "$(dirname "$0")/.."
target="${1:-/var/backups/incentives}"
python="${PYTHON:-python}"
[ -x .venv/bin/python ] && [ -z "${PYTHON:-}" ] && python=.venv/bin/python
mkdir -p "$target"
backup="$target/incentives-$(date +%Y%m%d-%H%M%S)"
"$python" manage.py backup --output "$backup"
"$python" manage.py restore --verify-only "$backup"
find "$target" -mindepth 1 -maxdepth 1 -type d -name 'incentives-*' -mtime +"${BACKUP_KEEP_DAYS:-14}" \
  -exec rm -rf {} +
echo "backup: $backup"
