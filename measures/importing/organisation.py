"""Plan and apply imports of the organisation: bureaus, nominee units, user accounts with their memberships.

The one import path of each kind: the admin's import pages (``measures.importing.admin_views.organisation_import_view``:
upload → preview → confirm), the ``import_organisation`` command and the import benchmark (bench/import_bench.py)
all go through ``IMPORTERS``. Every row error names its row and column; a file with one error imports nothing.

The unit importer is the fast path for big files: one query reads every existing unit, rows are compared in
memory, and the writes are ``bulk_create`` / ``bulk_update`` in batches, all in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from incentives.errors import DomainError
from organisation import roles
from organisation.audit import audit_record
from organisation.invitations import account_invite
from organisation.models import Bureau, Membership, Programme, Unit, UnitKind

from .lengths import length_errors
from .names import BureauMatcher, clean_name
from .plan import CHANGED, INVALID, NEW, UNCHANGED
from .reading import ImportFileError, RowError, read_table
from .services import check_importer

TRUE_WORDS = {"1", "yes", "true", "y", "是", "有效", "active", "x", "✓"}
FALSE_WORDS = {"0", "no", "false", "n", "否", "无效", "inactive", ""}
ROLE_WORDS = {
    roles.BUREAU_STAFF: roles.BUREAU_STAFF, "bureau staff": roles.BUREAU_STAFF, "部门经办人": roles.BUREAU_STAFF,
    roles.REVIEWER: roles.REVIEWER, "reviewer": roles.REVIEWER, "审核人": roles.REVIEWER,
    roles.ADMINISTRATOR: roles.ADMINISTRATOR, "administrator": roles.ADMINISTRATOR, "管理员": roles.ADMINISTRATOR,
}


# The largest value a PositiveIntegerField holds on every database (PostgreSQL's integer).
MAX_ORDER = 2_147_483_647


def _order(text: str) -> int | None:
    """A display order: a whole number that fits the column, or None."""
    if not text.isdecimal() or len(text) > 10 or int(text) > MAX_ORDER:
        return None
    return int(text)


def max_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_ROWS", 100_000))


@dataclass(slots=True)
class OrgRow:
    row: int
    key: str
    status: str
    changes: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@dataclass
class OrgPlan:
    kind: str  # "bureaus", "units", "users"
    rows: list[OrgRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    create: list = field(default_factory=list)
    update: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    # The importing programme: bureaus and units are created in it, names bind to its bureaus only.
    programme: Programme | None = None

    def __post_init__(self):
        if self.programme is None:
            self.programme = Programme.objects.default()

    @property
    def all_errors(self) -> list[RowError]:
        return self.errors + [error for row in self.rows for error in row.errors]

    @property
    def is_valid(self) -> bool:
        return not self.errors and all(row.status != INVALID for row in self.rows)

    @property
    def has_changes(self) -> bool:
        return bool(self.create or self.update or self.extra.get("other_kinds"))

    def counts(self) -> dict[str, int]:
        counts = {NEW: 0, CHANGED: 0, UNCHANGED: 0, INVALID: 0}
        for row in self.rows:
            counts[row.status] += 1
        return counts


def _boolean(value: str, default: bool) -> bool | None:
    text = clean_name(value).lower()
    if not value.strip():
        return default
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return None


def _read(plan: OrgPlan, data: bytes, filename: str, required: list[str], byte_limit: int | None):
    try:
        return read_table(data, filename=filename, max_rows=max_rows(), required=required, byte_limit=byte_limit)
    except ImportFileError as error:
        plan.errors.append(RowError(0, "", error.message))
        return None


# --- bureaus -------------------------------------------------------------------------------------------------


def plan_bureaus(data: bytes, *, filename: str = "", byte_limit: int | None = None,
                 programme: Programme | None = None) -> OrgPlan:
    plan = OrgPlan(kind="bureaus", programme=programme)
    table = _read(plan, data, filename, ["short_name", "full_name"], byte_limit)
    if table is None:
        return plan
    matcher = BureauMatcher.for_programme(plan.programme)
    seen: dict[str, int] = {}
    full_names = {b.full_name: b for b in plan.programme.bureaus.all()}
    for number, row in table.rows:
        errors = []
        short, full = clean_name(row.get("short_name", "")), clean_name(row.get("full_name", ""))
        if not short:
            errors.append(RowError(number, "short_name", _("A bureau needs its short name.")))
        if not full:
            errors.append(RowError(number, "full_name", _("A bureau needs its full name.")))
        if short in seen:
            errors.append(RowError(number, "short_name", _("%(name)s appears twice (rows %(first)s and %(second)s).") % {
                "name": short, "first": seen[short], "second": number}))
        seen[short] = number
        confirmed = _boolean(row.get("full_name_confirmed", ""), True)
        active = _boolean(row.get("is_active", ""), True)
        for column, value in (("full_name_confirmed", confirmed), ("is_active", active)):
            if value is None:
                errors.append(RowError(number, column, _("“%(value)s” is not yes or no.") % {"value": row.get(column)}))
        errors += length_errors(number, [("short_name", short, Bureau, "short_name"), ("full_name", full, Bureau, "full_name")])
        order = row.get("order", "") or "0"
        if _order(order) is None:
            errors.append(RowError(number, "order", _("“%(value)s” is not a whole number.") % {"value": order}))
        if errors:
            plan.rows.append(OrgRow(number, short, INVALID, errors=errors))
            continue
        values = {"short_name": short, "full_name": full, "full_name_confirmed": confirmed, "is_active": active, "order": _order(order)}
        if "order" not in table.header:
            values.pop("order")
        bureau = matcher.match(short)
        other = full_names.get(full)
        if other is not None and other != bureau:
            plan.rows.append(OrgRow(number, short, INVALID, errors=[RowError(number, "full_name", _(
                "%(full)s is already the full name of %(other)s.") % {"full": full, "other": other.short_name})]))
            continue
        if bureau is None:
            plan.rows.append(OrgRow(number, short, NEW))
            plan.create.append({**values, "programme": plan.programme})
            continue
        changes = [f"{k}: {getattr(bureau, k)} → {v}" for k, v in values.items() if getattr(bureau, k) != v]
        plan.rows.append(OrgRow(number, short, CHANGED if changes else UNCHANGED, changes))
        if changes:
            plan.update.append((bureau, values))
    return plan


def bureaus_import(*, actor, plan: OrgPlan) -> dict:
    check_importer(actor)
    _check_valid(plan)
    with transaction.atomic():
        for values in plan.create:
            bureau = Bureau(**values)
            bureau.save()  # the post_save signal creates the bureau's group
            audit_record(actor=actor, action="bureau.imported", target=bureau, message=_("Created by import."))
        for bureau, values in plan.update:
            for key, value in values.items():
                setattr(bureau, key, value)
            bureau.save()
            audit_record(actor=actor, action="bureau.imported", target=bureau, message=_("Updated by import."), data=_jsonable(values))
    return {"created": len(plan.create), "updated": len(plan.update)}


def _jsonable(values: dict) -> dict:
    return {k: (v if isinstance(v, (str, int, bool, type(None))) else str(v)) for k, v in values.items()}


def _check_valid(plan: OrgPlan) -> None:
    if not plan.is_valid:
        raise DomainError(_("The file has errors; nothing was imported."))


BUREAU_COLUMNS = ["short_name", "full_name", "full_name_confirmed", "order", "is_active"]


# --- nominee units -------------------------------------------------------------------------------------------

UNIT_COLUMNS = ["name", "kind", "parent", "full_name", "division_order", "is_active", "other_kinds"]


def plan_units(data: bytes, *, filename: str = "", byte_limit: int | None = None,
               programme: Programme | None = None) -> OrgPlan:
    """Units are keyed by (kind, name, district). Districts and other top-level units come first; a street's
    district may be an existing unit or one created by the same file."""
    plan = OrgPlan(kind="units", programme=programme)
    table = _read(plan, data, filename, ["name", "kind"], byte_limit)
    if table is None:
        return plan
    kinds = {}
    for code, name in UnitKind.objects.values_list("code", "name"):
        kinds[code.lower()] = code
        kinds[clean_name(name).lower()] = code
    top_level: dict[str, int] = {}  # name → id of an existing unit without a parent (districts)
    existing: dict[tuple[str, str, int | None], tuple] = {}
    for pk, kind_id, name, parent_id, full_name, order, active in Unit.objects.filter(programme=plan.programme).values_list(
            "pk", "kind_id", "name", "parent_id", "full_name", "division_order", "is_active"):
        existing[(kind_id, name, parent_id)] = (pk, full_name, order, active)
        if parent_id is None:
            top_level.setdefault(name, pk)
    file_top_level: set[str] = set()
    seen: dict[tuple, int] = {}
    has = set(table.header)
    parsed = []
    for number, row in table.rows:
        errors = []
        name = clean_name(row.get("name", ""))
        kind = kinds.get(clean_name(row.get("kind", "")).lower())
        parent = clean_name(row.get("parent", ""))
        if not name:
            errors.append(RowError(number, "name", _("A unit needs its name.")))
        if kind is None:
            errors.append(RowError(number, "kind", _("Unknown kind “%(value)s”.") % {"value": row.get("kind", "")}))
        errors += length_errors(number, [("name", name, Unit, "name"),
                                         ("full_name", clean_name(row.get("full_name", "")), Unit, "full_name")])
        order = row.get("division_order", "") or "1000"
        if _order(order) is None:
            errors.append(RowError(number, "division_order", _("“%(value)s” is not a whole number.") % {"value": order}))
        active = _boolean(row.get("is_active", ""), True)
        if active is None:
            errors.append(RowError(number, "is_active", _("“%(value)s” is not yes or no.") % {"value": row.get("is_active")}))
        if "other_kinds" in has:
            # The other kinds the unit also is (a hospital that is also a 定点医疗机构): the whole set, replaced.
            others = []
            for part in re.split(r"[、,，;；/]", row.get("other_kinds", "") or ""):
                if not part.strip():
                    continue
                other = kinds.get(clean_name(part).lower())
                if other is None:
                    errors.append(RowError(number, "other_kinds", _("Unknown kind “%(value)s”.") % {"value": part.strip()}))
                elif other != kind and other not in others:
                    others.append(other)
            plan.extra.setdefault("other_kinds", {})[(kind, name, parent)] = others
        key = (kind, name, parent)
        if key in seen:
            errors.append(RowError(number, "name", _("%(name)s appears twice (rows %(first)s and %(second)s).") % {
                "name": name, "first": seen[key], "second": number}))
        seen[key] = number
        if not parent and not errors:
            file_top_level.add(name)
        parsed.append((number, row, name, kind, parent, _order(order) or 0, active, errors))
    for number, row, name, kind, parent, order, active, errors in parsed:
        label = f"{parent}{name}" if parent else name
        if parent and parent not in top_level and parent not in file_top_level:
            errors.append(RowError(number, "parent", _("Unknown district “%(name)s”: it is neither in the database nor "
                                                       "on a row of this file.") % {"name": parent}))
        if errors:
            plan.rows.append(OrgRow(number, label, INVALID, errors=errors))
            continue
        parent_id = top_level.get(parent) if parent else None
        full_name = clean_name(row.get("full_name", "")) if "full_name" in has else None
        current = existing.get((kind, name, parent_id)) if (not parent or parent_id) else None
        if current is None:
            plan.rows.append(OrgRow(number, label, NEW))
            plan.create.append((name, kind, parent, full_name or "", order, active))
            continue
        pk, old_full, old_order, old_active = current
        changes = []
        if full_name is not None and full_name != old_full:
            changes.append(f"full_name: {old_full} → {full_name}")
        if "division_order" in has and order != old_order:
            changes.append(f"division_order: {old_order} → {order}")
        if "is_active" in has and active != old_active:
            changes.append(f"is_active: {old_active} → {active}")
        plan.rows.append(OrgRow(number, label, CHANGED if changes else UNCHANGED, changes))
        if changes:
            plan.update.append((pk, full_name if full_name is not None else old_full,
                                order if "division_order" in has else old_order, active if "is_active" in has else old_active))
    return plan


def units_import(*, actor, plan: OrgPlan, progress: Callable[[int, int], None] | None = None, batch_size: int = 2_000) -> dict:
    check_importer(actor)
    _check_valid(plan)
    total = len(plan.create) + len(plan.update)
    done = 0
    programme_id = plan.programme.pk
    with transaction.atomic():
        top = [row for row in plan.create if not row[2]]
        children = [row for row in plan.create if row[2]]
        try:
            for start in range(0, len(top), batch_size):
                batch = top[start:start + batch_size]
                Unit.objects.bulk_create([Unit(programme_id=programme_id, name=n, kind_id=k, full_name=f, division_order=o, is_active=a)
                                          for n, k, _p, f, o, a in batch])
                done += len(batch)
                if progress:
                    progress(done, total)
            parents: dict[str, int] = {}
            for name, pk in (Unit.objects.filter(programme_id=programme_id, parent__isnull=True).order_by("pk")
                             .values_list("name", "pk")):
                parents.setdefault(name, pk)
            for start in range(0, len(children), batch_size):
                batch = children[start:start + batch_size]
                Unit.objects.bulk_create([Unit(programme_id=programme_id, name=n, kind_id=k, parent_id=parents[p], full_name=f,
                                               division_order=o, is_active=a)
                                          for n, k, p, f, o, a in batch])
                done += len(batch)
                if progress:
                    progress(done, total)
            for start in range(0, len(plan.update), batch_size):
                batch = plan.update[start:start + batch_size]
                Unit.objects.bulk_update([Unit(pk=pk, programme_id=programme_id, full_name=f, division_order=o, is_active=a)
                                          for pk, f, o, a in batch],
                                         ["full_name", "division_order", "is_active"])
                done += len(batch)
                if progress:
                    progress(done, total)
            _other_kinds_apply(plan.extra.get("other_kinds", {}))
        except IntegrityError as error:
            raise DomainError(_("The units break a rule of the database: %(error)s") % {"error": error}) from None
        anchor = Unit.objects.order_by("-pk").first()
        if anchor is not None and total:
            audit_record(actor=actor, action="units.imported", target=anchor,
                         message=_("Imported %(created)s new and %(updated)s changed units.") % {
                             "created": len(plan.create), "updated": len(plan.update)},
                         data={"created": len(plan.create), "updated": len(plan.update)})
    return {"created": len(plan.create), "updated": len(plan.update)}


def _other_kinds_apply(wanted: dict[tuple, list[str]]) -> None:
    """Give each unit of the file exactly the other kinds its row lists (three queries, whatever the rows)."""
    if not wanted:
        return
    names = {name for _kind, name, _parent in wanted}
    units = {}
    for pk, kind_id, name, parent_name in (Unit.objects.filter(name__in=names)
                                           .values_list("pk", "kind_id", "name", "parent__name")):
        units[(kind_id, name, parent_name or "")] = pk
    through = Unit.other_kinds.through
    pks = [units[key] for key in wanted if key in units]
    through.objects.filter(unit_id__in=pks).delete()
    through.objects.bulk_create([through(unit_id=units[key], unitkind_id=other)
                                 for key, others in wanted.items() if key in units for other in others])


# --- user accounts -------------------------------------------------------------------------------------------

USER_COLUMNS = ["username", "first_name", "last_name", "email", "is_active", "role", "bureaus"]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def plan_users(data: bytes, *, filename: str = "", byte_limit: int | None = None,
               programme: Programme | None = None) -> OrgPlan:
    """One row per person. ``bureaus`` lists every bureau the person belongs to (separated by 、); ``role`` is
    bureau_staff, reviewer or administrator. A new account gets no usable password: an invitation with a one-time
    link to choose one is mailed to its address (``organisation.invitations.account_invite``)."""
    plan = OrgPlan(kind="users", programme=programme)
    table = _read(plan, data, filename, ["username"], byte_limit)
    if table is None:
        return plan
    User = get_user_model()
    has = set(table.header)
    matcher = BureauMatcher.for_programme(plan.programme)
    users = {u.username: u for u in User.objects.prefetch_related("memberships", "groups")}
    seen: dict[str, int] = {}
    for number, row in table.rows:
        errors = []
        username = row.get("username", "").strip()
        if not username or not re.fullmatch(r"[\w.@+-]{1,150}", username):
            errors.append(RowError(number, "username", _("“%(value)s” is not a valid username.") % {"value": username}))
        if username in seen:
            errors.append(RowError(number, "username", _("%(name)s appears twice (rows %(first)s and %(second)s).") % {
                "name": username, "first": seen[username], "second": number}))
        seen[username] = number
        email = row.get("email", "").strip()
        if email and not _EMAIL.match(email):
            errors.append(RowError(number, "email", _("“%(value)s” is not an e-mail address.") % {"value": email}))
        active = _boolean(row.get("is_active", ""), True)
        if active is None:
            errors.append(RowError(number, "is_active", _("“%(value)s” is not yes or no.") % {"value": row.get("is_active")}))
        role = None
        if row.get("role", "").strip():
            role = ROLE_WORDS.get(clean_name(row["role"]).lower().replace("_", " ")) or ROLE_WORDS.get(row["role"].strip())
            if role is None:
                errors.append(RowError(number, "role", _("Unknown role “%(value)s”: bureau_staff, reviewer or administrator.") % {"value": row["role"]}))
        bureaus = []
        if "bureaus" in has:
            for name in [p for p in re.split(r"[、,，;；]", row.get("bureaus", "")) if p.strip()]:
                bureau = matcher.match(name)
                if bureau is None:
                    errors.append(RowError(number, "bureaus", matcher.unknown_message(name)))
                elif bureau.pk not in bureaus:
                    bureaus.append(bureau.pk)
        errors += length_errors(number, [(column, row.get(column, "").strip(), User, column)
                                         for column in ("first_name", "last_name", "email") if column in has])
        if errors:
            plan.rows.append(OrgRow(number, username, INVALID, errors=errors))
            continue
        values = {k: row.get(k, "").strip() for k in ("first_name", "last_name") if k in has}
        if "email" in has:
            values["email"] = email
        if "is_active" in has:
            values["is_active"] = active
        wanted = {"values": values, "role": role, "bureaus": bureaus if "bureaus" in has else None}
        user = users.get(username)
        if user is None:
            plan.rows.append(OrgRow(number, username, NEW))
            plan.create.append((username, wanted))
            continue
        changes = [f"{k}: {getattr(user, k)} → {v}" for k, v in values.items() if getattr(user, k) != v]
        if role and role not in {g.name for g in user.groups.all()}:
            changes.append(f"role → {role}")
        if wanted["bureaus"] is not None and sorted(m.bureau_id for m in user.memberships.all()) != sorted(bureaus):
            changes.append("bureaus changed")
        plan.rows.append(OrgRow(number, username, CHANGED if changes else UNCHANGED, changes))
        if changes:
            plan.update.append((user, wanted))
    return plan


def users_import(*, actor, plan: OrgPlan) -> dict:
    check_importer(actor)
    _check_valid(plan)
    User = get_user_model()
    invited = 0
    with transaction.atomic():
        role_groups = {name: Group.objects.get_or_create(name=name)[0] for name in roles.ROLE_LABELS}
        for username, wanted in plan.create:
            user = User(username=username, **wanted["values"])
            user.set_unusable_password()
            user.save()
            _apply_user(user, wanted, role_groups)
            audit_record(actor=actor, action="user.imported", target=user, message=_("Created by import."))
            if user.email and user.is_active:
                account_invite(actor=actor, user=user)
                invited += 1
        for user, wanted in plan.update:
            for key, value in wanted["values"].items():
                setattr(user, key, value)
            user.save()
            _apply_user(user, wanted, role_groups)
            audit_record(actor=actor, action="user.imported", target=user, message=_("Updated by import."))
    return {"created": len(plan.create), "updated": len(plan.update), "invited": invited}


def _apply_user(user, wanted: dict, role_groups: dict) -> None:
    if wanted["role"]:
        user.groups.remove(*[g for name, g in role_groups.items() if name != wanted["role"]])
        user.groups.add(role_groups[wanted["role"]])
    if wanted["bureaus"] is not None:
        current = set(Membership.objects.filter(user=user).values_list("bureau_id", flat=True))
        for membership in Membership.objects.filter(user=user).exclude(bureau_id__in=wanted["bureaus"]):
            membership.delete()  # post_delete keeps the bureau groups in step
        for bureau_id in wanted["bureaus"]:
            if bureau_id not in current:
                Membership.objects.create(user=user, bureau_id=bureau_id)


# The one import path of each kind: (plan the file, apply the plan, the columns it reads).
IMPORTERS: dict[str, tuple[Callable[..., OrgPlan], Callable[..., dict], list[str]]] = {
    "bureaus": (plan_bureaus, bureaus_import, BUREAU_COLUMNS),
    "units": (plan_units, units_import, UNIT_COLUMNS),
    "users": (plan_users, users_import, USER_COLUMNS),
}
