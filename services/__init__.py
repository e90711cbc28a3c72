"""The agreement's rules, one package per domain. No GraphQL and no HTTP here.

Services take an AsyncSession, ``flush()`` but never ``commit()`` (the request middleware or
the CLI command owns the transaction), and raise ``services.errors.DomainError`` subclasses.
"""
