"""A person's notifications in the application: the list, and marking them read."""

from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from incentives import params

from . import access
from .outbox import notifications_for, notifications_mark_read, notifications_unread_count

PAGE_SIZE = 50


@access.door()
@require_GET
def notification_list(request):
    page = Paginator(notifications_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "organisation/notifications.html", {
        "page": page, "notifications": page.object_list, "unread": notifications_unread_count(request.user),
    })


@access.door()
@require_POST
def notification_mark_read(request):
    notifications_mark_read(user=request.user, notification_id=params.id_from(request.POST.get("notification")))
    return redirect("notifications")
