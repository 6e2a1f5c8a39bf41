"""Releases: one version number, its CHANGELOG section, the released migrations never edited, no model change
without its migration, and the previous release's database kept for tests/test_upgrade.py."""

import hashlib
import importlib.util
import json
import re
import tomllib

import pytest

from incentives import __version__
from incentives.version import read_version

from .helpers import ROOT, run_manage

MANIFEST = ROOT / "deploy" / "releases" / "migrations.sha256"
CHANGELOG = ROOT / "CHANGELOG.md"


def pyproject_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]["version"]


def manifest() -> dict[str, tuple[str, str]]:
    """path → (sha256, version), read by the release script's own parser (``deploy/releases/migrations_manifest.py``)."""
    return _manifest_script().listed()


def _manifest_script():
    spec = importlib.util.spec_from_file_location("migrations_manifest", MANIFEST.with_name("migrations_manifest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_version_number():
    assert re.fullmatch(r"\d+\.\d+\.\d+", pyproject_version())
    assert __version__ == read_version() == pyproject_version()


def test_manage_app_version_prints_it():
    result = run_manage("app_version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == pyproject_version()


@pytest.mark.django_db
def test_health_and_admin_say_the_version(client, administrator, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    body = json.loads(client.get("/health/ready").content)
    assert body["version"] == pyproject_version()
    client.force_login(administrator)
    page = client.get("/admin/")
    assert page.status_code == 200
    assert re.search(r'<p class="admin-version">版本 ' + re.escape(pyproject_version()) + "</p>", page.content.decode())


def test_changelog_has_every_released_version():
    text = CHANGELOG.read_text(encoding="utf-8")
    sections = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", text, flags=re.M)
    versions = [version for version, _ in sections]
    assert versions and versions[0] == pyproject_version(), "CHANGELOG.md: the newest section is the version in pyproject.toml"
    released = {version for _, version in manifest().values()}
    assert released <= set(versions), "every version in deploy/releases/migrations.sha256 has its CHANGELOG section"
    assert pyproject_version() in released, "the version in pyproject.toml has its migrations listed"


def test_released_migrations_never_change():
    entries = manifest()
    assert entries, "deploy/releases/migrations.sha256 lists no migration"
    problems = []
    for path, (sha256, version) in entries.items():
        file = ROOT / path
        if not file.exists():
            problems.append(f"{path} (released in {version}) is missing")
        elif hashlib.sha256(file.read_bytes()).hexdigest() != sha256:
            problems.append(f"{path} (released in {version}) changed")
    assert not problems, ("a released migration was edited: add a new migration instead "
                          "(an operator's database has applied it as it was)\n" + "\n".join(problems))


def test_every_model_change_has_its_migration(tmp_path):
    result = run_manage("makemigrations", "--check", "--dry-run", DATABASE_URL=f"sqlite:///{tmp_path}/empty.sqlite3")
    assert result.returncode == 0, f"models changed without a migration (makemigrations):\n{result.stdout}{result.stderr}"


def test_previous_release_kept_small():
    kept = ROOT / "deploy" / "releases" / "0.1.0"
    for name in ("db.sqlite3.gz", "db.postgresql.sql.gz"):
        size = (kept / name).stat().st_size
        assert 10_000 < size < 3_000_000, f"{name}: {size} bytes"
