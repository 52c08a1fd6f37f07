"""Provisioning and running Acorn's real stack on a developer's or CI machine (the `./dev` CLI)."""
