"""ANPR room: plate localisation, OCR, formats, per-track voting, allow/deny lists."""
