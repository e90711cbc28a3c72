"""Enforcement (ENF-*, TRM-*): cases, the measures taken on them, the standing they derive,
terminations taking effect, the enforcement status and the deadlines it shows."""
