"""Logging helpers: a filter that stamps each record with the request id."""

import logging

from enrs.core.middleware import request_id_var


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True
