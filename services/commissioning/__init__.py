"""The commissioning service: providers, interventions, their prices and the children enrolled.

Commissioning officers write; finance, auditors and admins read; a provider reads only its own
records. Every change is published through the outbox on `acorn.commissioning`.
"""
