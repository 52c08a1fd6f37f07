"""The ledger's HTTP resources, one blueprint per resource."""
