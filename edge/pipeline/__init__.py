"""Pipeline room: the per-camera step and the shared inference loop."""
