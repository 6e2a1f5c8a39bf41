"""Bulletin pages: the versions of a cycle's bulletin (reviewers), a render's progress, its status as JSON for
the progress indicator, and the downloads (PDF, and OFD beside it). Reviewers see every version; the public the versions of a published
cycle, and download only its newest finished one. Anything else answers 404."""

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from incentives.errors import DomainError
from incentives.files import stored_file_response
from organisation import access, roles

from . import seal
from .bulletins import (
    bulletin_copy_check,
    bulletin_downloadable_by,
    bulletin_ofd_downloadable_by,
    bulletins_visible_to,
)
from .models import Bulletin
from .programmes import with_programme
from .services.publication import bulletin_request
from .views.common import _cycle_or_404


def _reviewer_or_404(user):
    if not roles.is_reviewer(user):
        raise Http404


def _visible_bulletin(request, pk) -> Bulletin:
    return get_object_or_404(bulletins_visible_to(request.user), pk=pk)


def bulletin_status_data(bulletin: Bulletin, user) -> dict:
    return {
        "id": bulletin.pk,
        "version": bulletin.version,
        "status": bulletin.status,
        "label": str(bulletin.get_status_display()),
        "finished": bulletin.status in (Bulletin.Status.DONE, Bulletin.Status.FAILED),
        "download_url": reverse("bulletins:download", args=[bulletin.pk]) if bulletin_downloadable_by(user, bulletin) else None,
        "ofd_download_url": (reverse("bulletins:download_ofd", args=[bulletin.pk])
                             if bulletin_ofd_downloadable_by(user, bulletin) else None),
    }


@access.door()
@require_GET
def bulletin_versions(request, year: int):
    _reviewer_or_404(request.user)
    cycle = _cycle_or_404(request, year)
    versions = list(bulletins_visible_to(request.user).filter(cycle=cycle).select_related("requested_by").order_by("-version"))
    return render(request, "bulletins/versions.html", {"cycle": cycle, "versions": versions})


@access.door()
@require_POST
def bulletin_request_view(request, year: int):
    _reviewer_or_404(request.user)
    cycle = _cycle_or_404(request, year)
    try:
        bulletin = bulletin_request(cycle=cycle, actor=request.user)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect(with_programme(reverse("bulletins:versions", args=[year]), cycle.programme))
    messages.success(request, _("The bulletin is being rendered."))
    return redirect("bulletins:progress", pk=bulletin.pk)


@require_GET
def bulletin_progress(request, pk: int):
    bulletin = _visible_bulletin(request, pk)
    return render(request, "bulletins/progress.html", {"bulletin": bulletin, "cycle": bulletin.cycle,
                                                       "state": bulletin_status_data(bulletin, request.user)})


@require_GET
def bulletin_status(request, pk: int):
    bulletin = _visible_bulletin(request, pk)
    response = JsonResponse(bulletin_status_data(bulletin, request.user))
    response["Cache-Control"] = "no-store"
    return response


def _seal_refusal(request, bulletin: Bulletin, kind: str):
    """A signed version whose signature fails its check is not handed out (verified on every download): the page
    says so, and the failure is recorded."""
    if not (seal.pdf_signing_configured() if kind == "pdf" else seal.ofd_signing_configured()):
        return None  # the deployment does not sign: nothing to check, the file is not read twice
    stored = bulletin.file if kind == "pdf" else bulletin.ofd_file
    with stored.open("rb") as handle:
        data = handle.read()
    verdict = bulletin_copy_check(bulletin=bulletin, kind=kind, data=data)
    if verdict is None:
        return None
    return render(request, "bulletins/seal_invalid.html", {"bulletin": bulletin, "verdict": verdict}, status=409)


@require_GET
def bulletin_download(request, pk: int):
    bulletin = _visible_bulletin(request, pk)
    if not bulletin_downloadable_by(request.user, bulletin):
        raise Http404
    refused = _seal_refusal(request, bulletin, "pdf")
    if refused:
        return refused
    return stored_file_response(bulletin.file, content_type="application/pdf",
                                filename=f"通报-{bulletin.cycle.year}-v{bulletin.version}.pdf",
                                headers={"X-Content-SHA256": bulletin.sha256})


@require_GET
def bulletin_download_ofd(request, pk: int):
    """The same version as OFD (GB/T 33190-2016), under the same rule as its PDF."""
    bulletin = _visible_bulletin(request, pk)
    if not bulletin_ofd_downloadable_by(request.user, bulletin):
        raise Http404
    refused = _seal_refusal(request, bulletin, "ofd")
    if refused:
        return refused
    return stored_file_response(bulletin.ofd_file, content_type="application/ofd",
                                filename=f"通报-{bulletin.cycle.year}-v{bulletin.version}.ofd",
                                headers={"X-Content-SHA256": bulletin.ofd_sha256})
