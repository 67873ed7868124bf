#!/usr/bin/env bash
# Services and tools the test suite needs; installed here so no test skips for want of them.
# (Issues 3 and 7 add the RTSP server and mosquitto; this foundation needs only sqlite3 and
# ffmpeg-capable OpenCV, which come with the venv.)
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -c 'import cv2, sqlite3; assert cv2.videoio_registry.hasBackend(cv2.CAP_FFMPEG), "OpenCV lacks FFmpeg"'
