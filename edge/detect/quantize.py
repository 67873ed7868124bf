"""INT8 ONNX export for CPUs with VNNI/AMX: static quantisation calibrated on real frames.

ONNX Runtime runs int8 convolutions on the CPU's vector (VNNI) or matrix (AMX) units; on the
dev box's Xeon a YOLOv8s at batch 4 runs about 1.5x as fast through the daemon as its fp32
ONNX export. The price can be accuracy, so it is never chosen by ``format: auto``: a model runs
int8 only with ``format: onnx-int8``, after its counting error was checked on the site's own
video (``scripts/eval_counting.py``; README "Performance" has the PETS figures).

Calibration frames come from a video file or a folder of images of the site (the scene the
model will see), letterboxed the way ultralytics feeds the model; activation ranges are
percentiles (see :data:`PERCENTILE`). The detection head (the
last module: box decoding, distribution focal loss, class scores) stays in float: quantising
it costs most of the accuracy for little speed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    import onnx

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}

PERCENTILE = 99.99
"""Activation ranges are the 99.99th percentile of what the calibration frames produce, not
the extremes: with min/max ranges the PETS counting error rose from 6.5 % to 9.6 %; with
these it stayed at 6.5 % (calibrated on the bikes clip, another scene)."""


def calibration_frames(source: Path, count: int) -> list[np.ndarray]:
    """Up to ``count`` BGR frames spread over a video file or a folder of images.

    Raises:
        ValueError: the source is missing, unreadable or holds no frame.
    """
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        step = max(1, len(files) // max(count, 1))
        frames = [img for p in files[::step][:count] if (img := cv2.imread(str(p))) is not None]
    elif source.is_file():
        cap = cv2.VideoCapture(str(source))
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or count
        step = max(1, total // max(count, 1))
        frames = []
        i = 0
        while len(frames) < count:
            ok, img = cap.read()
            if not ok:
                break
            if i % step == 0:
                frames.append(img)
            i += 1
        cap.release()
    else:
        raise ValueError(f"calibration source {source}: no such file or folder")
    if not frames:
        raise ValueError(f"calibration source {source}: no readable frame")
    return frames


def letterbox(img: np.ndarray, imgsz: int, stride: int = 32) -> np.ndarray:
    """``img`` as the model's input tensor ``(1, 3, H, W)``: longest side ``imgsz``, padded
    grey to a multiple of ``stride`` by ultralytics' own ``LetterBox`` (its rectangular
    inference), so calibration sees what the model will see."""
    from ultralytics.data.augment import LetterBox

    img = LetterBox((imgsz, imgsz), auto=True, stride=stride)(image=img)
    return (img[..., ::-1].transpose(2, 0, 1)[np.newaxis] / 255.0).astype(np.float32)


def head_nodes(graph: onnx.GraphProto) -> list[str]:
    """Names of the nodes of the model's last module (``/model.N/...``), the detection head."""
    index = [int(m.group(1)) for n in graph.node if (m := re.match(r"/model\.(\d+)/", n.name))]
    if not index:
        return []
    last = f"/model.{max(index)}/"
    return [n.name for n in graph.node if n.name.startswith(last)]


def quantize_onnx(fp32: Path, out: Path, frames: list[np.ndarray], imgsz: int) -> Path:
    """Write the int8 (QDQ, per-channel weights) version of the ``fp32`` ONNX export to
    ``out``, calibrated on ``frames``; the float model's metadata (class names, stride) is
    kept so ultralytics loads it as it loads the float one.

    Raises:
        RuntimeError: ONNX Runtime's quantiser failed (its message is kept).
    """
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    src = onnx.load(str(fp32), load_external_data=False)
    name = src.graph.input[0].name

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._it: Iterator[np.ndarray] = (letterbox(f, imgsz) for f in frames)

        def get_next(self) -> dict[str, np.ndarray] | None:
            x = next(self._it, None)
            return None if x is None else {name: x}

    try:
        quantize_static(str(fp32), str(out), Reader(), quant_format=QuantFormat.QDQ,
                        per_channel=True, weight_type=QuantType.QInt8,
                        activation_type=QuantType.QUInt8, nodes_to_exclude=head_nodes(src.graph),
                        calibrate_method=CalibrationMethod.Percentile,
                        extra_options={"CalibPercentile": PERCENTILE})
    except Exception as exc:
        raise RuntimeError(f"int8 quantisation of {fp32.name} failed: {exc}") from exc
    model = onnx.load(str(out))
    if not model.metadata_props:
        for prop in src.metadata_props:
            model.metadata_props.add(key=prop.key, value=prop.value)
        onnx.save(model, str(out))
    return out
