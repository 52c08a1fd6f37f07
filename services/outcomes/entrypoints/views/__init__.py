"""The outcomes API's blueprints, one per resource; views are thin: schema -> command -> handler."""

from __future__ import annotations

from flask import current_app

from services.outcomes.service_layer.context import Outcomes


def outcomes() -> Outcomes:
    ctx: Outcomes = current_app.extensions["acorn"]
    return ctx
