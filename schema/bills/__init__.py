"""GraphQL for bills, their disputes, supplementary-agreement terms and prices (BIL-1..BIL-7, NTC-2)."""
