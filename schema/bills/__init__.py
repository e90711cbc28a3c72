"""GraphQL for bills, their disputes, supplementary-agreement terms and prices (BIL-2 to BIL-7, NTC-2)."""
