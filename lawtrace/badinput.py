"""Input the code could not take answers 400 with a Chinese reason, not 500 (a fuzz test walks every route).

Views validate what they read through forms and ``lawtrace.params``; this is the net under them for the errors
that can only come from what the client sent: a number too large for the database's integer, a value the database
or a model field refused as data (an impossible date), a document nested deeper than the parser can follow. Every
such refusal is logged, so a view that should have validated is found and fixed at its source.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import BadRequest, ValidationError
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

log = logging.getLogger("lawtrace.badinput")

INPUT_ERRORS = (OverflowError, ValidationError, DataError, RecursionError, BadRequest)


def reason_for(exception: Exception) -> str:
    if isinstance(exception, BadRequest) and str(exception):
        return str(exception)
    if isinstance(exception, ValidationError):
        return "；".join(str(message) for message in exception.messages)
    if isinstance(exception, OverflowError | DataError):
        return _("A number or date in the request is outside the range this system stores.")
    return _("The request is nested too deeply to read.")


class BadInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, INPUT_ERRORS):
            return None
        log.warning("bad input on %s %s: %s: %s", request.method, request.path, type(exception).__name__,
                    str(exception)[:200])
        # Rendered without the request's context: after a DataError the transaction may not take another query.
        body = loader.get_template("400.html").render({"reason": reason_for(exception)})
        return HttpResponse(body, status=400)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing a document nested deeper than Python's parser follows with a 400, not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The request is nested too deeply to read.")) from None
