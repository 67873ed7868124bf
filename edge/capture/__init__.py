"""Capture room: one thread per camera, newest-frame slot, reconnects."""
