"""The council tests load into the whole system as processes, as the end-to-end tests do."""

from tests.e2e.conftest import system  # noqa: F401
