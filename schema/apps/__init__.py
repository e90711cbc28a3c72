"""GraphQL for AppIDs (APP-1 to APP-4)."""
