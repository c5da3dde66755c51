"""WebSocket routes of the messaging app (mounted by ``enrs.asgi``)."""

from django.urls import path

from enrs.messaging.consumers import ChatConsumer

websocket_urlpatterns = [
    path("ws/messagerie/", ChatConsumer.as_asgi(), name="ws_chat"),
]
