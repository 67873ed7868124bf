#!/usr/bin/python3
"""A real RTSP camera on loopback for tests and demos (GStreamer's RTSP server).

Serves a live H.264 test pattern, or a looped video file, at ``rtsp://127.0.0.1:PORT/cam``
and prints ``READY rtsp://...`` on stdout once it listens. Stops on SIGINT/SIGTERM.

Runs under Debian's python3 (packages gir1.2-gst-rtsp-server-1.0, python3-gi,
gstreamer1.0-plugins-base/good/ugly/bad); the venv's python cannot import ``gi``.

Example:
    /usr/bin/python3 scripts/rtsp_server.py --port 0 --fps 25 --size 640x480
    /usr/bin/python3 scripts/rtsp_server.py --file var/media/vtest.avi
    /usr/bin/python3 scripts/rtsp_server.py --fps 12 --header-fps 25  # says 25, sends 12
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
from pathlib import Path

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pipeline(args: argparse.Namespace) -> str:
    """The gst-launch description of the media the server streams."""
    width, height = (int(v) for v in args.size.split("x"))
    # A camera whose header lies: the encoder is told another rate than the frames' times.
    claim = (f"capssetter caps=\"video/x-raw,framerate={args.header_fps}/1\" ! "
             if args.header_fps else "")
    enc = (f"videoconvert ! video/x-raw,format=I420 ! {claim}x264enc tune=zerolatency "
           f"speed-preset=ultrafast key-int-max={args.fps} bitrate={args.bitrate} ! "
           f"rtph264pay name=pay0 pt=96 config-interval=1")
    if args.file:
        path = Path(args.file).resolve()
        # Looping a file: multifilesrc replays it; decodebin handles any container/codec.
        return (f"( multifilesrc location={path} loop=true ! decodebin ! videorate ! "
                f"video/x-raw,framerate={args.fps}/1 ! videoscale ! "
                f"video/x-raw,width={width},height={height} ! {enc} )")
    return (f"( videotestsrc is-live=true pattern={args.pattern} ! "
            f"video/x-raw,width={width},height={height},framerate={args.fps}/1 ! "
            f"clockoverlay ! {enc} )")


def main(argv: list[str] | None = None) -> int:
    """Start the server and run the GLib loop until a signal arrives."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=8554, help="0 picks a free port")
    ap.add_argument("--path", default="/cam")
    ap.add_argument("--fps", type=int, default=25)
    ap.add_argument("--header-fps", type=int, default=0,
                    help="the rate the stream's header claims (0: the true one)")
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--bitrate", type=int, default=1500, help="kbit/s")
    ap.add_argument("--pattern", default="ball")
    ap.add_argument("--file", help="loop this video instead of a test pattern")
    args = ap.parse_args(argv)
    if args.file and not Path(args.file).is_file():
        print(f"rtsp_server: file not found: {args.file}", file=sys.stderr)
        return 2
    Gst.init(None)
    port = args.port or free_port()
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(pipeline(args))
    factory.set_shared(True)
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f"rtsp_server: cannot listen on 127.0.0.1:{port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    # Python's signal.signal handlers never run while the GLib loop blocks in C.
    for sig in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, loop.quit)
    print(f"READY rtsp://127.0.0.1:{port}{args.path}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
