"""The prepaid ledger (PRE-1, PRE-2, PRE-6)."""
