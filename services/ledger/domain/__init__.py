"""The ledger's domain: plain dataclasses and pure functions (no Flask, pymongo or kafka)."""
