"""Turn the request's base64 frame into a BGR image, or a precise client error."""

from __future__ import annotations

import base64
import binascii
import io

import cv2
import numpy as np
from PIL import Image


class FrameError(Exception):
    """The frame cannot be used; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def decode_frame(data: str, max_pixels: int) -> np.ndarray:
    """Decode a base64 JPEG/PNG (optionally a ``data:`` URL) into a BGR ``uint8`` image.

    The size is read from the header before decoding, so an oversized image is refused
    without allocating it.

    Raises:
        FrameError: 400 for bad base64, empty or non-image bytes, or a zero-size image;
            413 for an image over ``max_pixels``.
    """
    if data.startswith("data:"):
        _, _, data = data.partition(",")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise FrameError(400, "frame is not valid base64") from None
    return decode_image(raw, max_pixels)


def decode_image(raw: bytes, max_pixels: int, label: str = "frame") -> np.ndarray:
    """Decode JPEG/PNG bytes into a BGR ``uint8`` image; ``label`` names it in errors.

    The size is read from the header before decoding, so an oversized image is refused
    without allocating it.

    Raises:
        FrameError: 400 for empty or non-image bytes or a zero-size image; 413 for an image
            over ``max_pixels``.
    """
    if not raw:
        raise FrameError(400, f"{label} is empty")
    try:
        with Image.open(io.BytesIO(raw)) as img:
            fmt, (width, height) = img.format, img.size
    except Exception:
        # Any failure to read the header means "not an image". Not only PIL's own errors:
        # ultralytics wraps Image.open and may raise ImportError for optional HEIF support.
        raise FrameError(400, f"{label} is not a JPEG or PNG image") from None
    if fmt not in {"JPEG", "PNG"}:
        raise FrameError(400, f"{label} is {fmt}, expected JPEG or PNG")
    if width == 0 or height == 0:
        raise FrameError(400, f"{label} has zero size ({width}x{height})")
    if width * height > max_pixels:
        raise FrameError(413, f"{label} is {width}x{height} = {width * height} pixels, over "
                              f"the limit of {max_pixels}")
    image = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise FrameError(400, f"{label} could not be decoded (truncated or corrupt image)")
    return image
