"""Principals, scopes and permissions; the OAuth 2.0 server and the bearer-token check."""
