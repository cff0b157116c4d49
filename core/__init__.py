"""Shared infrastructure: settings, database engine, embedded PostgreSQL, logging, metrics."""
