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
            conn.execute(
                "INSERT INTO employees (employee_id, name, employee_group, created_at) "
                "VALUES (?,?,?,?) ON CONFLICT(employee_id) DO UPDATE SET name=excluded.name, "
                "employee_group=excluded.employee_group", (employee_id, name, group, now))
            for emb in embeddings:
                conn.execute("INSERT INTO face_embeddings (employee_id, embedding, source, "
                             "created_at) VALUES (?,?,?,?)",
                             (employee_id, np.asarray(emb, np.float32).tobytes(), source, now))
            return int(conn.execute("SELECT COUNT(*) FROM face_embeddings WHERE employee_id=?",
                                    (employee_id,)).fetchone()[0])

        return self.run_write(write)

    def remove(self, employee_id: str) -> bool:
        """Delete an employee and every embedding of theirs; False if unknown."""

        def write(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM face_embeddings WHERE employee_id=?", (employee_id,))
            return conn.execute("DELETE FROM employees WHERE employee_id=?",
                                (employee_id,)).rowcount > 0

        return self.run_write(write)

    def employees(self) -> list[Employee]:
        """Everyone enrolled, by id."""
        rows = self._reader.rows(
            "SELECT e.employee_id, e.name, e.employee_group AS grp, e.created_at, "
            "COUNT(f.id) AS faces FROM employees e LEFT JOIN face_embeddings f "
            "USING (employee_id) GROUP BY e.employee_id ORDER BY e.employee_id")
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
        rows = self._reader.rows("SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS last "
                                 "FROM face_embeddings")
        version = hash((rows[0]["n"], rows[0]["last"])) if rows else 0
        if version == self._version:
            return
        data = self._reader.rows("SELECT f.employee_id, e.name, f.embedding FROM "
                                 "face_embeddings f JOIN employees e USING (employee_id) "
                                 "ORDER BY f.id")
        with self._lock:
            self._ids = [r["employee_id"] for r in data]
            self._names = {r["employee_id"]: r["name"] for r in data}
            self._matrix = (np.stack([np.frombuffer(r["embedding"], np.float32) for r in data])
                            if data else np.empty((0, 128), np.float32))
            self._version = version
