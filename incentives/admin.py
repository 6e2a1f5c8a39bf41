from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UsernameField
from django.utils.translation import gettext_lazy as _

from .errors import DomainError
from .invitations import account_invite
from .models import AuditEntry, Bureau, Membership, Unit, UnitKind

# Import/export of bureaus, units and people (administrators only; see measures.resources).
from import_export.admin import ImportExportMixin  # noqa: E402  isort: skip
from measures.resources import AdministratorImportExportMixin, BureauResource, UnitResource, UserResource  # noqa: E402  isort: skip

User = get_user_model()


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["bureau"]
    verbose_name = _("bureau membership")


admin.site.unregister(User)


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


@admin.register(User)
class IncentivesUserAdmin(AdministratorImportExportMixin, ImportExportMixin, UserAdmin):
    resource_classes = [UserResource]
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "email", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "groups", "memberships__bureau"]
    # is_staff follows the administrator role (incentives.signals); bureau groups follow memberships.
    readonly_fields = ["is_staff"]
    add_form = InvitedUserCreationForm
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "first_name", "last_name", "email")}),)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            # Roles only: a bureau's group is not chosen here, it follows the memberships below.
            from .roles import ROLE_LABELS

            kwargs["queryset"] = db_field.remote_field.model.objects.filter(name__in=ROLE_LABELS)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Saving the roles field replaced all the person's groups; put the bureau groups back from memberships.
        from .permissions import membership_sync

        membership_sync(form.instance)
        if not change:
            try:
                account_invite(actor=request.user, user=form.instance)
            except DomainError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                self.message_user(request, _("An invitation to choose a password was sent to %(email)s.") % {
                    "email": form.instance.email}, messages.SUCCESS)


@admin.register(Bureau)
class BureauAdmin(AdministratorImportExportMixin, ImportExportMixin, admin.ModelAdmin):
    resource_classes = [BureauResource]
    list_display = ["short_name", "full_name", "full_name_confirmed", "order", "is_active"]
    list_filter = ["full_name_confirmed", "is_active"]
    search_fields = ["short_name", "full_name"]
    ordering = ["order", "short_name"]


@admin.register(UnitKind)
class UnitKindAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "order"]
    search_fields = ["code", "name"]


@admin.register(Unit)
class UnitAdmin(AdministratorImportExportMixin, ImportExportMixin, admin.ModelAdmin):
    resource_classes = [UnitResource]
    list_display = ["name", "full_name", "kind", "parent", "division_order", "is_active"]
    list_filter = ["kind", "is_active", "parent"]
    list_select_related = ["kind", "parent"]
    search_fields = ["name", "full_name"]
    autocomplete_fields = ["parent", "merged_into"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "bureau", "created_at"]
    list_filter = ["bureau"]
    list_select_related = ["user", "bureau"]
    search_fields = ["user__username", "user__first_name", "bureau__short_name"]
    autocomplete_fields = ["user", "bureau"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit trail is read-only, even for administrators."""

    list_display = ["at", "actor", "action", "target_type", "target_repr"]
    list_filter = ["action", "target_type"]
    list_select_related = ["actor", "target_type"]
    search_fields = ["target_repr", "message", "actor__username"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The admin is for administrators only (superusers, or the administrator role with is_staff); reviewers and
# clerks are sent to the admin's login page. That login page is throttled like the site's own.
def _administrators_only(request):
    from .roles import can_enter_admin

    return can_enter_admin(request.user)


def _throttled_admin_login_form():
    from .views import ThrottledAdminAuthenticationForm

    return ThrottledAdminAuthenticationForm


admin.site.has_permission = _administrators_only
admin.site.login_form = _throttled_admin_login_form()


# --- Reminders and notifications -------------------------------------------------------------------------------

from django import forms  # noqa: E402

from .models import Notification, ReminderDelivery, ReminderSettings, ReminderTemplate  # noqa: E402


@admin.register(ReminderSettings)
class ReminderSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "offsets", "send_from_hour", "overdue_notice", "reviewer_digest", "max_attempts"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ReminderSettings.objects.exists()

    def save_model(self, request, obj, form, change):
        obj.pk = 1  # one row: the sweep reads pk 1
        super().save_model(request, obj, form, change)


class ReminderTemplateForm(forms.ModelForm):
    class Meta:
        model = ReminderTemplate
        fields = ["kind", "subject", "body", "is_active"]

    def _checked(self, name):
        from django.template import Engine, TemplateSyntaxError

        value = self.cleaned_data[name]
        try:
            Engine.get_default().from_string(value)
        except TemplateSyntaxError as error:
            raise forms.ValidationError(str(error)) from None
        return value

    def clean_subject(self):
        return self._checked("subject")

    def clean_body(self):
        return self._checked("body")


@admin.register(ReminderTemplate)
class ReminderTemplateAdmin(admin.ModelAdmin):
    form = ReminderTemplateForm
    list_display = ["kind", "subject", "is_active", "updated_at"]
    list_filter = ["is_active"]

    def get_changeform_initial_data(self, request):
        """A new template starts from the default wording of its kind (?kind=deadline)."""
        from django.template import Engine, TemplateDoesNotExist

        initial = super().get_changeform_initial_data(request)
        kind = request.GET.get("kind", "")
        if kind.isidentifier():
            engine = Engine.get_default()
            try:
                initial.setdefault("subject", engine.get_template(f"emails/{kind}_subject.txt").source.strip())
                initial.setdefault("body", engine.get_template(f"emails/{kind}.txt").source)
            except TemplateDoesNotExist:
                pass
        return initial


@admin.register(ReminderDelivery)
class ReminderDeliveryAdmin(admin.ModelAdmin):
    """Every recorded message: what was sent, to whom, and what failed (with the last error)."""

    list_display = ["created_at", "kind", "offset", "recipient", "email", "cycle", "category", "status", "attempts",
                    "sent_at", "next_attempt_at"]
    list_filter = ["status", "kind", "cycle"]
    list_select_related = ["recipient", "cycle", "category"]
    search_fields = ["recipient__username", "email", "subject", "last_error"]
    date_hierarchy = "created_at"
    actions = ["send_again"]
    readonly_fields = [field.name for field in ReminderDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send the selected failed messages again"))
    def send_again(self, request, queryset):
        from .notifications import reminder_retry

        ids = reminder_retry(actor=request.user, deliveries=list(queryset))
        self.message_user(request, _("%(count)d message(s) queued again.") % {"count": len(ids)})


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "title", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["user"]
    search_fields = ["user__username", "title"]
    raw_id_fields = ["user", "delivery"]
