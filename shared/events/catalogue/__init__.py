"""Every event type Acorn publishes, with its payload schema: the contract between services.

Importing this package registers all schemas. Within a `dataschemaversion` a payload may only gain
optional fields; anything else is a new version. Dates are ISO `YYYY-MM-DD`; money is integer
pence; children appear only as a pseudonymous `child_ref`.
"""

from shared.events.catalogue import commissioning, ledger, outcomes

__all__ = ["commissioning", "ledger", "outcomes"]
