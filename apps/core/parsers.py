"""How the REST API reads request bodies: JSON only (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]).

A form-encoded or multipart body gets DRF's 415 with its message instead of being half-understood,
and the schema documents one request format.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, except that a document nested too deeply for Python's decoder (a few
    thousand `[`) is a 400 like any other malformed JSON, not a RecursionError and a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
