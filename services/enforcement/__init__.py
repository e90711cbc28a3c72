"""Enforcement (ENF-*): cases so far; measures, notices and standing come with their issue."""
