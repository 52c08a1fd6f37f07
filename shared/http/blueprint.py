"""The Blueprint every Acorn view module uses: flask-smorest's, refusing unknown query parameters.

flask-smorest (webargs) ignores query parameters a schema does not name, so a mistyped filter
(`/spend?fy=2024`, `/transactions?from=...`) answered as if it were absent, silently wrong. Here
every query schema refuses them by name (422), as bodies already do.
"""

from __future__ import annotations

import flask_smorest
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser


class StrictQueryParser(FlaskParser):  # type: ignore[misc]
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": RAISE,
        "querystring": RAISE,
    }


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    ARGUMENTS_PARSER = StrictQueryParser()
