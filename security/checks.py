"""System checks of the audit trail's protections (``manage.py check``; ``check --deploy`` in production)."""

from django.core import checks


@checks.register(checks.Tags.security)
def sm3_available(app_configs=None, **kwargs):
    """HMAC-SM3 (the audit chain) comes from hashlib, SM4 from cryptography: both from OpenSSL."""
    import hashlib
    import hmac

    problems = []
    try:
        hmac.new(b"key", b"message", "sm3").hexdigest()
        hashlib.new("sm3", b"")
    except ValueError:
        problems.append(checks.Error("This Python's hashlib has no SM3: the audit chain (HMAC-SM3) cannot be written "
                                     "nor verified", hint="Use a Python linked with OpenSSL 1.1.1 or later built "
                                     "with SM3", id="security.E101"))
    try:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        Cipher(algorithms.SM4(b"\0" * 16), modes.CBC(b"\0" * 16)).encryptor().update(b"\0" * 16)
    except Exception:  # noqa: BLE001 - any failure means no usable SM4
        problems.append(checks.Error("The installed cryptography gives no SM4", id="security.E102"))
    return problems


@checks.register(checks.Tags.security, deploy=True)
def application_role_is_not_the_owner(app_configs=None, **kwargs):
    """On PostgreSQL the application's role must not own the audit table nor be a superuser: either could disable
    the triggers, truncate the table or rewrite it (deploy/README.md, "Two database roles")."""
    from django.conf import settings
    from django.db import DatabaseError, connection

    from incentives import databases

    if not databases.has("roles", connection) or settings.CONNECTED_AS_OWNER:
        return []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper, pg_has_role(current_user, c.relowner, 'MEMBER'), current_user "
                           "FROM pg_roles, pg_class c WHERE rolname = current_user "
                           "AND c.oid = 'organisation_auditentry'::regclass")
            row = cursor.fetchone()
    except DatabaseError:
        return []  # not migrated yet, or the database is down: other checks say so
    if row and (row[0] or row[1]):
        return [checks.Warning(
            f"The application connects to PostgreSQL as {row[2]!r}, a superuser or the tables' owner: it could "
            f"rewrite the audit trail", hint="Give DATABASE_URL a role with row rights only and the owner to "
            "DATABASE_OWNER_URL (deploy/README.md, \"Two database roles\")", id="security.W101")]
    return []
