"""GraphQL for usage reports from the metering clients (BIL-1)."""
