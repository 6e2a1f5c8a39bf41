from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def queue(request):
    return render(request, "reviews/queue.html", {})


def public_results(request):
    return render(request, "reviews/public_results.html", {})
