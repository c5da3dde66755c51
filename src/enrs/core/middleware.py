"""Request id propagation: every log line of a request carries its id."""

import contextvars
import re
import uuid

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Take ``X-Request-ID`` from the load balancer when sane, else make one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class InvalidFormStatusMiddleware:
    """Answer HTTP 400 when a submitted form is re-rendered with errors.

    Class-based views (ours and allauth's) re-render an invalid form with
    status 200; a refused submission is a client error, and saying so lets
    clients, htmx and the malformed-input sweep tell it from a page view.
    Function views pass ``status=400`` to ``render`` themselves.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "POST" and response.status_code == 200:
            context = getattr(response, "context_data", None) or {}
            form = context.get("form")
            if form is not None and getattr(form, "is_bound", False) and form.errors:
                response.status_code = 400
        return response
