"""Structured logs: every line carries the id of the request (or task) it belongs to, the same id that the events
written during that request carry, so a log line leads to the events and back.

``LAWTRACE_LOG_FORMAT=json`` writes one JSON object per line for a log collector; ``text`` (the default) is for
people reading a terminal.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging

_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("lawtrace_log_context", default=None)
# Attributes every LogRecord has; anything else on a record came from ``extra=`` and belongs in the JSON line.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}


def bind(**values: str) -> contextvars.Token:
    return _context.set({**(_context.get() or {}), **values})


def unbind(token: contextvars.Token) -> None:
    _context.reset(token)


def current_request_id() -> str:
    return (_context.get() or {}).get("request_id", "")


class ContextFilter(logging.Filter):
    """Adds ``request_id`` to every record, so formats can name it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        line.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(log_format: str, level: str) -> dict:
    formatter = {"()": JsonFormatter} if log_format == "json" else {
        "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}},
        "formatters": {"main": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "main", "filters": ["context"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # WeasyPrint and fontTools narrate every step of every PDF at INFO.
            **{name: {"level": "WARNING"} for name in ("weasyprint", "weasyprint.progress", "fontTools")},
            # The access log is one line per request; the development server writes its own.
            "django.server": {"level": "WARNING"},
        },
    }
