"""The event envelope, the payload schemas of every event type, and topic names."""
