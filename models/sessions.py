"""Execution options every layer may ask of a session (api/db.py acts on them)."""

from typing import Any

# On SQLite, a transaction normally takes the write lock when it begins (BEGIN IMMEDIATE, see
# api/db.py). This option makes it a plain deferred one instead: for a session that only reads,
# or reads first and writes only when nobody else does, so it neither waits behind a writer nor
# holds one up. Other databases ignore it.
DEFERRED = "accord_sqlite_deferred"


def deferred_options() -> dict[str, Any]:
    return {DEFERRED: True}


# On PostgreSQL, the request's first reads (the simulated clock's offset, the bearer check) run
# before its database transaction begins, as single statements, so that a request which reads
# nothing else costs one round trip instead of three (BEGIN, statement, COMMIT). The first
# statement after them begins the transaction as usual (api/db.py). Other databases ignore it.
READS_FIRST = "accord_reads_before_begin"
