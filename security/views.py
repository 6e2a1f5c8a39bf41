import csv
from base64 import b32encode

import django_otp
import qrcode
import qrcode.image.svg
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from organisation import roles
from organisation.audit import audit_record
from organisation.paginators import CappedPaginator
from organisation.selectors import action_labels

from . import policy, selectors, services
from .forms import AuditSearchForm, EnrolForm, TokenForm

PENDING_KEY = "security.pending_totp_key"


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    """The second step of the sign-in: a code of the person's authenticator, or a recovery code."""
    if request.user.is_verified():
        return redirect(_next_url(request) or "home")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.verify_second_factor(user=request.user, token=form.cleaned_data["token"])
        if device is not None:
            django_otp.login(request, device)
            request.session.cycle_key()
            policy.second_factor_given(request)
            return redirect(_next_url(request) or "home")
        form.add_error("token", _("This code is not valid. Type the code your authenticator shows now, or a recovery "
                                  "code you have not used yet."))
    return render(request, "security/otp_verify.html", {"form": form, "next": _next_url(request)},
                  status=400 if form.errors else 200)


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return mark_safe(image.to_string(encoding="unicode"))  # generated here from a URL of our own: no user markup


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request):
    """Set up an authenticator: scan the QR code (or type the key), type the code it shows, keep the recovery
    codes. The key stays in the session until the first code proves the phone has it."""
    user = request.user
    enrolled = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    if enrolled and not request.GET.get("replace") and request.method == "GET":
        return render(request, "security/otp_status.html", {"required": policy.otp_required_for(user)})
    key = request.session.get(PENDING_KEY)
    if not key:
        key = request.session[PENDING_KEY] = default_key()
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.enrol_totp(user=user, key_hex=key, token=form.cleaned_data["token"])
        except ValidationError as error:
            form.add_error("token", error)
        else:
            del request.session[PENDING_KEY]
            django_otp.login(request, device)
            policy.second_factor_given(request)
            return render(request, "security/recovery_codes.html", {"codes": codes, "next": _next_url(request)})
    device = TOTPDevice(user=user, key=key)
    return render(request, "security/otp_setup.html", {
        "form": form, "qr_svg": _qr_svg(device.config_url), "secret": b32encode(device.bin_key).decode(),
        "required": policy.otp_required_for(user), "next": _next_url(request), "enrolled": enrolled,
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def otp_recovery_codes(request):
    try:
        codes = services.regenerate_recovery_codes(user=request.user)
    except ValidationError:
        return redirect("security:otp_setup")
    return render(request, "security/recovery_codes.html", {"codes": codes, "next": ""})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page; a change made here also clears a forced change or an expired password for this session."""

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed_by_self(user=form.user)
        policy.password_refreshed(self.request)
        return response


# --- the audit trail (the audit administrator's) ----------------------------------------------------------------

def _audit_filters(request, data):
    if not roles.is_audit_administrator(request.user):
        raise Http404
    form = AuditSearchForm(data)
    filters = form.cleaned_data if form.is_valid() else {}
    return form, filters


@login_required
@require_GET
def audit_list(request):
    form, filters = _audit_filters(request, request.GET or None)
    entries = selectors.audit_entries_for(request.user, **filters)
    # No count of the whole trail (millions of records): at most CappedPaginator.cap are counted.
    page = CappedPaginator(entries, 50).get_page(request.GET.get("page"))
    labels = action_labels()  # get_action_display would hash every label of ~80 choices, for each row
    for entry in page:
        entry.action_label = labels.get(entry.action, entry.action)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "security/audit_list.html", {"form": form, "page": page, "query": query.urlencode()},
                  status=400 if form.is_bound and form.errors else 200)


class _Echo:
    def write(self, value):
        return value


@login_required
@require_POST
def audit_export(request):
    form, filters = _audit_filters(request, request.POST)
    if form.errors:
        return render(request, "security/audit_list.html", {"form": form, "page": None, "query": ""}, status=400)
    entries = selectors.audit_entries_for(request.user, **filters)
    with transaction.atomic():
        audit_record(actor=request.user, action="audit.exported", target=request.user,
                     data={key: str(value) for key, value in filters.items() if value})
    writer = csv.writer(_Echo())
    local = timezone.get_current_timezone()

    def rows():
        yield "\ufeff"  # spreadsheet programs read the file as UTF-8
        yield writer.writerow(["id", "time", "actor", "action", "object type", "object id", "object", "details",
                               "data"])
        for entry in entries.iterator(chunk_size=2000):
            yield writer.writerow([
                entry.pk, entry.at.astimezone(local).isoformat(), entry.actor.username if entry.actor else "",
                entry.action, entry.target_type.model, entry.target_id, _neutral(entry.target_repr),
                _neutral(entry.message), _neutral(str(entry.data)),
            ])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.now():%Y%m%d-%H%M%S}.csv"'
    return response


def _neutral(value: str) -> str:
    """A cell a spreadsheet would read as a formula gets a leading apostrophe."""
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value

