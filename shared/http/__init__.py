"""What every service's HTTP API shares: app factory, auth, problem details, idempotency."""
