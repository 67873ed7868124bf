"""OCR engines behind one interface: RapidOCR (PP-OCRv4 on ONNX Runtime) and EasyOCR.

Both return the plate line of a plate crop: the crop is enlarged to a readable height, text
boxes much shorter than the tallest one (state names, dealer frames, slogans) are dropped,
and the rest is joined left to right and normalised.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from edge.anpr.formats import normalise

PLATE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass(frozen=True)
class OcrText:
    """What an engine read on a plate crop."""

    text: str
    raw: str
    confidence: float


class OcrEngine(Protocol):
    """Reads the plate line of a plate crop."""

    name: str

    def read(self, crop_bgr: np.ndarray) -> OcrText: ...


def prepare(crop_bgr: np.ndarray, height: int = 96) -> np.ndarray:
    """Enlarge small crops to ``height`` px and pad them (detectors miss text at the edge)."""
    h = crop_bgr.shape[0]
    if h < height:
        crop_bgr = cv2.resize(crop_bgr, None, fx=height / h, fy=height / h,
                              interpolation=cv2.INTER_CUBIC)
    return cv2.copyMakeBorder(crop_bgr, 16, 16, 16, 16, cv2.BORDER_REPLICATE)


def plate_line(boxes: list[tuple[np.ndarray, str, float]], keep: float = 0.6) -> OcrText:
    """Join the tallest text boxes left to right: the plate's characters."""
    boxes = [(np.asarray(b, np.float32).reshape(-1, 2), t, float(c)) for b, t, c in boxes
             if normalise(t)]
    if not boxes:
        return OcrText("", "", 0.0)
    heights = [float(b[:, 1].max() - b[:, 1].min()) for b, _, _ in boxes]
    tallest = max(heights)
    line = sorted(((b, t, c) for (b, t, c), h in zip(boxes, heights, strict=True)
                   if h >= keep * tallest), key=lambda x: float(x[0][:, 0].min()))
    raw = " ".join(t for _, t, _ in line)
    conf = float(np.mean([c for _, _, c in line]))
    return OcrText(normalise(raw), raw, round(conf, 4))


class RapidOcrEngine:
    """PP-OCRv4 detection + recognition on ONNX Runtime (models ship in the wheel)."""

    name = "rapidocr"

    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self._ocr = RapidOCR()
        self._lock = threading.Lock()

    def read(self, crop_bgr: np.ndarray) -> OcrText:
        """The plate line of ``crop_bgr``."""
        with self._lock:
            result, _ = self._ocr(prepare(crop_bgr))
        return plate_line([(r[0], r[1], r[2]) for r in (result or [])])


class EasyOcrEngine:
    """EasyOCR (CRAFT + English recogniser) with offline weights and a plate allowlist."""

    name = "easyocr"

    def __init__(self, model_dir: str | None = None, gpu: bool = False) -> None:
        import easyocr

        if model_dir is None:
            import easyocr_en_models

            model_dir = str(Path(easyocr_en_models.__file__).parent / "models")
        self._reader = easyocr.Reader(["en"], gpu=gpu, model_storage_directory=model_dir,
                                      download_enabled=False, verbose=False)
        self._lock = threading.Lock()

    def read(self, crop_bgr: np.ndarray) -> OcrText:
        """The plate line of ``crop_bgr``."""
        with self._lock:
            result = self._reader.readtext(prepare(crop_bgr), allowlist=PLATE_CHARS)
        return plate_line([(r[0], r[1], r[2]) for r in result])


def make_engine(name: str) -> OcrEngine:
    """``rapidocr`` or ``easyocr``.

    Raises:
        ValueError: unknown engine name.
    """
    if name == "rapidocr":
        return RapidOcrEngine()
    if name == "easyocr":
        return EasyOcrEngine()
    raise ValueError(f"unknown OCR engine {name!r}; use rapidocr or easyocr")
