"""What every Acorn service must agree on: events, money, auth, settings, the outbox and consumers.

Nothing here belongs to one service's domain; services import from here and never from each other.
"""
