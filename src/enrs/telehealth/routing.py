"""WebSocket routes of the telehealth app (mounted by ``enrs.asgi``): WebRTC signaling."""

from django.urls import path

from enrs.telehealth.consumers import SignalingConsumer

websocket_urlpatterns = [
    path("ws/telesante/salle/<int:room_id>/", SignalingConsumer.as_asgi(), name="ws_room"),
]
