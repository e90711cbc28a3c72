"""Accounts: token revocation (AUTH-4, ACC-6), sub-accounts (ACC-8), partner clients, reads
scoped by the principal's account (SEC-1)."""
