"""The owner's page of their API tokens: create one (its secret shown once), revoke one."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from incentives.errors import DomainError
from organisation import access
from organisation.access import door

from . import services
from .forms import TokenForm
from .models import ApiToken


@door()
@require_http_methods(["GET", "POST"])
def tokens(request):
    form = TokenForm(request.POST or None)
    created = secret = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created, secret = services.token_create(actor=request.user, name=form.cleaned_data["name"],
                                                        scopes=form.cleaned_data["scopes"],
                                                        days=form.cleaned_data["days"])
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
        if form.errors:
            status = 400
        else:
            form = TokenForm()
    mine = access.restrict(ApiToken.objects.all(), request.user).order_by("-created_at", "-id")[:100]
    return render(request, "api/tokens.html", {"form": form, "tokens": mine, "created": created, "secret": secret},
                  status=status)


@door()
@require_POST
def token_revoke(request, pk: int):
    token = access.get(ApiToken.objects.all(), request.user, pk=pk)
    services.token_revoke(actor=request.user, token=token)
    return redirect("api:tokens")
