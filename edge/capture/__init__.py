"""Capture room: one thread per camera (open with timeouts, newest-frame slot, reconnect
with backoff), a per-camera motion test, the RTSP transport gate, and the supervisor that
restarts dead or stuck capture threads."""
