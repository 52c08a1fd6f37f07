"""Acorn's four services. Each is a package of its own; services never import each other."""
