"""The Starlette application, its settings, middleware, lifespan and the ``accord`` CLI."""
