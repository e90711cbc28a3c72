"""GraphQL for enforcement cases opened on an account (ENF-1 to ENF-5)."""
