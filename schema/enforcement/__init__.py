"""GraphQL for enforcement (ENF-*): cases so far."""
