"""Personal data encrypted at rest with SM4 (GB/T 32907-2016), as GB/T 39786-2021 asks of important data.

The construction is SM4 in GCM mode (authenticated encryption: a 128-bit key, a 96-bit random nonce per value,
a 128-bit tag), from ``cryptography`` (its OpenSSL backend; ``sm4_gcm_available`` is checked at start-up, with
the key ring, by ``organisation.apps``). Each value is bound to its table and column (the additional authenticated data), so a value
copied into another column or table does not decrypt.

Keys come from the environment: ``PERSONAL_DATA_KEYS`` is a key ring, ``id:base64key,...`` (16 random bytes a
key); the first key encrypts, every key decrypts, so a key can be replaced while old rows are re-encrypted
(``manage.py rotate_personal_data_key``). Production refuses to start without it (settings.py).

A stored value is text: ``sm4gcm:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>``; an empty value stays empty
(nothing to hide, and a removed value is empty). ``EncryptedTextField`` does this transparently: the code reads
and writes plain strings. It cannot be searched or ordered by its contents (each value has its own nonce).

Backups use the same cipher on whole files, streamed (``encrypt_file`` / ``decrypt_file``), with the key of
``BACKUP_ENCRYPTION_KEY``.

Masking (``mask_name``, ``mask_contact``, ``mask_email``) is what lists show instead of the full value.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "sm4gcm"
KEY_BYTES = 16
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
PLACEHOLDER_MARK = "replace-with"
# The development and test default (never in production: settings.py refuses to start without the variable).
DEVELOPMENT_KEYS = "dev0:ZGV2ZWxvcG1lbnQta2V5MA=="


class PersonalDataKeyError(Exception):
    """A value or a file cannot be decrypted: its key is not in the ring, or the key is wrong, or it was altered."""


@dataclass(frozen=True)
class Key:
    id: str
    secret: bytes


def parse_keys(raw: str, *, name: str = "PERSONAL_DATA_KEYS") -> list[Key]:
    """``id:base64key,...`` → keys, the first one the current. Every problem is named with its position."""
    if PLACEHOLDER_MARK in (raw or "").lower():
        raise ImproperlyConfigured(f"{name} is still the placeholder of deploy/env.example: generate a key with "
                                   f"python -c \"import base64, os; print(base64.b64encode(os.urandom(16)).decode())\"")
    keys: list[Key] = []
    for position, item in enumerate((raw or "").split(","), start=1):
        item = item.strip()
        if not item:
            continue
        key_id, colon, encoded = item.partition(":")
        key_id = key_id.strip()
        if not colon or not KEY_ID.match(key_id):
            raise ImproperlyConfigured(f"{name}: entry {position} is not “id:base64key” (an id of 1 to 16 letters, "
                                       f"digits, - or _)")
        try:
            secret = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"{name}: the key “{key_id}” is not valid base64") from None
        if len(secret) != KEY_BYTES:
            raise ImproperlyConfigured(f"{name}: the key “{key_id}” has {len(secret)} bytes; SM4 takes "
                                       f"{KEY_BYTES} (base64 of 16 random bytes)")
        if any(k.id == key_id for k in keys):
            raise ImproperlyConfigured(f"{name}: the key id “{key_id}” appears twice")
        keys.append(Key(key_id, secret))
    if not keys:
        raise ImproperlyConfigured(f"{name} holds no key")
    return keys


_ring_cache: dict[str, list[Key]] = {}


def key_ring() -> list[Key]:
    """The keys of ``PERSONAL_DATA_KEYS`` (read again when the setting changes, as tests do)."""
    raw = settings.PERSONAL_DATA_KEYS
    ring = _ring_cache.get(raw)
    if ring is None:
        ring = parse_keys(raw)
        _ring_cache.clear()
        _ring_cache[raw] = ring
    return ring


def current_key() -> Key:
    return key_ring()[0]


def _key(key_id: str, ring: list[Key]) -> Key:
    for key in ring:
        if key.id == key_id:
            return key
    raise PersonalDataKeyError(f"the key “{key_id}” that encrypted this value is not in PERSONAL_DATA_KEYS "
                               f"(known: {', '.join(k.id for k in ring)}): put it back in the ring")


def _cipher(secret: bytes, nonce: bytes, tag: bytes | None = None):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    return Cipher(algorithms.SM4(secret), modes.GCM(nonce, tag))


def sm4_gcm_available() -> bool:
    """Whether this ``cryptography`` and its OpenSSL offer SM4-GCM (checked at start-up)."""
    try:
        encryptor = _cipher(bytes(KEY_BYTES), bytes(NONCE_BYTES)).encryptor()
        encryptor.update(b"x")
        encryptor.finalize()
    except Exception:  # noqa: BLE001 - UnsupportedAlgorithm, or an OpenSSL without SM4
        return False
    return True


def is_encrypted(value) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX + ":")


def key_id_of(value: str) -> str | None:
    return value.split(":", 2)[1] if is_encrypted(value) else None


def encrypt(plaintext: str, *, context: str, key: Key | None = None) -> str:
    """``plaintext`` encrypted with the current key (or ``key``), bound to ``context`` (table.column)."""
    key = key or current_key()
    nonce = secrets.token_bytes(NONCE_BYTES)
    encryptor = _cipher(key.secret, nonce).encryptor()
    encryptor.authenticate_additional_data(context.encode())
    body = encryptor.update(plaintext.encode("utf-8")) + encryptor.finalize()
    packed = base64.urlsafe_b64encode(nonce + body + encryptor.tag).decode().rstrip("=")
    return f"{PREFIX}:{key.id}:{packed}"


def decrypt(value: str, *, context: str, ring: list[Key] | None = None) -> str:
    """The plaintext of a stored value; ``PersonalDataKeyError`` naming the key when it cannot be decrypted."""
    _prefix, key_id, packed = value.split(":", 2)
    key = _key(key_id, ring or key_ring())
    try:
        raw = base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4))
    except (binascii.Error, ValueError):
        raise PersonalDataKeyError(f"a value of {context} is damaged (not base64)") from None
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise PersonalDataKeyError(f"a value of {context} is damaged (too short)")
    nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    decryptor = _cipher(key.secret, nonce, tag).decryptor()
    decryptor.authenticate_additional_data(context.encode())
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode("utf-8")
    except InvalidTag:
        raise PersonalDataKeyError(f"a value of {context} does not decrypt with the key “{key_id}”: the key is "
                                   f"wrong (same id, other bytes) or the value was altered") from None


class Decrypted(str):
    """A value read from an encrypted column: the plain text, which remembers the stored text it was read from, so
    that saving it unchanged or dumping it (backups) writes the same ciphertext."""

    stored: str = ""
    context: str = ""


class Stored(str):
    """An encrypted text as a backup carries it, loaded back as it is (``incentives.backup.load_rows``). Only code
    marks a value so; a string from outside is always encrypted, whatever it looks like."""


class EncryptedTextField(models.TextField):
    """Text kept encrypted in the database (SM4-GCM, the current key of ``PERSONAL_DATA_KEYS``), read as plain
    text. An empty value is stored empty. Not searchable: filter on it only with ``""`` (empty or not)."""

    description = "Text encrypted at rest with SM4"

    def context(self) -> str:
        return f"{self.model._meta.db_table}.{self.column}"

    def from_db_value(self, value, expression, connection):
        if not is_encrypted(value):
            return value  # empty, or a row written before the column was encrypted (the migration encrypts them)
        context = self.context()
        plain = Decrypted(decrypt(value, context=context))
        plain.stored, plain.context = value, context
        return plain

    def get_prep_value(self, value):
        if value is None:
            return None
        if isinstance(value, Stored):
            return str(value)
        context = self.context()
        if isinstance(value, Decrypted) and value.context == context:
            return value.stored  # unchanged since it was read
        value = str(value)
        return encrypt(value, context=context) if value else ""

    def value_to_string(self, obj):
        # Serialized (backups, dumpdata) as stored: the plain text never leaves the database in a dump.
        return self.get_prep_value(self.value_from_object(obj))


def stored_values_keep(obj) -> None:
    """Mark the encrypted fields of a deserialized row (a backup's) as stored texts, to be written back as they are."""
    for field in obj._meta.concrete_fields:
        if isinstance(field, EncryptedTextField):
            value = getattr(obj, field.attname)
            if is_encrypted(value):
                setattr(obj, field.attname, Stored(value))


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every encrypted column of the installed models."""
    from django.apps import apps

    return [(model, field) for model in apps.get_models() for field in model._meta.concrete_fields
            if isinstance(field, EncryptedTextField)]


# --- masking: what a list shows -----------------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """张三丰 → 张**; Li Ming → L*******."""
    name = (name or "").strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_contact(contact: str) -> str:
    """A telephone number keeps its first three and last four digits (138****5678); anything else (an address)
    keeps its first three characters."""
    contact = (contact or "").strip()
    digits = re.sub(r"[\s+()-]", "", contact)
    if digits.isdigit() and len(digits) >= 8:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return contact[:3] + "***" if contact else ""


def mask_email(email: str) -> str:
    """chenming@example.com → c***@example.com."""
    local, at, domain = (email or "").partition("@")
    return f"{local[:1]}***@{domain}" if at else ("***" if email else "")


# --- files: backups ---------------------------------------------------------------------------------------------

FILE_MAGIC = b"GZSM4GCM1\n"
CHUNK = 1024 * 1024


def backup_key() -> Key | None:
    """The key of ``BACKUP_ENCRYPTION_KEY`` (``id:base64key``), or None when backups are not encrypted."""
    raw = getattr(settings, "BACKUP_ENCRYPTION_KEY", "")
    if not raw:
        return None
    keys = parse_keys(raw, name="BACKUP_ENCRYPTION_KEY")
    if len(keys) != 1:
        raise ImproperlyConfigured("BACKUP_ENCRYPTION_KEY holds one key (id:base64key)")
    return keys[0]


def _file_header(key: Key, nonce: bytes) -> bytes:
    key_id = key.id.encode()
    return FILE_MAGIC + bytes([len(key_id)]) + key_id + nonce


def encrypt_file(source: Path, target: Path, *, key: Key, context: str) -> None:
    """``source`` encrypted into ``target`` a chunk at a time: header (magic, key id, nonce), ciphertext, tag.
    The header and ``context`` (the file's name in the backup) are authenticated with the contents."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    header = _file_header(key, nonce)
    encryptor = _cipher(key.secret, nonce).encryptor()
    encryptor.authenticate_additional_data(header + context.encode())
    with Path(source).open("rb") as reading, Path(target).open("wb") as writing:
        writing.write(header)
        for chunk in iter(lambda: reading.read(CHUNK), b""):
            writing.write(encryptor.update(chunk))
        writing.write(encryptor.finalize())
        writing.write(encryptor.tag)


def file_key_id(path: Path) -> str | None:
    """The key id an encrypted file names, or None when it is not one of ours."""
    with Path(path).open("rb") as reading:
        head = reading.read(len(FILE_MAGIC) + 1 + 16)
    if not head.startswith(FILE_MAGIC) or len(head) <= len(FILE_MAGIC):
        return None
    length = head[len(FILE_MAGIC)]
    return head[len(FILE_MAGIC) + 1:len(FILE_MAGIC) + 1 + length].decode(errors="replace")


def decrypt_file(source: Path, target: Path | None, *, key: Key, context: str, digest=None) -> None:
    """Decrypt ``source`` into ``target`` (None: only check it), feeding the plaintext to ``digest`` if given.
    The tag is checked at the end: on a wrong key or an altered file ``target`` is removed and
    ``PersonalDataKeyError`` raised, so nothing unauthenticated is left behind."""
    source = Path(source)
    size = source.stat().st_size
    found = file_key_id(source)
    if found is None:
        raise PersonalDataKeyError(f"{context} is not a file encrypted by this application")
    if found != key.id:
        raise PersonalDataKeyError(f"{context} was encrypted with the key “{found}”, and BACKUP_ENCRYPTION_KEY "
                                   f"holds “{key.id}”: give the key the backup was taken with")
    header_size = len(FILE_MAGIC) + 1 + len(found.encode()) + NONCE_BYTES
    if size < header_size + TAG_BYTES:
        raise PersonalDataKeyError(f"{context} is damaged (too short)")
    with source.open("rb") as reading:
        header = reading.read(header_size)
        reading.seek(size - TAG_BYTES)
        tag = reading.read(TAG_BYTES)
        reading.seek(header_size)
        decryptor = _cipher(key.secret, header[-NONCE_BYTES:], tag).decryptor()
        decryptor.authenticate_additional_data(header + context.encode())
        remaining = size - header_size - TAG_BYTES
        writing = Path(target).open("wb") if target is not None else None
        try:
            while remaining:
                chunk = reading.read(min(CHUNK, remaining))
                remaining -= len(chunk)
                plain = decryptor.update(chunk)
                if digest is not None:
                    digest.update(plain)
                if writing is not None:
                    writing.write(plain)
            try:
                decryptor.finalize()
            except InvalidTag:
                raise PersonalDataKeyError(f"{context} does not decrypt with BACKUP_ENCRYPTION_KEY “{key.id}”: the "
                                           f"key is wrong (same id, other bytes) or the file was altered") from None
        except BaseException:
            if writing is not None:
                writing.close()
                os.unlink(target)
            raise
        if writing is not None:
            writing.close()
