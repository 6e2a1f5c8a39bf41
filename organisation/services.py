"""Every change to memberships, roles and the outbox made by a person: one function per change, which checks who
acts, writes in one transaction together with its audit record, and queues work on commit.

The admin calls these (``organisation.admin``), so a change made there leaves the same trace as any other."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incentives.errors import DomainError, PermissionDeniedError

from . import roles
from .audit import AuditAction, audit_record
from .models import Membership, OutboxMessage, Programme
from .tasks import outbox_queue


def _require_administrator(actor) -> None:
    if not roles.is_administrator(actor):
        raise PermissionDeniedError(_("Only an administrator can do this."))


def _require_security_administrator(actor) -> None:
    if not roles.is_security_administrator(actor):
        raise PermissionDeniedError(_("Only the security administrator can change accounts, roles and memberships."))


def membership_add(*, actor, user, bureau, is_leader: bool = False) -> Membership:
    """Make ``user`` a member of ``bureau`` (their rights follow at once: organisation.signals), its leader when
    ``is_leader`` (who signs off the bureau's lists: ``organisation.roles.leads_bureau``)."""
    _require_security_administrator(actor)
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(user=user, bureau=bureau,
                                                               defaults={"is_leader": is_leader})
        if created:
            audit_record(actor=actor, action=AuditAction.MEMBERSHIP_ADDED, target=user,
                         message=str(bureau), data={"bureau": bureau.pk, "user": user.pk, "is_leader": is_leader})
        elif membership.is_leader != is_leader:
            _leader_set(actor=actor, membership=membership, is_leader=is_leader)
    return membership


def _leader_set(*, actor, membership: Membership, is_leader: bool) -> None:
    """Make the member the bureau's leader, or no longer (a role per bureau: ``organisation.roles``)."""
    Membership.objects.filter(pk=membership.pk).update(is_leader=is_leader)
    membership.is_leader = is_leader
    audit_record(actor=actor, action=AuditAction.ROLE_GRANTED if is_leader else AuditAction.ROLE_REVOKED,
                 target=membership.user, message=_("Leader of %(bureau)s") % {"bureau": membership.bureau},
                 data={"role": roles.BUREAU_LEADER, "bureau": membership.bureau_id, "user": membership.user_id})


def membership_remove(*, actor, membership: Membership) -> None:
    _require_security_administrator(actor)
    with transaction.atomic():
        user, bureau = membership.user, membership.bureau
        if membership.pk is not None:
            membership.delete()
        audit_record(actor=actor, action=AuditAction.MEMBERSHIP_REMOVED, target=user,
                     message=str(bureau), data={"bureau": bureau.pk, "user": user.pk})


def membership_change(*, actor, membership: Membership, bureau, is_leader: bool | None = None) -> Membership:
    """Move a membership to another bureau (the admin's change form): a removal and an addition; or make the
    member the bureau's leader, or no longer."""
    _require_security_administrator(actor)
    with transaction.atomic():
        old = Membership.objects.select_related("user", "bureau").get(pk=membership.pk)
        is_leader = old.is_leader if is_leader is None else is_leader
        if old.bureau_id == bureau.pk:
            if old.is_leader != is_leader:
                _leader_set(actor=actor, membership=old, is_leader=is_leader)
            return old
        membership_remove(actor=actor, membership=old)
        return membership_add(actor=actor, user=old.user, bureau=bureau, is_leader=is_leader)


def user_roles_set(*, actor, user, role_names) -> set[str]:
    """Give ``user`` exactly the roles ``role_names`` (bureau groups are left to memberships). Returns the roles.

    Roles are the security administrator's (三员分立); nobody holds two administrator roles."""
    _require_security_administrator(actor)
    wanted = set(role_names)
    unknown = wanted - set(roles.ROLE_LABELS)
    if unknown:
        raise DomainError(_("Unknown role: %(role)s") % {"role": "、".join(sorted(unknown))}, field="groups")
    try:
        roles.check_roles_exclusive(wanted)
    except ValidationError as error:
        raise DomainError(error.messages[0], field="groups") from None
    with transaction.atomic():
        current = set(user.groups.filter(name__in=roles.ROLE_LABELS).values_list("name", flat=True))
        if current == wanted:
            return current
        try:
            roles.check_no_role_for_superuser(user, wanted - current)
        except ValidationError as error:
            raise DomainError(error.messages[0], field="groups") from None
        groups = {g.name: g for g in Group.objects.filter(name__in=roles.ROLE_LABELS)}
        user.groups.remove(*[groups[name] for name in current - wanted if name in groups])
        user.groups.add(*[groups[name] for name in wanted - current if name in groups])
        audit_record(actor=actor, action=AuditAction.ROLES_CHANGED, target=user,
                     message="、".join(str(roles.ROLE_LABELS[n]) for n in sorted(wanted)),
                     data={"added": sorted(wanted - current), "removed": sorted(current - wanted)})
    return wanted


# Rights come from roles only: no form sets these (organisation.admin.PersonAdmin), and a request that tries is
# refused and recorded.
RIGHTS_NOT_ON_FORMS = ("is_superuser", "is_staff", "user_permissions")


def account_change_refused(*, actor, user, fields) -> str:
    """Record that ``actor`` tried to set ``fields`` (of ``RIGHTS_NOT_ON_FORMS``) on ``user`` (None: a new
    account) and nothing was saved. Returns the message that tells them why."""
    target = user if user is not None else ContentType.objects.get_for_model(get_user_model())
    with transaction.atomic():
        audit_record(actor=actor, action=AuditAction.ACCOUNT_CHANGE_REFUSED, target=target,
                     message="Superuser status, staff status and personal permissions are not set by hand.",
                     data={"fields": sorted(fields)})
    return _("Nothing was saved: superuser status, staff status and personal permissions are not given on this "
             "page. Rights come from roles only: choose the person's roles (the administrator roles give access "
             "to the admin).")


def data_export_record(*, actor, what: str, target, file_format: str = "", rows: int | None = None) -> None:
    """Record that ``actor`` exported ``what`` (of ``target``: a cycle, a programme, a document, or a model's
    ContentType for a whole table) as ``file_format``, ``rows`` rows. The page that exports has asked the door;
    the audit trail's own export and the review queue's are recorded by their services."""
    with transaction.atomic():
        audit_record(actor=actor, action=AuditAction.DATA_EXPORTED, target=target, message=what,
                     data={"what": what, "format": file_format, "rows": rows})


def outbox_retry(*, actor, messages) -> list[int]:
    """An administrator sends failed messages again: they go back to pending, due now. Returns their ids."""
    _require_administrator(actor)
    ids = []
    with transaction.atomic():
        for message in OutboxMessage.objects.select_for_update().filter(
                pk__in=[m.pk for m in messages], status=OutboxMessage.Status.FAILED):
            message.status = OutboxMessage.Status.PENDING
            message.attempts = 0
            message.next_attempt_at = timezone.now()
            message.save(update_fields=["status", "attempts", "next_attempt_at"])
            audit_record(actor=actor, action=AuditAction.MESSAGE_RETRIED, target=message,
                         data={"last_error": message.last_error})
            ids.append(message.pk)
        transaction.on_commit(lambda: outbox_queue(ids))
    return ids


# --- programmes -------------------------------------------------------------------------------------------------

PROGRAMME_FIELDS = ("code", "name", "government", "level", "general_office", "bureau_prefix", "place_name",
                    "issuer_mark", "number_prefix", "addressees", "copies_to", "printing_office",
                    "bulletin_procedure", "bulletin_closing", "finance_bureau", "sign_off_required")


def _require_programme_keeper(actor) -> None:
    """Programmes are kept by the system administrator; ``actor=None`` is the command line."""
    if actor is not None and not roles.is_administrator(actor):
        raise PermissionDeniedError(_("Only an administrator can create or change a programme."))


def _programme_validate(programme: Programme) -> None:
    if programme.finance_bureau_id is not None and (
            programme.pk is None or programme.finance_bureau.programme_id != programme.pk):
        raise DomainError(_("The finance bureau must be one of the programme's own bureaus."), field="finance_bureau")
    try:
        programme.full_clean(validate_unique=True)
    except ValidationError as error:
        messages = [f"{field}: {'; '.join(texts)}" if field != "__all__" else "; ".join(texts)
                    for field, texts in error.message_dict.items()]
        raise DomainError(" ".join(messages)) from None


def programme_create(*, actor, **fields) -> Programme:
    """Create a programme (never the default one: Guangzhou's is). Every field of ``PROGRAMME_FIELDS`` may be
    given; the bulletin's texts default to empty."""
    _require_programme_keeper(actor)
    unknown = sorted(set(fields) - set(PROGRAMME_FIELDS))
    if unknown:
        raise DomainError(_("Unknown programme fields: %(fields)s.") % {"fields": ", ".join(unknown)})
    programme = Programme(**fields, is_default=False)
    _programme_validate(programme)
    with transaction.atomic():
        programme.save()
        audit_record(actor=actor, action=AuditAction.PROGRAMME_CREATED, target=programme,
                     message=_("Programme %(code)s created.") % {"code": programme.code},
                     data={field: getattr(programme, field) for field in ("code", "name", "government", "level")})
    return programme


def programme_change(*, actor, programme: Programme, **fields) -> Programme:
    """Change a programme's texts (its code stays: URLs and commands carry it)."""
    _require_programme_keeper(actor)
    unknown = sorted(set(fields) - set(PROGRAMME_FIELDS) - {"code"})
    if unknown:
        raise DomainError(_("Unknown programme fields: %(fields)s.") % {"fields": ", ".join(unknown)})
    with transaction.atomic():
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        if "code" in fields and fields["code"] != programme.code:
            raise DomainError(_("A programme's code does not change: URLs and commands carry it."), field="code")
        before = {field: getattr(programme, field) for field in fields}
        for field, value in fields.items():
            setattr(programme, field, value)
        _programme_validate(programme)
        changed = {field: value for field, value in fields.items() if before[field] != value}
        if not changed:
            return programme
        programme.save(update_fields=list(changed))
        audit_record(actor=actor, action=AuditAction.PROGRAMME_CHANGED, target=programme,
                     message=_("Changed: %(fields)s.") % {"fields": ", ".join(sorted(changed))},
                     data={"changed": sorted(changed)})
    return programme


def programme_reviewers_set(*, actor, programme: Programme, users) -> None:
    """The General Office reviewers of a programme: each must hold the reviewer role."""
    _require_programme_keeper(actor)
    users = list(users)
    not_reviewers = [str(user) for user in users if not roles.is_reviewer(user)]
    if not_reviewers:
        raise DomainError(_("Not reviewers: %(names)s. Give them the reviewer role first.")
                          % {"names": "、".join(not_reviewers)}, field="reviewers")
    with transaction.atomic():
        before = set(programme.reviewers.values_list("pk", flat=True))
        wanted = {user.pk for user in users}
        if before == wanted:
            return
        programme.reviewers.set(users)
        audit_record(actor=actor, action=AuditAction.PROGRAMME_REVIEWERS_CHANGED, target=programme,
                     message=_("Reviewers: %(names)s.") % {"names": "、".join(sorted(u.username for u in users)) or "—"},
                     data={"added": sorted(wanted - before), "removed": sorted(before - wanted)})


# --- personal data: the key ring (organisation.crypto) ----------------------------------------------------------


def personal_data_key_rotate(*, batch: int = 500) -> dict[str, dict]:
    """Encrypt again, with the current key of ``PERSONAL_DATA_KEYS``, every encrypted value written with another
    key (run after a new key was put first in the ring; afterwards the old key can leave the ring). Each model's
    rows are rewritten a batch at a time, each batch in its own transaction, and the model's audit record says
    how many values moved from which key. Returns ``{model label: {"rows": n, "from": {key id: values}}}``.
    A value whose key is not in the ring stops it with ``PersonalDataKeyError`` naming the key."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import TextField
    from django.db.models.functions import Cast

    from incentives import crypto

    current = crypto.current_key().id
    outcome: dict[str, dict] = {}
    by_model: dict = {}
    for model, field in crypto.encrypted_fields():
        by_model.setdefault(model, []).append(field)
    for model, fields in by_model.items():
        raw = {f"raw_{f.name}": Cast(f.name, TextField()) for f in fields}  # the stored text, not decrypted
        stale = []
        moved: dict[str, int] = {}
        for row in model._base_manager.annotate(**raw).values("pk", *raw).order_by("pk").iterator(chunk_size=batch):
            old = {f.name: crypto.key_id_of(row[f"raw_{f.name}"] or "") for f in fields}
            if any(key not in (None, current) for key in old.values()):
                stale.append(row["pk"])
                for key in old.values():
                    if key not in (None, current):
                        moved[key] = moved.get(key, 0) + 1
        rewritten = 0
        for start in range(0, len(stale), batch):
            with transaction.atomic():
                for obj in model._base_manager.select_for_update().filter(pk__in=stale[start:start + batch]):
                    # Read (decrypted with its own key), written back (encrypted with the current one).
                    model._base_manager.filter(pk=obj.pk).update(**{f.name: str(getattr(obj, f.name) or "")
                                                                     for f in fields})
                    rewritten += 1
        with transaction.atomic():
            audit_record(actor=None, action=AuditAction.PERSONAL_DATA_KEY_ROTATED,
                         target=ContentType.objects.get_for_model(model),
                         message=f"{rewritten} row(s) of {model._meta.label} encrypted again with the key {current}",
                         data={"model": model._meta.label, "key": current, "rows": rewritten, "from": moved})
        outcome[model._meta.label] = {"rows": rewritten, "from": moved}
    return outcome


def messaging_profile_set(*, actor, channel: str, wecom_user_id: str = "", dingtalk_user_id: str = ""):
    """A person chooses how the application's messages reach them (``organisation.channels``): e-mail, or their
    programme's WeCom or DingTalk work notifications, with their id there. Their own choice only."""
    from .models import Channel, MessagingProfile, ProgrammeMessaging

    if not (actor.is_authenticated and actor.is_active):
        raise PermissionDeniedError(_("Sign in to choose how messages reach you."))
    if channel not in Channel.values:
        raise DomainError(_("Choose e-mail, WeCom or DingTalk."), field="channel")
    ids = {"wecom_user_id": (wecom_user_id or "").strip()[:64], "dingtalk_user_id": (dingtalk_user_id or "").strip()[:64]}
    if channel != Channel.EMAIL:
        from . import channels

        programme = channels.programme_of(actor)
        apps = ProgrammeMessaging.objects.filter(programme=programme).first() if programme else None
        if apps is None or not apps.offers(channel):
            raise DomainError(_("Your programme does not send messages by %(channel)s.")
                              % {"channel": Channel(channel).label}, field="channel")
        field = "wecom_user_id" if channel == Channel.WECOM else "dingtalk_user_id"
        if not ids[field]:
            raise DomainError(_("Give your id in %(channel)s.") % {"channel": Channel(channel).label}, field=field)
    with transaction.atomic():
        profile, _created = MessagingProfile.objects.select_for_update().get_or_create(user=actor)
        before = {"channel": profile.channel, "wecom_user_id": profile.wecom_user_id,
                  "dingtalk_user_id": profile.dingtalk_user_id}
        profile.channel = channel
        profile.wecom_user_id, profile.dingtalk_user_id = ids["wecom_user_id"], ids["dingtalk_user_id"]
        profile.save()
        audit_record(actor=actor, action=AuditAction.MESSAGE_CHANNEL_CHOSEN, target=actor,
                     message=str(Channel(channel).label), data={"before": before, "after": {"channel": channel, **ids}})
    return profile


def programme_messaging_save(*, actor, messaging, delete: bool = False) -> None:
    """Save (or remove) a programme's work-messaging settings (``organisation.channels``), audited as a change of
    the programme. The secrets themselves stay in the environment: only the variables' names are stored."""
    _require_programme_keeper(actor)
    fields = ["wecom_corp_id", "wecom_agent_id", "wecom_secret_env", "wecom_api_url", "dingtalk_agent_id",
              "dingtalk_app_key", "dingtalk_secret_env", "dingtalk_api_url"]
    with transaction.atomic():
        if delete:
            messaging.delete()
        else:
            messaging.save()
        audit_record(actor=actor, action=AuditAction.PROGRAMME_CHANGED, target=messaging.programme,
                     message=_("Work messaging removed") if delete else _("Work messaging set"),
                     data={"messaging": None if delete else {name: getattr(messaging, name) for name in fields}})
