"""SQLite schema and migrations.

The four seed tables keep every seed column; each gains ``event_id``, ``site`` and
``camera_id``. ``line_crossings`` records each counted crossing. v3 adds the ``outbox``
(every stored event, written in the same transaction, for the sync worker), identity and
plate readings, plate allow/deny lists, and stable ids that ``vehicle_logs`` and
``attendance_records`` rows are upserted by. v4 adds per-sink acknowledgements of outbox rows
(``outbox_acks``; every row below a sink's ``low_water`` is acknowledged) and drop counts.
v5 adds ``occupancy_resets`` (one row per camera reset, an event like the others) and
``occupancy_reset_requests`` (the CLI asks the running daemon for a reset: a row is
``pending`` until the daemon ``applied`` it, could not (``failed``, with the reason in
``outcome``), or it ``expired`` unanswered; ``camera_id`` NULL means every camera).
v6 adds ``attendance_corrections`` (marks moved from a track's doubted name to the employee a
later answer named) and ``attendance_records.voided`` (every mark of the record moved away).
v7 adds ``zone_events`` (dwell and restricted-entry events of polygon zones).
The schema version lives in ``PRAGMA user_version``; migrations are applied in order, one
transaction each.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SEED_COLUMNS: dict[str, tuple[str, ...]] = {
    "attendance_records": ("employee_id", "check_in_time", "check_out_time", "status",
                           "grace_period_used", "aws_face_confidence", "track_id"),
    "vehicle_logs": ("track_id", "plate_number", "vehicle_type", "entry_time", "exit_time",
                     "ocr_confidence", "status"),
    "occupancy_logs": ("camera_id", "current_occupancy", "entries_count", "exits_count",
                       "people_detected", "vehicles_detected", "timestamp"),
    "system_metrics": ("frame_id", "processing_time_ms", "gpu_memory_used", "cpu_usage",
                       "faces_processed", "vehicles_processed", "aws_calls",
                       "aws_cost_estimated", "cache_hits", "cache_misses", "timestamp"),
}
"""Columns the legacy system had; tests check that every one of them exists."""

_V1 = """
CREATE TABLE attendance_records (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    camera_id TEXT,
    employee_id TEXT NOT NULL,
    check_in_time TEXT,
    check_out_time TEXT,
    status TEXT NOT NULL CHECK (status IN ('PRESENT', 'LATE', 'EARLY_EXIT')),
    grace_period_used INTEGER NOT NULL DEFAULT 0,
    aws_face_confidence REAL,
    track_id INTEGER
);
CREATE INDEX attendance_employee_day ON attendance_records (employee_id, check_in_time);

CREATE TABLE vehicle_logs (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    track_id INTEGER NOT NULL,
    plate_number TEXT,
    vehicle_type TEXT NOT NULL,
    entry_time TEXT NOT NULL,
    exit_time TEXT,
    ocr_confidence REAL,
    status TEXT NOT NULL DEFAULT 'unknown' CHECK (status IN ('allowed', 'denied', 'unknown'))
);
CREATE INDEX vehicle_logs_entry ON vehicle_logs (entry_time);

CREATE TABLE occupancy_logs (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    current_occupancy INTEGER NOT NULL CHECK (current_occupancy >= 0),
    site_occupancy INTEGER NOT NULL CHECK (site_occupancy >= 0),
    entries_count INTEGER NOT NULL,
    exits_count INTEGER NOT NULL,
    people_detected INTEGER NOT NULL,
    vehicles_detected INTEGER NOT NULL,
    heartbeat INTEGER NOT NULL DEFAULT 0,
    timestamp TEXT NOT NULL
);
CREATE INDEX occupancy_logs_ts ON occupancy_logs (camera_id, timestamp);

CREATE TABLE system_metrics (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    frame_id INTEGER NOT NULL,
    processing_time_ms REAL NOT NULL,
    fps REAL,
    frames INTEGER,
    gpu_memory_used REAL,
    cpu_usage REAL,
    faces_processed INTEGER NOT NULL DEFAULT 0,
    vehicles_processed INTEGER NOT NULL DEFAULT 0,
    aws_calls INTEGER NOT NULL DEFAULT 0,
    aws_cost_estimated REAL NOT NULL DEFAULT 0,
    cache_hits INTEGER NOT NULL DEFAULT 0,
    cache_misses INTEGER NOT NULL DEFAULT 0,
    timestamp TEXT NOT NULL
);
CREATE INDEX system_metrics_ts ON system_metrics (camera_id, timestamp);

CREATE TABLE line_crossings (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    line_id TEXT NOT NULL,
    track_id INTEGER NOT NULL,
    class_name TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('entry', 'exit')),
    timestamp TEXT NOT NULL
);
CREATE INDEX line_crossings_ts ON line_crossings (camera_id, timestamp);
"""

_V2 = """
CREATE TABLE employees (
    employee_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    employee_group TEXT NOT NULL DEFAULT 'default',
    created_at TEXT NOT NULL
);

CREATE TABLE face_embeddings (
    id INTEGER PRIMARY KEY,
    employee_id TEXT NOT NULL REFERENCES employees (employee_id) ON DELETE CASCADE,
    embedding BLOB NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX face_embeddings_employee ON face_embeddings (employee_id);
"""

_V3 = """
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    ts TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX outbox_priority ON outbox (priority, id);

CREATE TABLE identity_events (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    track_id INTEGER NOT NULL,
    employee_id TEXT,
    name TEXT NOT NULL,
    confidence REAL NOT NULL,
    source TEXT NOT NULL,
    distance REAL,
    timestamp TEXT NOT NULL
);
CREATE INDEX identity_events_ts ON identity_events (camera_id, timestamp);

CREATE TABLE plate_reads (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    vehicle_uid TEXT NOT NULL,
    track_id INTEGER NOT NULL,
    plate_text TEXT NOT NULL,
    raw_text TEXT NOT NULL,
    confidence REAL NOT NULL,
    engine TEXT NOT NULL,
    timestamp TEXT NOT NULL
);
CREATE INDEX plate_reads_vehicle ON plate_reads (vehicle_uid);

CREATE TABLE plate_lists (
    plate TEXT PRIMARY KEY,
    list TEXT NOT NULL CHECK (list IN ('allow', 'deny')),
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

ALTER TABLE vehicle_logs ADD COLUMN vehicle_uid TEXT;
CREATE UNIQUE INDEX vehicle_logs_uid ON vehicle_logs (vehicle_uid);
ALTER TABLE vehicle_logs ADD COLUMN updated_at TEXT;

ALTER TABLE attendance_records ADD COLUMN record_id TEXT;
CREATE UNIQUE INDEX attendance_record_id ON attendance_records (record_id);
ALTER TABLE attendance_records ADD COLUMN work_date TEXT;
CREATE INDEX attendance_work_date ON attendance_records (work_date, employee_id);
ALTER TABLE attendance_records ADD COLUMN updated_at TEXT;
"""

_V4 = """
CREATE TABLE outbox_acks (
    outbox_id INTEGER NOT NULL,
    sink TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sent', 'rejected')),
    reason TEXT NOT NULL DEFAULT '',
    acked_at TEXT NOT NULL,
    PRIMARY KEY (outbox_id, sink)
) WITHOUT ROWID;

CREATE TABLE sync_progress (
    sink TEXT PRIMARY KEY,
    low_water INTEGER NOT NULL DEFAULT 0,
    last_sent_at TEXT,
    last_error TEXT NOT NULL DEFAULT '',
    last_error_at TEXT
);

CREATE TABLE sync_drops (
    type TEXT PRIMARY KEY,
    dropped INTEGER NOT NULL DEFAULT 0
);
"""

_V5 = """
CREATE TABLE occupancy_resets (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    previous_occupancy INTEGER NOT NULL CHECK (previous_occupancy >= 0),
    occupancy INTEGER NOT NULL CHECK (occupancy >= 0),
    site_occupancy INTEGER NOT NULL CHECK (site_occupancy >= 0),
    source TEXT NOT NULL CHECK (source IN ('console', 'cli', 'schedule')),
    note TEXT NOT NULL DEFAULT '',
    timestamp TEXT NOT NULL
);
CREATE INDEX occupancy_resets_ts ON occupancy_resets (timestamp);

CREATE TABLE occupancy_reset_requests (
    id INTEGER PRIMARY KEY,
    camera_id TEXT,
    note TEXT NOT NULL DEFAULT '',
    requested_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'applied', 'expired', 'failed')),
    outcome TEXT NOT NULL DEFAULT '',
    done_at TEXT
);
CREATE INDEX occupancy_reset_requests_state ON occupancy_reset_requests (state, id);
"""

_V6 = """
ALTER TABLE attendance_records ADD COLUMN voided INTEGER NOT NULL DEFAULT 0;
CREATE TABLE attendance_corrections (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    track_id INTEGER NOT NULL,
    from_employee_id TEXT NOT NULL,
    to_employee_id TEXT NOT NULL,
    marks_moved INTEGER NOT NULL CHECK (marks_moved >= 0),
    first_mark_time TEXT,
    from_record_id TEXT,
    to_record_id TEXT,
    reason TEXT NOT NULL,
    timestamp TEXT NOT NULL
);
CREATE INDEX attendance_corrections_ts ON attendance_corrections (timestamp);
"""

_V7 = """
CREATE TABLE zone_events (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    track_id INTEGER NOT NULL,
    class_name TEXT NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('dwell', 'restricted_entry')),
    entered_at TEXT NOT NULL,
    dwell_s REAL NOT NULL CHECK (dwell_s >= 0),
    timestamp TEXT NOT NULL
);
CREATE INDEX zone_events_ts ON zone_events (timestamp);
CREATE INDEX zone_events_zone ON zone_events (camera_id, zone_id, timestamp);
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7)
"""``MIGRATIONS[i]`` upgrades a database from version ``i`` to ``i + 1``."""


def connect(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open the database with the pragmas every connection needs.

    WAL lets readers run beside the single writer; ``synchronous=NORMAL`` in WAL mode never
    corrupts the database and loses at most the last transactions on power loss.
    """
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10.0,
                               check_same_thread=False)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=10.0, isolation_level=None,
                               check_same_thread=False)
        # Takes effect only on a new, empty database (before WAL and the first table): lets
        # retention give space back in small steps (PRAGMA incremental_vacuum).
        conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.row_factory = sqlite3.Row
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date and return its version.

    Raises:
        RuntimeError: the database is newer than this program knows (never downgrade it).
    """
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"database schema version {version} is newer than this program's "
            f"{len(MIGRATIONS)}; refusing to touch it"
        )
    for target in range(version + 1, len(MIGRATIONS) + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _split(MIGRATIONS[target - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={target}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)


def _split(script: str) -> list[str]:
    # executescript() would commit the open transaction; run statements one by one instead.
    return [s.strip() for s in script.split(";") if s.strip()]
