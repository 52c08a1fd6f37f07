"""Topic names, in one place.

Each service publishes on one topic named after it; each topic has a dead-letter twin. A prefix
(`ACORN_TOPIC_PREFIX`) lets tests and parallel environments share one broker without sharing topics.
"""

from __future__ import annotations

SERVICES = ("commissioning", "outcomes", "ledger", "value")
PUBLISHING_SERVICES = ("commissioning", "outcomes", "ledger")
DLQ_SUFFIX = ".dlq"


def service_topic(service: str, prefix: str = "") -> str:
    if service not in PUBLISHING_SERVICES:
        raise ValueError(f"{service!r} publishes no events")
    return f"{prefix}acorn.{service}"


def dlq_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


def all_topics(prefix: str = "") -> list[str]:
    """Every topic the system needs, including dead-letter topics, for explicit creation."""
    topics = [service_topic(service, prefix) for service in PUBLISHING_SERVICES]
    return topics + [dlq_topic(topic) for topic in topics]


def event_type(service: str, name: str) -> str:
    """`acorn.<service>.<name>`: the type of an event, named in the past tense."""
    return f"acorn.{service}.{name}"
