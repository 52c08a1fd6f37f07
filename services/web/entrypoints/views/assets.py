"""GOV.UK Frontend's compiled CSS, JavaScript, fonts and images, and Chart.js, served from the
npm packages deploy/provision.py installed (nothing from a CDN: the pages work offline)."""

from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory
from werkzeug.wrappers import Response

blp = Blueprint("assets", __name__)

CACHE_SECONDS = 24 * 3600
VENDOR_FILES = {
    "govuk-frontend.min.css": "govuk-frontend/dist/govuk",
    "govuk-frontend.min.js": "govuk-frontend/dist/govuk",
    "chart.umd.min.js": "chart.js/dist",
}


def _modules_dir() -> str:
    return str(current_app.extensions["acorn_web"].settings.assets_dir)


@blp.get("/assets/<path:filename>")
def govuk_assets(filename: str) -> Response:
    """Fonts and images, where govuk-frontend's CSS expects them (`/assets/`)."""
    folder = f"{_modules_dir()}/govuk-frontend/dist/govuk/assets"
    return send_from_directory(folder, filename, max_age=CACHE_SECONDS)


@blp.get("/vendor/<filename>")
def vendor(filename: str) -> Response:
    if filename not in VENDOR_FILES:
        return Response("not found", status=404)
    folder = f"{_modules_dir()}/{VENDOR_FILES[filename]}"
    return send_from_directory(folder, filename, max_age=CACHE_SECONDS)
