#!/usr/bin/env python3
"""The released migrations' manifest, ``deploy/releases/migrations.sha256``.

Every migration file of every released version, with its SHA-256, under a ``# <version>`` line naming the first
release that shipped it. A released migration is never edited again (an operator's database has applied it):
``tests/test_releases.py`` fails when a listed file changes or disappears.

    deploy/releases/migrations_manifest.py add 0.3.0     # at a release: list the migrations not listed yet
    deploy/releases/migrations_manifest.py check         # the test's check, by hand

``grep -v '^#' deploy/releases/migrations.sha256 | sha256sum -c`` checks the same from a shell.
"""

import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
MANIFEST = ROOT / "deploy" / "releases" / "migrations.sha256"
APPS = ("organisation", "security", "measures", "evaluation", "nominations", "reviews")


def migration_files() -> list[str]:
    return sorted(str(path.relative_to(ROOT)) for app in APPS for path in (ROOT / app / "migrations").glob("[0-9]*.py"))


def digest(path: str) -> str:
    return hashlib.sha256((ROOT / path).read_bytes()).hexdigest()


def listed() -> dict[str, tuple[str, str]]:
    """path → (sha256, version of the release that shipped it)."""
    entries, version = {}, None
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            version = line[2:].strip()
        elif line.strip():
            sha256, path = line.split(maxsplit=1)
            entries[path.strip()] = (sha256, version)
    return entries


def add(version: str) -> list[str]:
    known = listed() if MANIFEST.exists() else {}
    new = [path for path in migration_files() if path not in known]
    with MANIFEST.open("a", encoding="utf-8") as file:
        file.write(f"# {version}\n")
        for path in new:
            file.write(f"{digest(path)}  {path}\n")
    return new


def check() -> list[str]:
    problems = []
    for path, (sha256, version) in listed().items():
        if not (ROOT / path).exists():
            problems.append(f"{path} (released in {version}) is missing")
        elif digest(path) != sha256:
            problems.append(f"{path} (released in {version}) changed")
    return problems


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "add" and len(sys.argv) == 3:
        print("\n".join(add(sys.argv[2])) or "no new migration")
    elif command == "check":
        problems = check()
        print("\n".join(problems) or "every released migration as released")
        sys.exit(1 if problems else 0)
    else:
        sys.exit(__doc__)
