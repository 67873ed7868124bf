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
FRAME_AGE = Histogram(
    "edge_frame_age_seconds", "Age of a frame when inference takes it", ["camera"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2))

# inference
INFERENCE_SECONDS = Histogram(
    "edge_inference_batch_seconds", "Wall time of one batched predict call", ["model"],
    buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2))
INFERENCE_BATCH = Histogram("edge_inference_batch_size", "Frames per predict call",
                            buckets=(1, 2, 4, 8, 16, 32))
FRAMES_PROCESSED = Counter("edge_frames_processed_total", "Frames through the pipeline",
                           ["camera"])
STEP_SECONDS = Histogram(
    "edge_pipeline_step_seconds", "Tracking, counting and event emission per frame",
    ["camera"], buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1))
LOOP_ERRORS = Counter("edge_inference_errors_total", "Inference passes that raised")

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

# process
PROCESS_CPU = Gauge("edge_process_cpu_percent", "CPU use of the daemon (100 = one core)")


def serve(host: str, port: int) -> int:
    """Start the exporter thread; return the bound port (useful with ``port=0``)."""
    server, _thread = start_http_server(port, addr=host)
    return int(server.server_address[1])
