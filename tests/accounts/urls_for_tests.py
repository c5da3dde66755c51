"""The project's URLs plus one view behind ``recent_login_required``."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from enrs.accounts.decorators import recent_login_required
from enrs.urls import urlpatterns as project_urlpatterns


@login_required
@recent_login_required(max_age=120)
def sensitive(request):
    return HttpResponse(f"action sensible {request.method}")


urlpatterns = [path("test-sensible/", sensitive, name="test_sensitive"), *project_urlpatterns]
