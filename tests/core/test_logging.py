"""JSON logs carry level, logger, message and the request id."""

from __future__ import annotations

import io
import json
import logging

from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.module_loading import import_string

from enrs.core.logging import RequestIdFilter
from enrs.core.middleware import RequestIdMiddleware


def _json_logger(name: str) -> tuple[logging.Logger, io.StringIO]:
    config = dict(settings.LOGGING["formatters"]["json"])
    formatter = import_string(config.pop("()"))(**config)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger(name)
    logger.handlers, logger.propagate, logger.level = [handler], False, logging.INFO
    return logger, stream


def test_a_log_line_inside_a_request_is_json_with_the_request_id():
    logger, stream = _json_logger("enrs.tests.json")

    def view(request):
        logger.warning("Accès au dossier %s", "démo")
        return HttpResponse("ok")

    request = RequestFactory().get("/quelque-part", HTTP_X_REQUEST_ID="req-42")
    response = RequestIdMiddleware(view)(request)
    assert response["X-Request-ID"] == "req-42"
    record = json.loads(stream.getvalue().strip())
    assert record["level"] == "WARNING"
    assert record["logger"] == "enrs.tests.json"
    assert record["message"] == "Accès au dossier démo"
    assert record["request_id"] == "req-42"
    assert "time" in record


def test_outside_a_request_the_request_id_is_a_dash():
    logger, stream = _json_logger("enrs.tests.json.outside")
    logger.info("tâche de fond")
    lines = stream.getvalue().strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert (record["level"], record["message"], record["request_id"]) == ("INFO", "tâche de fond", "-")
