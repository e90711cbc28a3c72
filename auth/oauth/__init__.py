"""The OAuth 2.0 authorization server, on authlib's generic ``AuthorizationServer``.

authlib is synchronous: the HTTP layer runs it in a worker thread, and every hook that needs
the database calls back into the event loop through ``auth.oauth.bridge`` (on the request's
own session, so the request stays one transaction).
"""
