"""API room: FastAPI app (legacy /api/process, status routes), served inside the daemon."""
