"""Template context shared by every page: the region and the navigation rights."""

from django.conf import settings

from enrs.core import notifications
from enrs.portal import selectors


def platform(request):
    user = getattr(request, "user", None)
    return {
        "region_name": settings.ENRS_REGION_NAME,
        "can_search_directory": selectors.can_search_directory(user),
        "show_back_office": selectors.shows_back_office(user),
        "unread_notifications": notifications.unread_count(user),
    }
