"""GraphQL for accounts, the viewer, sub-accounts, partner clients and the audit log."""
