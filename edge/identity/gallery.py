"""The local face gallery: enrolled employees and their embeddings, in the store's SQLite.

Embeddings are biometric data: they exist only for people enrolled on purpose, are deleted
with the employee, and never leave the box. Searches run on an in-memory copy that reloads
when another connection (the CLI, the writer) has committed a change.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from edge.store.direct import WriteRunner, direct_writer
from edge.store.employees import (
    delete_employee,
    embedding_rows,
    embeddings_version,
    employee_rows,
    put_employee,
)
from edge.store.queries import StoreReader


@dataclass(frozen=True)
class Employee:
    """An enrolled person."""

    employee_id: str
    name: str
    group: str
    faces: int
    created_at: str


@dataclass(frozen=True)
class Match:
    """The nearest enrolled face to a probe."""

    employee_id: str
    name: str
    distance: float


class Gallery:
    """Enrolled employees; writes go through ``run_write`` (the single store writer)."""

    def __init__(self, path: str | Path, run_write: WriteRunner | None = None) -> None:
        self.path = Path(path)
        self.run_write = run_write or direct_writer(self.path)
        self._reader = StoreReader(self.path)
        self._lock = threading.Lock()
        self._version: int | None = None
        self._ids: list[str] = []
        self._names: dict[str, str] = {}
        self._matrix = np.empty((0, 128), np.float32)

    def enroll(self, employee_id: str, name: str, embeddings: list[np.ndarray],
               group: str = "default", source: str = "") -> int:
        """Add (or extend) an employee with face embeddings; return how many they now have."""
        now = datetime.now(timezone.utc).isoformat()

        def write(conn: sqlite3.Connection) -> int:
            return put_employee(conn, employee_id, name, group, embeddings, source, now)

        return self.run_write(write)

    def remove(self, employee_id: str) -> bool:
        """Delete an employee and every embedding of theirs; False if unknown."""

        def write(conn: sqlite3.Connection) -> bool:
            return delete_employee(conn, employee_id)

        return self.run_write(write)

    def employees(self) -> list[Employee]:
        """Everyone enrolled, by id."""
        rows = employee_rows(self._reader)
        return [Employee(r["employee_id"], r["name"], r["grp"], r["faces"], r["created_at"])
                for r in rows]

    def nearest(self, embedding: np.ndarray) -> Match | None:
        """The closest enrolled face (Euclidean distance), or None with an empty gallery."""
        self._refresh()
        with self._lock:
            if not len(self._ids):
                return None
            dist = np.linalg.norm(self._matrix - np.asarray(embedding, np.float32), axis=1)
            i = int(dist.argmin())
            return Match(self._ids[i], self._names[self._ids[i]], float(dist[i]))

    def _refresh(self) -> None:
        version = embeddings_version(self._reader)
        if version == self._version:
            return
        data = embedding_rows(self._reader)
        with self._lock:
            self._ids = [r["employee_id"] for r in data]
            self._names = {r["employee_id"]: r["name"] for r in data}
            self._matrix = (np.stack([np.frombuffer(r["embedding"], np.float32) for r in data])
                            if data else np.empty((0, 128), np.float32))
            self._version = version
