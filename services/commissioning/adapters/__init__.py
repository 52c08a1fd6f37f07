"""Repositories: Mongo for the service, in-memory fakes for unit tests."""
