"""Directory screens (thin: reads through selectors). Placeholder until the portal work lands."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def search(request):
    return render(request, "directory/search.html", {})


@login_required
def organisation_detail(request, pk):
    return render(request, "directory/search.html", {})


@login_required
def professional_detail(request, pk):
    return render(request, "directory/search.html", {})
