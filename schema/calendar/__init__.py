"""GraphQL for the working-day calendar (T-2, T-3)."""
