"""Backup and restore of the database and the media files.

A backup is a directory:

* ``database.jsonl``: every row of every application (``dumpdata`` with natural foreign keys, times to the
  microsecond), except the rows ``migrate`` creates again by itself (content types, permissions) and sessions
  (see ``NOT_BACKED_UP``: after a restore everyone signs in again);
* ``media/``: a copy of ``MEDIA_ROOT`` (evidence files, rendered bulletins);
* ``manifest.json``: the SHA-256 and size of ``database.jsonl`` and of every media file, the row counts, and the
  migrations applied when it was taken.

With ``BACKUP_ENCRYPTION_KEY`` set, every file but the manifest is encrypted with SM4-GCM (``incentives.crypto``,
streamed a megabyte at a time, authenticated): the dump is ``database.jsonl.sm4``, the media files keep their names.
The manifest says so (``encryption``: algorithm and key id) and keeps two digests of each file: ``sha256`` of the
encrypted file as it lies in the backup (``--verify-only`` checks them without the key) and ``plaintext_sha256``
of its contents (checked after decryption). ``restore`` decrypts and checks every file before it changes anything:
a missing or wrong key restores nothing. Encrypted columns (objectors' data) are in the dump as they are stored,
encrypted with ``PERSONAL_DATA_KEYS``, whether the backup is encrypted or not.

The JSON dump is used on SQLite and PostgreSQL alike (rather than ``pg_dump``): one format restores on either
engine and on another PostgreSQL version, and the image needs no database client programs. It is slower than
``pg_dump`` on very large databases (see deploy/README.md for the figures).

``restore`` verifies every digest before touching anything, then replaces the database's rows by the backup's,
all in one transaction (in batches, not a query per row as ``loaddata`` does); the media files are copied only
after the rows are loaded. The target is a migrated database holding nothing but what a new deployment's
``migrate`` and ``init`` put there (the default programme, the role groups; after ``init`` the organisation and the
2022 catalogue of the fixtures and the permissions built from them: ``setup_only``). A database holding anything
else (a user, an audit record, a cycle, a changed bureau ...) is refused, naming each table and its rows, unless
``replace=True`` (``restore --replace``) says to throw that data away.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers import jsonl as jsonl_serializer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from . import crypto, databases
from .crypto import stored_values_keep
from .errors import DomainError

FORMAT = 1
DATABASE_FILE = "database.jsonl"
MANIFEST_FILE = "manifest.json"
MEDIA_DIR = "media"
# Rows that migrate creates again (content types, permissions, the role groups) or that are not kept.
EXCLUDED = ["contenttypes", "auth.permission", "sessions"]
RECREATED_BY_MIGRATE = {"contenttypes.contenttype", "auth.permission", "auth.group", "sessions.session"}
# What a backup leaves out, and why (deploy/README.md, *Backups*, says the same).
NOT_BACKED_UP = {
    "contenttypes.contenttype": "migrate creates them again; rows refer to them by app and model name",
    "auth.permission": "migrate creates them again; rows refer to them by app, model and codename",
    "sessions.session": ("a session key signs its holder in past the password and the second factor: a backup "
                         "holding them would be a set of live sign-ins; sessions end after 30 idle minutes anyway. "
                         "A restore ends every session: everyone signs in again"),
    "django_migrations": "not a model: the manifest lists the migrations applied, and restore compares them",
}
# The rows a new deployment holds before anyone used it: what the applications register (register_setup_rows: the
# default programme of organisation's migration 0002, the role groups migrate makes); after `manage.py init`, the
# fixtures' organisation and catalogue (FIXTURE_DIRS), the bureaus' groups and the category permissions of those
# groups, which `sync_permissions` builds from them.
SETUP_FIXTURES = ("organisation", "catalogue_2022")
SETUP_IGNORED_FIELDS = {"organisation.bureau": {"group"}}  # set by sync_permissions
AUDIT_NO_DELETE = "organisation.AuditEntry:audit_no_delete"


class BackupError(DomainError):
    pass


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's JSON encoder cuts times to milliseconds; a backup keeps the microseconds."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


class Serializer(jsonl_serializer.Serializer):
    """dumpdata's JSON Lines (one row a line: written and read back without holding the dump in memory), with
    times to the microsecond (registered as the format ``jsonl-exact``; the file reads back with the ordinary
    JSON Lines deserializer).

    Only references to content types and permissions are written by natural key (``migrate`` gives those new ids
    in a new database); every other reference keeps its id, as the rows do. The natural keys come from two
    dictionaries read once, not from a query per row (dumpdata's own ``--natural-foreign`` fetches the related
    object of every row: 55 s instead of a few for 100,000 audit records)."""

    def _init_options(self):
        self.options.setdefault("cls", ExactJSONEncoder)
        super()._init_options()
        self._natural = {
            ContentType: {ct.pk: ct.natural_key() for ct in ContentType.objects.all()},
            Permission: {p.pk: p.natural_key() for p in Permission.objects.select_related("content_type")},
        }

    def handle_fk_field(self, obj, field):
        keys = self._natural.get(field.remote_field.model)
        if keys is None:
            self._current[field.name] = self._value_from_field(obj, field)
        else:
            value = getattr(obj, field.attname)
            self._current[field.name] = None if value is None else list(keys[value])

    def handle_m2m_field(self, obj, field):
        keys = self._natural.get(field.remote_field.model)
        if keys is None or not field.remote_field.through._meta.auto_created:
            natural, self.use_natural_foreign_keys = self.use_natural_foreign_keys, False
            try:
                super().handle_m2m_field(obj, field)
            finally:
                self.use_natural_foreign_keys = natural
            return
        ids = getattr(obj, field.name).values_list("pk", flat=True)
        self._current[field.name] = [list(keys[pk]) for pk in ids]


Deserializer = jsonl_serializer.Deserializer
serializers.register_serializer("jsonl-exact", "incentives.backup")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def applied_migrations(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    recorder = MigrationRecorder(connections[alias])
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


def backed_up_models():
    return [m for m in apps.get_models() if m._meta.label_lower not in RECREATED_BY_MIGRATE and m._meta.managed
            and not m._meta.proxy]


def row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in backed_up_models()}


def backup(*, output: Path) -> dict:
    """Write a backup into ``output`` (a new or empty directory). Returns the manifest."""
    output = Path(output)
    if output.exists() and any(output.iterdir()):
        raise BackupError(f"{output} is not empty: give a new directory for the backup")
    created = not output.exists()
    output.mkdir(parents=True, exist_ok=True)
    try:
        return _write_backup(output)
    except BaseException:
        # A backup that failed half-way leaves nothing that looks like a backup.
        if created:
            shutil.rmtree(output, ignore_errors=True)
        else:
            for name in (DATABASE_FILE, DATABASE_FILE + ENCRYPTED_SUFFIX, MANIFEST_FILE):
                (output / name).unlink(missing_ok=True)
            shutil.rmtree(output / MEDIA_DIR, ignore_errors=True)
        raise


ENCRYPTED_SUFFIX = ".sm4"
ALGORITHM = "SM4-GCM"


def _encrypt_in_place(path: Path, *, key, context: str, target: Path | None = None) -> dict:
    """Encrypt ``path`` into ``target`` (or over itself); the digests and sizes of both forms."""
    plain = {"plaintext_sha256": sha256_of(path), "plaintext_size": path.stat().st_size}
    target = target or path
    encrypted = target.with_name(target.name + ".encrypting")
    crypto.encrypt_file(path, encrypted, key=key, context=context)
    path.unlink()
    os.replace(encrypted, target)
    return {"sha256": sha256_of(target), "size": target.stat().st_size, **plain}


def _write_backup(output: Path) -> dict:
    key = crypto.backup_key()
    database = output / DATABASE_FILE
    # One snapshot: on PostgreSQL a REPEATABLE READ transaction sees every table as of its first query, so the
    # dump is consistent across tables and agrees with the row counts while people keep working.
    connection = connections[DEFAULT_DB_ALIAS]
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            databases.snapshot_begin(connection)
        counts = row_counts()
        call_command("dumpdata", exclude=EXCLUDED, natural_foreign=True, indent=None, output=str(database),
                     format="jsonl-exact", verbosity=0)
        migrations = applied_migrations()
    if key is None:
        database_entry = {"file": DATABASE_FILE, "sha256": sha256_of(database), "size": database.stat().st_size}
    else:
        name = DATABASE_FILE + ENCRYPTED_SUFFIX
        database_entry = {"file": name, **_encrypt_in_place(database, key=key, context=name,
                                                            target=output / name)}
    media_root = Path(settings.MEDIA_ROOT)
    media = {}
    for source in media_files(media_root):
        relative = source.relative_to(media_root).as_posix()
        target = output / MEDIA_DIR / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        if key is None:
            media[relative] = {"sha256": sha256_of(target), "size": target.stat().st_size}
        else:
            media[relative] = _encrypt_in_place(target, key=key, context=f"{MEDIA_DIR}/{relative}")
    manifest = {
        "format": FORMAT,
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "engine": databases.vendor(connection),
        "database": database_entry,
        "rows": counts,
        "migrations": migrations,
        "media": media,
    }
    if key is not None:
        manifest["encryption"] = {"algorithm": ALGORITHM, "key_id": key.id,
                                  "digests": "sha256: the encrypted file; plaintext_sha256: its decrypted contents"}
    (output / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))
    return manifest


def verify(source: Path) -> dict:
    """Check a backup against its manifest; returns the manifest or raises naming every problem."""
    source = Path(source)
    manifest_path = source / MANIFEST_FILE
    if not manifest_path.is_file():
        raise BackupError(f"{source} has no {MANIFEST_FILE}: not a backup directory")
    try:
        manifest = json.loads(manifest_path.read_text())
    except ValueError as error:
        raise BackupError(f"{manifest_path} is not valid JSON: {error}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{manifest_path}: unknown backup format {manifest.get('format')!r}")
    problems = []
    database = source / manifest["database"]["file"]
    if not database.is_file():
        problems.append(f"{database.name} is missing")
    elif sha256_of(database) != manifest["database"]["sha256"]:
        problems.append(f"{database.name} does not match its SHA-256 in the manifest")
    media_dir = source / MEDIA_DIR
    listed = manifest.get("media", {})
    for relative, entry in listed.items():
        path = media_dir / relative
        if not path.is_file():
            problems.append(f"media/{relative} is missing")
        elif sha256_of(path) != entry["sha256"]:
            problems.append(f"media/{relative} does not match its SHA-256 in the manifest")
    for path in media_files(media_dir):
        if path.relative_to(media_dir).as_posix() not in listed:
            problems.append(f"media/{path.relative_to(media_dir).as_posix()} is not in the manifest")
    if problems:
        raise BackupError("The backup is damaged; nothing was restored: " + "; ".join(problems))
    return manifest


def encryption_key_for(manifest: dict):
    """The key an encrypted backup needs (BACKUP_ENCRYPTION_KEY), None for a backup in clear; a clear error when
    it is missing or another key."""
    encryption = manifest.get("encryption")
    if not encryption:
        return None
    if encryption.get("algorithm") != ALGORITHM:
        raise BackupError(f"The backup is encrypted with {encryption.get('algorithm')!r}, unknown here; nothing was "
                          f"restored")
    key = crypto.backup_key()
    wanted = encryption.get("key_id")
    if key is None:
        raise BackupError(f"The backup is encrypted ({ALGORITHM}, key “{wanted}”): set BACKUP_ENCRYPTION_KEY to that "
                          f"key; nothing was restored")
    if key.id != wanted:
        raise BackupError(f"The backup is encrypted with the key “{wanted}”, and BACKUP_ENCRYPTION_KEY holds "
                          f"“{key.id}”: give the key the backup was taken with; nothing was restored")
    return key


def _decrypt_checked(source: Path, target: Path | None, *, key, context: str, entry: dict) -> None:
    """Decrypt one file of an encrypted backup (``target`` None: only check it) and compare its contents with
    the manifest's ``plaintext_sha256``."""
    digest = hashlib.sha256()
    try:
        crypto.decrypt_file(source, target, key=key, context=context, digest=digest)
    except crypto.PersonalDataKeyError as error:
        raise BackupError(f"The backup cannot be decrypted; nothing was restored: {error}") from None
    if digest.hexdigest() != entry["plaintext_sha256"]:
        if target is not None:
            Path(target).unlink(missing_ok=True)
        raise BackupError(f"The backup is damaged; nothing was restored: {context} decrypts to contents that do "
                          f"not match its plaintext_sha256 in the manifest")


def verify_decryption(source: Path, manifest: dict, key) -> None:
    """Decrypt every file of an encrypted backup without writing anything: the key is right and nothing was
    altered (the tag and the plaintext's digest of each file)."""
    database = manifest["database"]
    _decrypt_checked(Path(source) / database["file"], None, key=key, context=database["file"], entry=database)
    for relative, entry in manifest["media"].items():
        _decrypt_checked(Path(source) / MEDIA_DIR / relative, None, key=key, context=f"{MEDIA_DIR}/{relative}",
                         entry=entry)


def _fixture_rows() -> dict[str, dict]:
    """The rows of the setup fixtures, by model label and primary key (deserialized, not saved)."""
    rows: dict[str, dict] = {}
    for name in SETUP_FIXTURES:
        for directory in settings.FIXTURE_DIRS:
            path = Path(directory) / f"{name}.json"
            if path.is_file():
                with path.open(encoding="utf-8") as handle:
                    for item in serializers.deserialize("json", handle, handle_forward_references=False):
                        rows.setdefault(item.object._meta.label_lower, {})[item.object.pk] = item
                break
    return rows


_setup_providers: list = []


def register_setup_rows(provider) -> None:
    """An application tells what its migrations and ``init`` create by themselves: ``provider(alias)`` returns
    ``{"instances": {model label: [unsaved instances]}, "groups": {group names}}``; a row equal to one of the
    instances (its primary key aside), or a group of one of those names, is not data (see ``data_rows``).
    organisation registers its default programme and its role and bureau groups (organisation/apps.py)."""
    _setup_providers.append(provider)


def _setup_rows(alias: str) -> tuple[dict[str, list], set[str]]:
    instances: dict[str, list] = {}
    groups: set[str] = set()
    for provider in _setup_providers:
        given = provider(alias)
        for label, objects in given.get("instances", {}).items():
            instances.setdefault(label, []).extend(objects)
        groups |= set(given.get("groups", ()))
    return instances, groups


def _same_row(row, reference, m2m: dict, ignored: set[str]) -> bool:
    for field in row._meta.concrete_fields:
        if field.primary_key or field.name in ignored:
            continue
        if field.value_from_object(row) != field.value_from_object(reference):
            return False
    for field in row._meta.many_to_many:
        present = {str(pk) for pk in getattr(row, field.name).values_list("pk", flat=True)}
        if present != {str(pk) for pk in m2m.get(field.name, [])}:
            return False
    return True


def data_rows(alias: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """The rows of this database that a new deployment's ``migrate`` and ``init`` did not put there, counted by
    table (model label): an empty dictionary for a database holding only setup rows, which a restore may replace
    without losing anything."""
    fixtures = _fixture_rows()
    made, groups = _setup_rows(alias)
    found: dict[str, int] = {}
    for model in [*backed_up_models(), apps.get_model("auth", "Group")]:
        label = model._meta.label_lower
        manager = model._base_manager.using(alias)
        if label == "auth.group":
            extra = manager.exclude(name__in=groups).count()
        elif label == "measures.categorygroupobjectpermission":
            extra = manager.exclude(group__name__in=groups).count()
        elif label in fixtures or label in made:
            references = fixtures.get(label, {})
            ignored = SETUP_IGNORED_FIELDS.get(label, set())
            extra = 0
            for row in manager.order_by("pk").iterator(chunk_size=500):
                item = references.get(row.pk)
                if item is not None and _same_row(row, item.object, item.m2m_data or {}, ignored):
                    continue
                if any(_same_row(row, instance, {}, ignored) for instance in made.get(label, ())):
                    continue
                extra += 1
        else:
            extra = manager.count()
        if extra:
            found[model._meta.label] = extra
    return found


def _check_target(manifest: dict, *, replace: bool) -> dict[str, int]:
    """Refuse a target the backup cannot be restored into; returns the rows of data a replace will delete."""
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise BackupError("The database is not fully migrated: run `manage.py migrate` first, then restore")
    unknown = sorted(set(manifest["migrations"]) - set(applied_migrations()))
    if unknown:
        raise BackupError("The backup was taken by a newer version of the application (migrations "
                          + ", ".join(unknown[:5]) + " are unknown here): restore it with that version")
    data = data_rows()
    if data and not replace:
        described = ", ".join(f"{label}: {n}" for label, n in sorted(data.items()))
        raise BackupError(f"The database is not empty ({described}): these rows are not what a new deployment's "
                          f"migrate and init create, and a restore would delete them. Nothing was changed. "
                          f"Restore into a new database, or take a backup of this one and give --replace")
    media_root = Path(settings.MEDIA_ROOT)
    clashes = [relative for relative, entry in manifest["media"].items()
               if (media_root / relative).exists()
               and sha256_of(media_root / relative) != entry.get("plaintext_sha256", entry["sha256"])]
    if clashes and not replace:
        raise BackupError(f"{len(clashes)} media file(s) already exist with other contents, e.g. {clashes[0]}: "
                          f"restore into an empty MEDIA_ROOT, or give --replace to overwrite them")
    return data


def _wipe(alias: str = DEFAULT_DB_ALIAS) -> None:
    """Delete every row the backup holds a table for, the groups and their links, and every session, in the
    current transaction (the foreign keys are checked at commit, so the order does not matter)."""
    connection = connections[alias]
    kept = {"contenttypes.contenttype", "auth.permission"}
    models = [m for m in apps.get_models(include_auto_created=True)
              if m._meta.managed and not m._meta.proxy and m._meta.label_lower not in kept]
    # The audit trail's rows are otherwise never deleted (a trigger, where the database has them).
    with databases.triggers_ignored(AUDIT_NO_DELETE, connection):
        for model in models:
            model._base_manager.using(alias).all()._raw_delete(alias)


def _insert(model, objects: list, alias: str) -> None:
    """INSERT the rows as they are, many at a time (``raw``: no auto_now, no save(), no signals), as loaddata's
    row-by-row raw save would, but without a query per row."""
    fields = [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]
    size = max(connections[alias].ops.bulk_batch_size(fields, objects) or len(objects), 1)
    for start in range(0, len(objects), size):
        model._base_manager.using(alias)._insert(objects[start:start + size], fields=fields, using=alias, raw=True)


def load_rows(path: Path, alias: str = DEFAULT_DB_ALIAS) -> int:
    """Load a dump written by ``backup`` in the current transaction. Every reference in it is by id (content
    types and permissions by natural key, which exist), so rows go in table by table, in batches; the deferred
    foreign-key constraints are checked at the end, and the id sequences moved past the restored ids."""
    connection = connections[alias]
    pending: dict = {}
    many_to_many = []
    loaded = 0
    with path.open(encoding="utf-8") as handle, connection.constraint_checks_disabled():
        for item in serializers.deserialize("jsonl", handle, using=alias, handle_forward_references=False):
            model = type(item.object)
            stored_values_keep(item.object)  # encrypted columns go back as the backup holds them
            pending.setdefault(model, []).append(item.object)
            if item.m2m_data:
                many_to_many.append((item.object, item.m2m_data))
            loaded += 1
            if len(pending[model]) >= 5000:
                _insert(model, pending[model], alias)
                pending[model] = []
        for model, objects in pending.items():
            if objects:
                _insert(model, objects, alias)
        for obj, relations in many_to_many:
            for name, ids in relations.items():
                field = obj._meta.get_field(name)
                through = field.remote_field.through
                source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
                through._base_manager.using(alias).bulk_create(
                    [through(**{f"{source}_id": obj.pk, f"{target}_id": pk}) for pk in ids])
        models = list(pending)
        connection.check_constraints(table_names=[m._meta.db_table for m in models])
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    return loaded


def restore(*, source: Path, replace: bool = False) -> dict:
    """Verify the backup, then replace the database's rows by its rows and copy its media files. Returns the
    manifest, with ``replaced`` (the rows of data deleted, by table; empty unless ``replace``) and
    ``media_not_in_backup`` (files of MEDIA_ROOT the backup does not have, left in place)."""
    source = Path(source)
    manifest = verify(source)
    key = encryption_key_for(manifest)
    with tempfile.TemporaryDirectory(prefix="incentives-restore-") as scratch:
        database = source / manifest["database"]["file"]
        if key is not None:
            # Everything decrypted and checked before anything changes: a wrong key or an altered file stops here.
            verify_decryption(source, manifest, key)
            plain = Path(scratch) / DATABASE_FILE
            _decrypt_checked(database, plain, key=key, context=manifest["database"]["file"],
                             entry=manifest["database"])
            database = plain
        replaced = _check_target(manifest, replace=replace)
        with transaction.atomic():
            _wipe()
            load_rows(database)
            restored = row_counts()
            wrong = {label: (n, restored.get(label, 0)) for label, n in manifest["rows"].items()
                     if restored.get(label, 0) != n}
            if wrong:
                raise BackupError("Rows differ after loading; nothing was restored: " + ", ".join(
                    f"{label} {expected} expected, {found} found"
                    for label, (expected, found) in sorted(wrong.items())))
    media_root = Path(settings.MEDIA_ROOT)
    for relative, entry in manifest["media"].items():
        target = media_root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(target.name + ".restoring")
        if key is None:
            shutil.copy2(source / MEDIA_DIR / relative, temporary)
        else:
            _decrypt_checked(source / MEDIA_DIR / relative, temporary, key=key, context=f"{MEDIA_DIR}/{relative}",
                             entry=entry)
        os.replace(temporary, target)
    listed = set(manifest["media"])
    others = [p for p in media_files(media_root) if p.relative_to(media_root).as_posix() not in listed]
    return {**manifest, "replaced": replaced, "media_not_in_backup": len(others)}
