"""ASGI entry point: HTTP goes to Django, WebSockets to the apps' consumers.

Each app with real-time needs exposes ``websocket_urlpatterns`` in its
``routing.py`` and is appended to ``WEBSOCKET_ROUTES`` below (one line per app):
the telehealth issue adds its WebRTC signaling routes the same way, e.g.
``from enrs.telehealth.routing import websocket_urlpatterns as telehealth_ws`` and
``WEBSOCKET_ROUTES += telehealth_ws``. Every socket gets the Django session user
(``AuthMiddlewareStack``) and is refused unless its Origin is in ALLOWED_HOSTS.
Run it with ``daphne enrs.asgi:application`` (or ``enrs runserver``, which serves
ASGI because ``daphne`` is the first installed app).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enrs.settings")
django_application = get_asgi_application()  # populates the app registry before the routes import models

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from enrs.core.runtime import tune_garbage_collector  # noqa: E402
from enrs.messaging.routing import websocket_urlpatterns as messaging_ws  # noqa: E402
from enrs.telehealth.routing import websocket_urlpatterns as telehealth_ws  # noqa: E402

WEBSOCKET_ROUTES = []
WEBSOCKET_ROUTES += messaging_ws  # issue 7: secure chat
WEBSOCKET_ROUTES += telehealth_ws  # issue 8: WebRTC signaling of video rooms

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(WEBSOCKET_ROUTES))),
    }
)

tune_garbage_collector()
