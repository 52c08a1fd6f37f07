"""Fixtures of the fault-injection tests (`client_of` lives in tests/support/services.py)."""

from __future__ import annotations

SERVICES = ("commissioning", "outcomes", "ledger", "value")
