"""Prices, usage and bills (BIL-*, NTC-2)."""
