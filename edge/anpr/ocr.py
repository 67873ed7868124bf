"""OCR engines behind one interface: RapidOCR (PP-OCR on ONNX Runtime: the wheel's text
detector, and its PP-OCRv4 recogniser or PP-OCRv6 small from ``edge model fetch``) and
EasyOCR.

Both return the plate line of an image: a plate crop is first scaled to a given height and
padded (the text detector misses text that fills the whole picture or sits at its edge), text
boxes much shorter than the tallest one (state names, dealer frames, slogans) are dropped, and
the rest is joined left to right and normalised.

RapidOCR's detector by default scales every picture *up* until its short side is 736 px; on a
plate crop that makes characters ~300 px tall, which PP-OCR's detector mostly misses (and it
costs ~0.5 s). Here the detector only scales *down* (long side at most 960 px) and the caller
chooses the plate's height (see ``edge.anpr.reader``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from edge.anpr.ctc import PLATE_CHARS, best_path, fold, plate_columns
from edge.anpr.formats import normalise

Line = tuple[np.ndarray, str, float, "np.ndarray | None"]
"""One text box: its corner points, text, confidence and lattice (or None)."""


@dataclass(frozen=True)
class OcrText:
    """What an engine read on a plate crop."""

    text: str
    raw: str
    confidence: float
    lattice: np.ndarray | None = field(default=None, compare=False, repr=False)
    """The recogniser's per-frame probabilities over the plate alphabet for the plate line
    (see :mod:`edge.anpr.ctc`), when the engine exposes them; the format correction then
    searches it instead of substituting characters."""
    span: tuple[float, float] | None = field(default=None, compare=False)
    """Left and right edge of the plate line as shares of the input image's width (below 0
    or above 1 when the text runs into the padding: the crop cut the plate there)."""
    boxes: tuple[OcrText, ...] = field(default=(), compare=False, repr=False)
    """Every text box read, each on its own (a scene's candidates besides the joined line:
    see ``PlateReader.read``)."""


class OcrEngine(Protocol):
    """Reads the plate line of an image."""

    name: str

    def read(self, image_bgr: np.ndarray, height: int | None = None) -> OcrText:
        """The plate line; ``height``: scale a plate crop to this many pixels first (None:
        a scene, read as it is)."""
        ...


PAD = 0.3
"""Padding around a plate crop, as a share of its height (see :func:`prepare`)."""


def prepare(crop_bgr: np.ndarray, height: int, pad: float = PAD) -> np.ndarray:
    """Scale a plate crop to ``height`` px and pad it by ``pad`` x height on every side."""
    h = crop_bgr.shape[0]
    if h != height:
        crop_bgr = cv2.resize(crop_bgr, None, fx=height / h, fy=height / h,
                              interpolation=cv2.INTER_CUBIC if h < height else cv2.INTER_AREA)
    p = int(pad * height)
    return cv2.copyMakeBorder(crop_bgr, p, p, p, p, cv2.BORDER_REPLICATE)


DET_SIDE = 960
"""Longest side RapidOCR's text detector works at (larger pictures are scaled down to it)."""


def scene(image_bgr: np.ndarray, long_side: int = DET_SIDE) -> np.ndarray:
    """A scene enlarged so its longest side is ``long_side`` (never shrunk here): the lower
    part of a small vehicle box would otherwise hold plate text a few pixels tall."""
    h, w = image_bgr.shape[:2]
    if max(h, w) >= long_side:
        return image_bgr
    f = long_side / max(h, w)
    return cv2.resize(image_bgr, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC)


def _drop_first_char(lat: np.ndarray) -> np.ndarray:
    """``lat`` with the frames of its first emitted character turned to blank."""
    idx = lat.argmax(axis=1)
    nz = np.flatnonzero(idx)
    if not nz.size:
        return lat
    end = int(nz[0])
    while end < len(idx) and idx[end] == idx[nz[0]]:
        end += 1
    lat = lat.copy()
    lat[:end] = 0.0
    lat[:end, 0] = 1.0
    return lat


def plate_line(boxes: list[Line], keep: float = 0.7) -> OcrText:
    """Join the tallest text boxes left to right: the plate's characters.

    When a gap or an emblem splits the plate into two boxes that overlap, the recogniser
    often reads the character at the seam in both (``MZA2`` + ``275``); that repeat is dropped.
    Lattices (when given) are joined the same way, a blank frame between two boxes.
    """
    boxes = [(np.asarray(b, np.float32).reshape(-1, 2), t, float(c), lat)
             for b, t, c, lat in boxes if normalise(t)]
    if not boxes:
        return OcrText("", "", 0.0)
    heights = [float(b[:, 1].max() - b[:, 1].min()) for b, _, _, _ in boxes]
    tallest = max(heights)
    line = sorted((box for box, h in zip(boxes, heights, strict=True) if h >= keep * tallest),
                  key=lambda x: float(x[0][:, 0].min()))
    text, right = "", None
    lattices: list[np.ndarray] = []
    gap = np.zeros((1, 1 + len(PLATE_CHARS)), np.float32)
    gap[0, 0] = 1.0
    for b, t, _, lat in line:
        chars = normalise(t)
        x1, x2 = float(b[:, 0].min()), float(b[:, 0].max())
        seam = right is not None and x1 < right + 0.1 * (x2 - x1) / len(chars)
        if seam and text and text[-1] == chars[0]:
            chars = chars[1:]
            lat = _drop_first_char(lat) if lat is not None else None
        text, right = text + chars, x2
        if lat is not None:
            lattices.extend([gap, lat] if lattices else [lat])
    raw = " ".join(t for _, t, _, _ in line)
    conf = float(np.mean([c for _, _, c, _ in line]))
    joined = np.concatenate(lattices) if len(lattices) and all(
        x[3] is not None for x in line) else None
    x1, x2 = float(line[0][0][:, 0].min()), max(float(b[:, 0].max()) for b, *_ in line)
    each = tuple(OcrText(normalise(t), t, round(c, 4), lat,
                         (float(b[:, 0].min()), float(b[:, 0].max()))) for b, t, c, lat in boxes)
    return OcrText(text, raw, round(conf, 4), joined, (x1, x2), each)


def crop_span(text: OcrText, crop_width: int, height: int | None, crop_height: int,
              pad: float = PAD) -> OcrText:
    """``text`` with its span (pixels of the prepared image, see :func:`prepare`) turned
    into shares of the original crop's width."""
    if text.span is None or crop_width <= 0:
        return text
    scale = height / crop_height if height else 1.0
    p = int(pad * height) if height else 0
    x1, x2 = ((x - p) / scale / crop_width for x in text.span)
    boxes = tuple(crop_span(b, crop_width, height, crop_height, pad) for b in text.boxes)
    return replace(text, span=(round(x1, 4), round(x2, 4)), boxes=boxes)


class Recogniser:
    """A PP-OCR text recogniser (CTC over its own alphabet) whose output is folded onto the
    plate alphabet.

    Args:
        name: for logs and the evaluation.
        run: ``(1, 3, 48, W)`` normalised image -> ``(1, W / 8, C)`` class probabilities.
        charset: the recogniser's classes, ``charset[0]`` the CTC blank.
    """

    def __init__(self, name: str, run: Callable[[np.ndarray], np.ndarray],
                 charset: list[str]) -> None:
        self.name = name
        self._run = run
        self._columns = plate_columns(charset)

    @classmethod
    def from_files(cls, name: str, model: Path, alphabet: Path,
                   threads: int | None = None) -> Recogniser:
        """A PaddleOCR recogniser exported to ONNX (``model``) and its dictionary file (one
        class per line; the blank and a trailing space are added as PaddleOCR does).

        Raises:
            FileNotFoundError: a file is missing (``edge model fetch`` installs them).
            ValueError: the alphabet does not match the model's classes.
        """
        import onnxruntime as ort

        for path in (model, alphabet):
            if not path.is_file():
                raise FileNotFoundError(
                    f"recogniser {name}: {path} not found; run `edge model fetch`")
        session = ort.InferenceSession(str(model), sess_options=session_options(threads),
                                       providers=["CPUExecutionProvider"])
        feed = session.get_inputs()[0].name
        chars = ["blank", *alphabet.read_text(encoding="utf-8").splitlines(), " "]
        classes = session.get_outputs()[0].shape[-1]
        if isinstance(classes, int) and classes != len(chars):
            raise ValueError(f"recogniser {name}: {model.name} has {classes} classes but "
                             f"{alphabet.name} gives {len(chars)} (blank + lines + space)")
        return cls(name, lambda x: session.run(None, {feed: x})[0], chars)

    def lattice(self, x: np.ndarray, used: float = 1.0) -> np.ndarray:
        """The plate lattice of one prepared text box (``used``: the share of its width that
        is text, not padding; the frames past it are dropped)."""
        probs = self._run(x)[0]
        frames = max(1, min(len(probs), int(np.ceil(len(probs) * used))))
        return fold(probs[:frames], self._columns)


RECOGNISERS: dict[str, tuple[str, str]] = {"ppocrv6": ("ppocrv6-rec.onnx", "ppocrv6-dict.txt")}
"""Recognisers besides the rapidocr wheel's own ``ppocrv4``: their model and alphabet file
names in the models directory (``edge model fetch`` installs them)."""


class RapidOcrEngine:
    """PP-OCR detection + recognition on ONNX Runtime.

    Args:
        recogniser: the text recogniser's name: ``ppocrv4`` ships in the rapidocr wheel, the
            others (:data:`RECOGNISERS`) are files in ``models_dir``.
        models_dir: where those files are.
        threads: ONNX Runtime threads of each model (None: its default, every core).

    Raises:
        ValueError: an unknown recogniser name.
        FileNotFoundError: the recogniser's files are missing.
    """

    name = "rapidocr"

    min_score = 0.5
    """Text boxes read with less mean confidence are dropped (RapidOCR's ``text_score``)."""

    def __init__(self, recogniser: str = "ppocrv4", models_dir: Path = Path("models"),
                 threads: int | None = None) -> None:
        from rapidocr_onnxruntime import RapidOCR

        if recogniser != "ppocrv4" and recogniser not in RECOGNISERS:
            raise ValueError(f"unknown recogniser {recogniser!r}; use "
                             f"{' or '.join(['ppocrv4', *RECOGNISERS])}")
        counts = {"intra_op_num_threads": threads, "inter_op_num_threads": 1} if threads else {}
        self._ocr = RapidOCR(det_limit_type="max", det_limit_side_len=DET_SIDE, **counts)
        rec = self._ocr.text_rec
        if recogniser == "ppocrv4":
            self.recogniser = Recogniser(recogniser, lambda x: rec.session(x)[0],
                                         list(rec.postprocess_op.character))
        else:
            model, alphabet = RECOGNISERS[recogniser]
            self.recogniser = Recogniser.from_files(recogniser, models_dir / model,
                                                    models_dir / alphabet, threads)
        self._lock = threading.Lock()

    def read(self, image_bgr: np.ndarray, height: int | None = None) -> OcrText:
        """The plate line of ``image_bgr`` (see :class:`OcrEngine`), with its lattice.

        RapidOCR's detector and recogniser are run step by step (the wheel's own pipeline
        decodes only the best path over its 6,600-character alphabet): each text box's
        probabilities are folded onto the plate alphabet, so a dash, a dot or an emblem can
        never become a character, and the format search sees the second choices.
        """
        image = prepare(image_bgr, height) if height else scene(image_bgr)
        with self._lock:
            lines = self._lines(image)
        return _in_crop(plate_line(lines), image_bgr, image, height)

    def _lines(self, image: np.ndarray) -> list[Line]:
        ocr = self._ocr
        img, _, _ = ocr.preprocess(image)
        img, _ = ocr.maybe_add_letterbox(img, {})
        boxes, _ = ocr.auto_text_det(img)
        if boxes is None:
            return []
        rec = ocr.text_rec
        _, rec_h, rec_w = rec.rec_image_shape
        out: list[Line] = []
        for box, crop in zip(boxes, ocr.get_crop_img_list(img, boxes), strict=True):
            aspect = crop.shape[1] / max(crop.shape[0], 1)
            ratio = max(rec_w / rec_h, aspect)
            x = rec.resize_norm_img(crop, ratio)[np.newaxis].astype(np.float32)
            lat = self.recogniser.lattice(x, aspect / ratio)
            text, _, confs = best_path(lat)
            conf = float(np.mean(confs)) if confs else 0.0
            if text and conf >= self.min_score:
                out.append((box, text, conf, lat))
        return out


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

    def read(self, image_bgr: np.ndarray, height: int | None = None) -> OcrText:
        """The plate line of ``image_bgr`` (see :class:`OcrEngine`)."""
        image = prepare(image_bgr, height) if height else image_bgr
        with self._lock:
            result = self._reader.readtext(image, allowlist=PLATE_CHARS)
        return _in_crop(plate_line([(r[0], r[1], r[2], None) for r in result]), image_bgr,
                        image, height)


def _in_crop(text: OcrText, original: np.ndarray, read: np.ndarray, height: int | None
             ) -> OcrText:
    """``text`` read on ``read`` (``original`` prepared at ``height``, or a scene scaled
    uniformly), its span as shares of ``original``'s width."""
    if height:
        return crop_span(text, original.shape[1], height, original.shape[0])
    return crop_span(text, read.shape[1], None, read.shape[0])


def session_options(threads: int | None) -> Any:
    """ONNX Runtime session options: its defaults for None (every core); with ``threads``,
    that many threads, one operator at a time, none spinning while idle (on an edge box the
    inference loop needs the cores between reads)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return opts


def make_engine(name: str, recogniser: str = "ppocrv4", models_dir: Path = Path("models"),
                threads: int | None = None) -> OcrEngine:
    """``rapidocr`` (with ``recogniser``, see :class:`RapidOcrEngine`) or ``easyocr``;
    ``threads``: the CPU threads of each of RapidOCR's models (EasyOCR's are set on the
    thread that reads, :class:`edge.anpr.service.AnprService`).

    Raises:
        ValueError: unknown engine or recogniser name.
        FileNotFoundError: the recogniser's files are not in ``models_dir``.
    """
    if name == "rapidocr":
        return RapidOcrEngine(recogniser, models_dir, threads)
    if name == "easyocr":
        return EasyOcrEngine()
    raise ValueError(f"unknown OCR engine {name!r}; use rapidocr or easyocr")
