#!/usr/bin/env bash
# Install what the test suite needs from Debian, so no test skips for want of a service:
#   GStreamer RTSP server + python3-gi (a real RTSP camera on loopback for capture tests;
#   gstreamer1.0-x carries the Pango clockoverlay the test stream stamps its frames with),
#   mosquitto (a real MQTT broker the sync tests start on loopback),
#   systemd (systemd-analyze verify/security on the unit), prometheus (promtool, and a real
#   Prometheus the metrics test starts on loopback),
#   chromium + fonts-dejavu-core (the browser the console's Playwright tests drive through
#   tests/browser_support.py; Playwright cannot download its own browser here, and the fonts
#   keep screenshots readable).
# Idempotent; needs root (or sudo) only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-base
      gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad
      gstreamer1.0-x
      mosquitto systemd prometheus chromium fonts-dejavu-core)

missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

/usr/bin/python3 - <<'PY'
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer  # noqa: F401
Gst.init(None)
for element in ("x264enc", "rtph264pay", "videotestsrc", "decodebin", "clockoverlay"):
    assert Gst.ElementFactory.find(element), f"GStreamer element {element} missing"
PY
# The tests start their own brokers; the Debian service would hold port 1883 for nothing.
for svc in mosquitto prometheus; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done
for tool in /usr/sbin/mosquitto /usr/bin/promtool /usr/bin/prometheus /usr/bin/systemd-analyze; do
  test -x "$tool" || { echo "$tool missing" >&2; exit 1; }
done
.venv/bin/python -c 'import cv2; assert cv2.videoio_registry.hasBackend(cv2.CAP_FFMPEG), "OpenCV lacks FFmpeg"'
test -x /usr/bin/chromium || { echo "/usr/bin/chromium missing" >&2; exit 1; }
# Debian's wrapper warns on stderr when /dev/shm is mounted twice (containers); harmless.
/usr/bin/chromium --version 2>/dev/null
echo "test services ready"
