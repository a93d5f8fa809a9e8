"""Where graphs are kept: the Store protocol (base.py) and SQLite (sqlite.py)."""
from .base import (EditRow, GraphNotFound, GraphRow, Shared, Store, StoreFull, VersionConflict,
                   default_data_dir)
from .sqlite import SQLiteStore

__all__ = ["EditRow", "GraphNotFound", "GraphRow", "Shared", "Store", "StoreFull", "VersionConflict",
           "SQLiteStore", "default_data_dir"]
