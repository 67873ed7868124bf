"""Rows of enrolled employees and their face embeddings (biometric data: never exported).

Writes take the store writer's connection (``WriteRunner`` callbacks); reads take a
:class:`~edge.store.queries.StoreReader`. The identity room's gallery is built on these.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import numpy as np

from edge.store.queries import StoreReader


def put_employee(conn: sqlite3.Connection, employee_id: str, name: str, group: str,
                 embeddings: list[np.ndarray], source: str, now: str) -> int:
    """Add or update an employee and add face embeddings; return how many they now have."""
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


def delete_employee(conn: sqlite3.Connection, employee_id: str) -> bool:
    """Delete an employee and every embedding of theirs; False if unknown."""
    conn.execute("DELETE FROM face_embeddings WHERE employee_id=?", (employee_id,))
    return conn.execute("DELETE FROM employees WHERE employee_id=?",
                        (employee_id,)).rowcount > 0


def employee_rows(reader: StoreReader) -> list[dict[str, Any]]:
    """Everyone enrolled, by id: employee_id, name, grp, created_at, faces."""
    return reader.rows(
        "SELECT e.employee_id, e.name, e.employee_group AS grp, e.created_at, "
        "COUNT(f.id) AS faces FROM employees e LEFT JOIN face_embeddings f "
        "USING (employee_id) GROUP BY e.employee_id ORDER BY e.employee_id")


def embeddings_version(reader: StoreReader) -> int:
    """Changes whenever an embedding is added or removed (count and highest id)."""
    rows = reader.rows("SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS last "
                       "FROM face_embeddings")
    return hash((rows[0]["n"], rows[0]["last"])) if rows else 0


def embedding_rows(reader: StoreReader) -> list[dict[str, Any]]:
    """Every embedding with its employee's id and name, oldest first."""
    return reader.rows("SELECT f.employee_id, e.name, f.embedding FROM face_embeddings f "
                       "JOIN employees e USING (employee_id) ORDER BY f.id")
