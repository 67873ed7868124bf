"""Every Prometheus metric of the daemon, defined in one place.

Names carry their unit; counters end in ``_total``. Per-camera series are labelled
``camera``; line series also ``line`` and ``direction``.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

# capture
CAMERA_UP = Gauge("edge_camera_up", "1 while the camera delivers frames", ["camera"])
CAMERA_FRAMES = Counter("edge_camera_frames_total", "Frames decoded", ["camera"])
CAMERA_DROPPED = Counter(
    "edge_camera_frames_dropped_total",
    "Decoded frames replaced in the slot before inference took them", ["camera"])
CAMERA_RECONNECTS = Counter("edge_camera_reconnects_total", "Stream reopen attempts",
                            ["camera"])
CAMERA_LAST_FRAME_AGE = Gauge("edge_camera_last_frame_age_seconds",
                              "Seconds since the last decoded frame", ["camera"])
CAMERA_DECODE_FPS = Gauge("edge_camera_decode_fps", "Decoded frames per second", ["camera"])
CAMERA_FPS = Gauge(
    "edge_camera_fps", "Frame rate the camera's tracker and lines time by (its configured fps, "
    "else its stream's timestamps', else its reported one; fps_cap applied; 0: not known)",
    ["camera"])
CAMERA_STAMP_FPS = Gauge(
    "edge_camera_stamp_fps", "Frame rate the stream's own timestamps say its frames are sent "
    "at (0: not measured; files are not)", ["camera"])
CAMERA_FRAME_GAP = Gauge(
    "edge_camera_frame_gap",
    "Typical camera frames between two analysed frames (1: every frame analysed)", ["camera"])
FRAME_AGE = Histogram(
    "edge_frame_age_seconds", "Age of a frame when inference takes it", ["camera"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2))

# inference
INFERENCE_SECONDS = Histogram(
    "edge_inference_batch_seconds", "Wall time of one batched predict call", ["model"],
    buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2))
REFINED_FRAMES = Counter(
    "edge_refined_frames_total", "Frames a model's refiner ran on (refined) or skipped "
    "because no box was near a counting line or zone edge (models[].refine.near)",
    ["model", "outcome"])
INFERENCE_BATCH = Histogram("edge_inference_batch_size", "Frames per predict call",
                            buckets=(1, 2, 4, 8, 16, 32))
FRAMES_PROCESSED = Counter("edge_frames_processed_total", "Frames through the pipeline",
                           ["camera"])
STEP_SECONDS = Histogram(
    "edge_pipeline_step_seconds", "Tracking, counting and event emission per frame",
    ["camera"], buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1))
LOOP_ERRORS = Counter("edge_inference_errors_total", "Inference passes that raised")
VEHICLE_MODEL_SILENT = Gauge(
    "edge_vehicle_model_silent_seconds",
    "Seconds of changing picture since this vehicle model last detected a vehicle on this "
    "camera (0 right after a detection; edge doctor warns past the model's silent_warn_s)",
    ["camera", "model"])
CAMERA_PICTURE_CHANGES = Counter(
    "edge_camera_picture_changes_total",
    "Picture samples (at most one a second) that differed from the previous one", ["camera"])

# analytics
DETECTIONS = Gauge("edge_objects_in_view", "Tracked objects in the last frame",
                   ["camera", "class_name"])
CROSSINGS = Counter("edge_line_crossings_total", "Counted line crossings",
                    ["camera", "line", "direction"])
OCCUPANCY = Gauge("edge_occupancy_people", "People inside, per camera", ["camera"])
SITE_OCCUPANCY = Gauge("edge_site_occupancy_people", "People inside the site")
OCCUPANCY_CLAMPED = Counter(
    "edge_occupancy_clamped_total",
    "Exits that would have taken occupancy below zero (ignored)", ["camera"])

# store
STORE_COMMITTED = Counter("edge_store_events_committed_total", "Events committed to SQLite")
STORE_FAILED = Counter("edge_store_events_failed_total", "Events the store rejected")
STORE_DROPPED = Counter("edge_store_events_dropped_total",
                        "Events dropped because the writer queue stayed full")
STORE_BATCH_SECONDS = Histogram(
    "edge_store_batch_seconds", "Time to commit one batch",
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0))
STORE_BACKLOG = Gauge("edge_store_backlog_events", "Events waiting for the writer")
EVENT_COMMIT_AGE = Histogram(
    "edge_event_commit_age_seconds",
    "From an event's time (its frame's capture) to its commit in SQLite",
    buckets=(0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8))

# track services (identity, ANPR)
SERVICE_ERRORS = Counter("edge_service_errors_total",
                         "Track-service observe calls that raised", ["service"])

# identity
IDENTITY_CLOUD_CALLS = Counter("edge_identity_cloud_calls_total",
                               "Calls to the cloud face service", ["operation", "outcome"])
IDENTITY_COST = Counter("edge_identity_cost_usd_total",
                        "Estimated cost of cloud face calls (configured price per call)")
IDENTITY_CACHE = Counter("edge_identity_cache_total",
                         "Per-track cache lookups", ["result"])  # hit | miss
IDENTITY_SECONDS = Histogram(
    "edge_identity_seconds", "Face job time: crop, gate, backend", ["backend"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2))
IDENTITY_ANSWERS = Counter("edge_identity_answers_total", "Backend answers", ["source"])
IDENTITY_GATE_REJECTED = Counter("edge_identity_gate_rejected_total",
                                 "Face crops refused by the quality gate", ["reason"])
IDENTITY_QUEUE_DROPPED = Counter("edge_identity_queue_dropped_total",
                                 "Face jobs dropped because the queue was full")
IDENTITY_BREAKER_STATE = Gauge("edge_identity_breaker_state",
                               "Circuit breaker: 0 closed, 1 half-open, 2 open")
IDENTITY_BUDGET_REFUSED = Counter("edge_identity_budget_refused_total",
                                  "Cloud calls not made because a budget was spent",
                                  ["window"])
ATTENDANCE_MARKS = Counter("edge_attendance_marks_total", "Attendance changes",
                           ["action", "status"])
ZONE_INSIDE = Gauge("edge_zone_inside", "Tracked objects inside a polygon zone now",
                    ["camera", "zone"])
ZONE_EVENTS = Counter("edge_zone_events_total", "Zone events (dwell, restricted_entry)",
                      ["camera", "zone", "event"])
ATTENDANCE_CORRECTIONS = Counter(
    "edge_attendance_corrections_total",
    "Attendance marks moved to another employee after a track's name was corrected, by why "
    "the name was doubted", ["reason"])
IDENTITY_DOUBTS = Counter(
    "edge_identity_doubts_total",
    "Named person tracks whose name was put in doubt (the id may have passed to another "
    "person), by reason", ["reason"])
IDENTITY_CORRECTIONS = Counter(
    "edge_identity_corrections_total",
    "Doubted track names that a new answer replaced with another employee")

# ANPR
ANPR_READS = Counter("edge_anpr_reads_total", "OCR reads of plate crops", ["engine"])
ANPR_READ_SECONDS = Histogram(
    "edge_anpr_read_seconds", "Plate localisation + OCR per vehicle crop", ["engine"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2))
ANPR_DECIDED = Counter("edge_anpr_plates_decided_total", "Vehicles with a decided plate",
                       ["status"])
ANPR_QUEUE_DROPPED = Counter("edge_anpr_queue_dropped_total",
                             "Plate jobs dropped because the queue was full")

# sync
SYNC_BACKLOG = Gauge("edge_sync_backlog_rows", "Outbox rows not yet acknowledged", ["sink"])
SYNC_OLDEST_AGE = Gauge("edge_sync_oldest_unsent_age_seconds",
                        "Age of the oldest unsent outbox row", ["sink"])
SYNC_SENT = Counter("edge_sync_sent_total", "Events acknowledged by a sink", ["sink"])
SYNC_FAILED = Counter("edge_sync_failed_total", "Failed publish attempts", ["sink"])
SYNC_DROPPED = Counter("edge_sync_dropped_total", "Outbox rows dropped by the backlog cap",
                       ["type"])
SYNC_PUBLISH_SECONDS = Histogram(
    "edge_sync_publish_seconds", "Time from publish to acknowledgement of a batch", ["sink"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0))

# retention and disk
RETENTION_DELETED = Counter("edge_retention_deleted_rows_total",
                            "Rows deleted by retention", ["table"])
DISK_FREE = Gauge("edge_disk_free_bytes", "Free space on the store's file system")
DISK_GUARD_SKIPPED = Counter("edge_disk_guard_skipped_files_total",
                             "Files (face crops) not written because the disk is nearly full")

# process
PROCESS_CPU = Gauge("edge_process_cpu_percent", "CPU use of the daemon (100 = one core)")


FRAMES_GATED = Counter("edge_frames_gated_total",
                       "Frames not sent to the detector: no motion, no live track",
                       ["camera"])

# operator console
UI_FRAMES_ENCODED = Counter("edge_ui_frames_encoded_total",
                            "Annotated live pictures drawn and encoded for the console",
                            ["camera"])
UI_LOGINS = Counter("edge_ui_logins_total", "Console login attempts", ["result"])


def serve(host: str, port: int) -> int:
    """Start the exporter thread; return the bound port (useful with ``port=0``)."""
    server, _thread = start_http_server(port, addr=host)
    return int(server.server_address[1])
