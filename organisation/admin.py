from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import UsernameField
from django.http import HttpResponseRedirect
from django.utils.dateparse import parse_date
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from incentives import params
from incentives.crypto import mask_email
from incentives.errors import DomainError

from . import audit_labels, roles, services
from .admin_mixins import LargeTableAdminMixin, ReadOnlyAdminMixin
from .audit import audit_entries_filtered, audit_entries_searched
from .invitations import account_invite
from .models import (
    AuditEntry,
    Bureau,
    Membership,
    Notification,
    OutboxMessage,
    Programme,
    ProgrammeMessaging,
    Unit,
    UnitKind,
)
from .outbox import message_kind_label
from .permissions import permission_label
from .roles import ROLE_LABELS

# The site these register on, and who may enter it: security.admin_site (the project's admin.site).
# People, bureaus and units are registered once, by measures.admin: their final pages add the rules of accounts
# (security.admin_mixins) and the spreadsheet import and export, which read every kind of file the catalogue's
# import reads (measures.importing). Their pages' own behaviour is defined here.

User = get_user_model()


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["bureau"]
    fields = ["bureau", "is_leader"]
    verbose_name = _("bureau membership")
    verbose_name_plural = _("bureau memberships")  # else Django writes the singular with an "s" (部门成员S)


def group_label(group) -> str:
    """A group as people name it: a role by its label, a bureau's group by the bureau's name (never its key
    ``bureau:<id>``)."""
    if group.name in ROLE_LABELS:
        return str(ROLE_LABELS[group.name])
    bureau = getattr(group, "bureau", None)
    return gettext("Bureau %(bureau)s") % {"bureau": bureau} if bureau is not None else group.name


class RoleListFilter(admin.SimpleListFilter):
    """People by role, the roles named in words (the stock filter lists the groups' keys)."""

    title = _("Roles")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [(name, label) for name, label in ROLE_LABELS.items()]

    def queryset(self, request, queryset):
        return queryset.filter(groups__name=self.value()).distinct() if self.value() in ROLE_LABELS else queryset


class InvitedUserCreationForm(forms.ModelForm):
    """A new account has no password: its owner chooses one from the invitation mailed to them."""

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email"]
        field_classes = {"username": UsernameField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = _("The invitation to choose a password is sent to this address.")

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


class PersonAdmin(UserAdmin):
    """The page of people (registered by measures.admin, with the rules of accounts and the spreadsheets)."""

    inlines = [MembershipInline]
    add_form = InvitedUserCreationForm
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "first_name", "last_name", "email")}),)
    list_display = ["username", "first_name", "email", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", RoleListFilter, "memberships__bureau"]
    filter_horizontal = ()
    # Rights come from roles only (三员分立): no form offers superuser status, staff status (it follows the
    # administrator roles: organisation.signals) or personal permissions; a POST that carries them is refused
    # (``changeform_view``). Roles and memberships are saved through organisation.services.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Roles"), {"fields": ("is_active", "groups", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ["is_staff", "is_superuser"]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST":
            forged = [name for name in services.RIGHTS_NOT_ON_FORMS if any(request.POST.getlist(name))]
            if forged:
                person = self.get_object(request, unquote(object_id)) if object_id else None
                message = services.account_change_refused(actor=request.user, user=person, fields=forged)
                self.message_user(request, message, messages.ERROR)
                return HttpResponseRedirect(request.get_full_path())
        return super().changeform_view(request, object_id, form_url, extra_context)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            # Roles only: a bureau's group is not chosen here, it follows the memberships below.
            kwargs["queryset"] = db_field.remote_field.model.objects.filter(name__in=ROLE_LABELS)
            kwargs["widget"] = forms.CheckboxSelectMultiple  # a few roles: boxes, not the two-list chooser
            field = super().formfield_for_manytomany(db_field, request, **kwargs)
            field.label_from_instance = group_label
            return field
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        # Roles and memberships change rights: both go through the services, which record them.
        role_groups = form.cleaned_data.pop("groups", None)
        super().save_related(request, form, formsets, change)
        if role_groups is not None:
            services.user_roles_set(actor=request.user, user=form.instance, role_names=[g.name for g in role_groups])
        if not change:
            try:
                account_invite(actor=request.user, user=form.instance)
            except DomainError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                self.message_user(request, _("An invitation to choose a password was sent to %(email)s.") % {
                    "email": form.instance.email}, messages.SUCCESS)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        memberships = formset.save(commit=False)
        for membership in formset.deleted_objects:
            services.membership_remove(actor=request.user, membership=membership)
        for membership in memberships:
            if membership.pk is None:
                services.membership_add(actor=request.user, user=form.instance, bureau=membership.bureau,
                                        is_leader=membership.is_leader)
            else:
                services.membership_change(actor=request.user, membership=membership, bureau=membership.bureau,
                                           is_leader=membership.is_leader)


class RoleGroupAdmin(GroupAdmin):
    """Registered by measures.admin in place of the stock page of groups. Groups are the code's: the role groups
    and their permissions are defined by ``organisation.permissions.role_groups_sync`` (run by every migrate), a
    bureau's group follows the bureau. The page shows them; nobody adds, renames, deletes or gives permissions to
    one here (a security administrator could otherwise give their own role the audit trail)."""

    fields = ["shown_name", "shown_permissions"]
    readonly_fields = ["shown_name", "shown_permissions"]
    list_display = ["shown_name"]
    filter_horizontal = ()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("bureau")

    @admin.display(description=_("name"))
    def shown_name(self, group) -> str:
        return group_label(group)

    @admin.display(description=_("permissions"))
    def shown_permissions(self, group):
        """Each permission in the person's language (``permission_label``), by application and model."""
        held = group.permissions.select_related("content_type").order_by("content_type__app_label",
                                                                           "content_type__model", "codename")
        labels = [f"{apps.get_app_config(p.content_type.app_label).verbose_name}｜{permission_label(p)}"
                  for p in held]
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((label,) for label in labels))) \
            if labels else "—"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ProgrammeMessagingInline(admin.StackedInline):
    """The programme's work-messaging apps (企业微信/粤政易, 钉钉/浙政钉): ids, API host, and the name of the
    environment variable that holds each secret (``organisation.channels``)."""

    model = ProgrammeMessaging
    extra = 0
    max_num = 1
    can_delete = True


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    """Programmes are created and changed through ``organisation.services`` (audited); the default one is
    Guangzhou's and stays so."""

    inlines = [ProgrammeMessagingInline]
    list_display = ["name", "shown_code", "government", "level", "is_default"]
    search_fields = ["code", "name", "government"]
    filter_horizontal = ["reviewers"]
    # The finance bureau is one of the programme's bureaus (a province has 2,000): typed by id, with its name shown
    # beside it, rather than a <select> of them all. Autocomplete cannot keep to the programme's own bureaus.
    raw_id_fields = ["finance_bureau"]
    fields = ["code", "name", "government", "level", "general_office", "bureau_prefix", "place_name", "issuer_mark",
              "number_prefix", "addressees", "copies_to", "printing_office", "bulletin_procedure", "bulletin_closing",
              "finance_bureau", "sign_off_required", "reviewers"]

    @admin.display(description=_("code"), ordering="code")
    def shown_code(self, programme):
        return format_html("<code>{}</code>", programme.code)  # in addresses and commands, not a word

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "reviewers":
            # Only holders of the reviewer role may be listed (``services.programme_reviewers_set``): the choice
            # offers them, not every account of the deployment (the system administrator, who keeps programmes,
            # may not search the accounts, so no autocomplete).
            kwargs["queryset"] = get_user_model().objects.filter(groups__name=roles.REVIEWER).order_by("username")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "finance_bureau" in form.base_fields:  # one of the programme's own bureaus (none before it exists)
            form.base_fields["finance_bureau"].queryset = Bureau.objects.filter(programme=obj) if obj else Bureau.objects.none()
        return form

    def has_delete_permission(self, request, obj=None):
        return False  # everything of a programme hangs on it (PROTECT)

    def save_model(self, request, obj, form, change):
        values = {field: form.cleaned_data[field] for field in services.PROGRAMME_FIELDS if field in form.cleaned_data}
        # The form has validated the fields (the model's full_clean): the services only repeat it.
        if change:
            values.pop("code", None)
            saved = services.programme_change(actor=request.user, programme=obj, **values)
        else:
            saved = services.programme_create(actor=request.user, **values)
        obj.pk = saved.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        services.programme_reviewers_set(actor=request.user, programme=form.instance,
                                         users=form.cleaned_data.get("reviewers", []))
        for formset in formsets:  # the work-messaging inline, through its service (audited)
            for messaging in formset.save(commit=False):
                messaging.programme = form.instance
                services.programme_messaging_save(actor=request.user, messaging=messaging)
            for messaging in formset.deleted_objects:
                services.programme_messaging_save(actor=request.user, messaging=messaging, delete=True)


class BureauAdmin(admin.ModelAdmin):
    """Registered by measures.admin, with the spreadsheets."""

    list_display = ["short_name", "full_name", "programme", "full_name_confirmed", "order", "is_active"]
    list_filter = ["programme", "full_name_confirmed", "is_active"]
    search_fields = ["short_name", "full_name"]
    ordering = ["order", "short_name"]


@admin.register(UnitKind)
class UnitKindAdmin(admin.ModelAdmin):
    list_display = ["shown_code", "name", "order"]

    @admin.display(description=_("code"), ordering="code")
    def shown_code(self, kind):
        return format_html("<code>{}</code>", kind.code)  # a code the import reads, not a word
    search_fields = ["code", "name"]


class PlainActionCheckboxMixin:
    """The rows' selection boxes written directly, the same markup as Django's: the stock column renders a form
    widget through the template engine for every row, a sixth of a long changelist's time."""

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj):
        return format_html('<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
                           helpers.ACTION_CHECKBOX_NAME, obj.pk,
                           format_html(gettext("Select this object for an action - {}"), str(obj)))


class DistrictListFilter(admin.SimpleListFilter):
    """The units of one district, the districts listed in one query. The stock filter on ``parent`` lists every
    unit that could be a parent, each printed with ``Unit.__str__`` (a street reads its district): one query per
    street at scale."""

    title = _("district")
    parameter_name = "parent__id__exact"

    def lookups(self, request, model_admin):
        return list(Unit.objects.filter(kind_id=UnitKind.DISTRICT).order_by("division_order", "name")
                    .values_list("pk", "name"))

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        unit_id = params.int_from(value)
        if unit_id is None:  # a hand-typed value: no unit, not an error page
            return queryset.none()
        return queryset.filter(parent_id=unit_id)


class UnitAdmin(PlainActionCheckboxMixin, LargeTableAdminMixin, admin.ModelAdmin):
    """Registered by measures.admin, with the spreadsheets."""

    list_display = ["name", "full_name", "kind", "parent", "programme", "division_order", "is_active"]
    list_filter = ["programme", "kind", "is_active", DistrictListFilter]
    # Everything list_display prints: the parent's own parent too, as a street's name reads its district's.
    list_select_related = ["kind", "parent__parent", "programme"]
    search_fields = ["name", "full_name"]
    autocomplete_fields = ["parent", "merged_into"]
    filter_horizontal = ["other_kinds"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "bureau", "is_leader", "created_at"]
    list_filter = ["is_leader", "bureau"]
    list_select_related = ["user", "bureau"]
    search_fields = ["user__username", "user__first_name", "bureau__short_name"]
    autocomplete_fields = ["user", "bureau"]

    def save_model(self, request, obj, form, change):
        if change:
            services.membership_change(actor=request.user, membership=obj, bureau=obj.bureau)
        else:
            obj.pk = services.membership_add(actor=request.user, user=obj.user, bureau=obj.bureau).pk

    def delete_model(self, request, obj):
        services.membership_remove(actor=request.user, membership=obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user", "bureau"):
            services.membership_remove(actor=request.user, membership=membership)


class AuditDateRangeFilter(admin.ListFilter):
    """From one Beijing date to another (both included), in place of the date hierarchy, whose links are built
    from the dates of every record (a scan of the whole trail). A date that is not one is ignored."""

    title = _("date range")
    template = "admin/organisation/date_range_filter.html"
    parameters = ("at_from", "at_to")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.dates = {}
        for name in self.parameters:
            if name in params:
                values = params.pop(name)
                raw = values[-1] if isinstance(values, list) else values
                self.used_parameters[name] = raw
                try:
                    self.dates[name] = parse_date(raw.strip())
                except ValueError:  # well formed, but no such day (2026-02-30)
                    self.dates[name] = None

    def has_output(self):
        return True

    def value(self, name):
        return self.dates.get(name)

    def choices(self, changelist):
        yield {
            "from": self.used_parameters.get("at_from", ""),
            "to": self.used_parameters.get("at_to", ""),
            "hidden": [(key, value) for key, value in changelist.params.items() if key not in self.parameters],
            "clear_query_string": changelist.get_query_string(remove=list(self.parameters)),
        }

    def queryset(self, request, queryset):
        return audit_entries_filtered(queryset, since=self.value("at_from"), until=self.value("at_to"))

    def expected_parameters(self):
        return list(self.parameters)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, LargeTableAdminMixin, admin.ModelAdmin):
    """The audit trail is read-only, even for administrators, and is read by the audit administrator only
    (三员分立: the system administrator has no ``view_auditentry``).

    Built for a trail of millions: no full count (``show_full_result_count``, ``CappedPaginator``, no facets), a
    date range instead of the date hierarchy, and a search answered by the indexes (see
    ``organisation.audit.audit_entries_filtered``): a number finds an object's id, anything else a person (user
    name, given name, or the account name of a failed sign-in) or a part of an object's name."""

    list_display = ["at", "actor", "action", "target_type", "target_id", "target_repr"]
    list_filter = ["action", "target_type", AuditDateRangeFilter]
    list_select_related = ["actor", "target_type"]
    search_fields = ["target_repr"]  # shows the search box; the search itself is get_search_results'
    search_help_text = _("A user name, a part of an object's name, or an object's id")

    def get_search_results(self, request, queryset, search_term):
        return audit_entries_searched(queryset, search_term), False

    def get_fields(self, request, obj=None):
        return [("shown_data" if name == "data" else name) for name in super().get_fields(request, obj)]

    @admin.display(description=_("details"))
    def shown_data(self, entry):
        """The record's data as the audit trail shows it: labelled values, never the stored dictionary."""
        pairs = audit_labels.details(entry.data)
        rows = format_html_join("", "<tr><th scope=\"row\">{}</th><td>{}</td></tr>", pairs)
        return format_html("<table>{}</table>", rows) if pairs else "—"


# --- The outbox and notifications ----------------------------------------------------------------------------


class MessageKindFilter(admin.SimpleListFilter):
    """The kinds of message present, by their words (``organisation.outbox.message_kind_label``)."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        kinds = model_admin.get_queryset(request).order_by("kind").values_list("kind", flat=True).distinct()
        return [(kind, message_kind_label(kind)) for kind in kinds]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class MessageKindMixin:
    @admin.display(description=_("kind"), ordering="kind")
    def shown_kind(self, obj) -> str:
        return message_kind_label(obj.kind)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(MessageKindMixin, admin.ModelAdmin):
    """Every recorded e-mail: what was sent, to whom, and what failed (with the last error)."""

    list_display = ["created_at", "shown_kind", "recipient", "shown_email", "subject", "status", "attempts", "sent_at",
                    "next_attempt_at"]
    list_filter = ["status", MessageKindFilter]
    list_select_related = ["recipient"]
    # Not the address itself: a message without an account is an objector's, whose address is personal data.
    search_fields = ["recipient__username", "recipient__email", "subject", "last_error", "key"]
    date_hierarchy = "created_at"
    actions = ["send_again"]
    readonly_fields = [field.name for field in OutboxMessage._meta.fields] + ["shown_email", "shown_kind"]
    PERSONAL = ("email", "body_text", "body_html")

    @admin.display(description=_("e-mail address"))
    def shown_email(self, message):
        """An objector's address (a message without an account) masked; the staff's as it is."""
        return mask_email(message.email) if message.recipient_id is None else message.email

    def get_fields(self, request, obj=None):
        fields = ["shown_kind" if field.name == "kind" else field.name for field in OutboxMessage._meta.fields]
        if obj is not None and obj.recipient_id is None:
            # An objector's letter carries their name and address: not the administrators' to read.
            fields = [name for name in fields if name not in self.PERSONAL]
            fields.insert(fields.index("subject"), "shown_email")
        return fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send the selected failed messages again"))
    def send_again(self, request, queryset):
        ids = services.outbox_retry(actor=request.user, messages=list(queryset))
        self.message_user(request, _("%(count)d message(s) queued again.") % {"count": len(ids)})


@admin.register(Notification)
class NotificationAdmin(MessageKindMixin, admin.ModelAdmin):
    list_display = ["created_at", "user", "shown_kind", "title", "read_at"]
    list_filter = [MessageKindFilter]
    list_select_related = ["user"]
    search_fields = ["user__username", "title"]
    raw_id_fields = ["user", "message"]
