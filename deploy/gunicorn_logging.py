"""gunicorn's own log lines as JSON, one object a line, like every other Acorn log line.

Used by every API process (`gunicorn -c python:deploy.gunicorn_logging`). gunicorn's access log
is left off: the application logs each request itself, as JSON, naming the route template
(`/children/<child_ref>/observations`) rather than the path, so no child reference reaches a log.
"""

from __future__ import annotations

import os

_json = {
    "()": "shared.logs.JsonFormatter",
    "service": os.environ.get("ACORN_PROCESS_NAME", "gunicorn"),
}

accesslog = None

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": _json},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        },
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        },
    },
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        # off: its lines name the path, and a path may hold a child's reference
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
}
