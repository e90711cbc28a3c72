"""Alembic migrations: one per capability, so the history reads as the system's growth."""
