"""Where graphs are kept: the Store protocol (base.py), SQLite (sqlite.py) and PostgreSQL (postgres.py)."""
from ..errors import Refused
from .base import (EditRow, GraphNotFound, GraphRow, LectureAnswer, LectureRow, Shared, Store, StoreFull,
                   VersionConflict, default_data_dir)
from .sqlite import SQLiteStore

__all__ = ["EditRow", "GraphNotFound", "GraphRow", "LectureAnswer", "LectureRow", "Shared", "Store", "StoreFull",
           "VersionConflict", "SQLiteStore", "default_data_dir", "open_store"]


def open_store(database: str | None, data_dir, max_graphs: int = 10_000) -> Store:
    """PostgreSQL for a ``postgresql://`` URL, else SQLite in ``data_dir`` (the default)."""
    if not database:
        return SQLiteStore.in_dir(data_dir, max_graphs=max_graphs)
    if not database.startswith(("postgresql://", "postgres://")):
        raise Refused(f"--database takes a postgresql:// URL, not {database.split(':', 1)[0][:20]!r}",
                      reason="store_unreachable")
    from .postgres import PostgresStore  # psycopg is loaded only when asked for
    return PostgresStore(database, max_graphs=max_graphs)
