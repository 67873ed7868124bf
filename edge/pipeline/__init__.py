"""Pipeline room: the per-camera step, the shared inference loop and the cameras it reads
(:mod:`edge.pipeline.cameras`), the track-service contract and worker pools, the HTTP
shim's single-frame path, statistics, occupancy resets, the control poller and the
blind-spot watch."""
