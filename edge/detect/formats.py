"""Model formats: which exported artefact to run for a ``.pt`` model on a device, and export.

Exports live next to their ``.pt`` under ultralytics' own names (``x.onnx``,
``x_openvino_model/``, ``x.engine``). ``auto`` picks, by measurement on this project's CPU
boxes and NVIDIA's guidance for CUDA/Jetson:

* CPU: ONNX Runtime (7.2-7.4 frames/s on the 2-core dev box vs 6.6 for PyTorch and 7.5 for
  OpenVINO, YOLOv8s at 640, batch 4: OpenVINO is within noise and an optional extra), then
  OpenVINO, then PyTorch;
* CUDA / Jetson: a TensorRT engine, then PyTorch (fp16 when ``half``).

``onnx-int8`` (``x-int8.onnx``, see :mod:`edge.detect.quantize`) is faster again on CPUs with
VNNI/AMX but may count less accurately on a given site, so ``auto`` never picks it: it runs
only when asked for.

An export is used only when it is newer than its ``.pt`` (a stale export would silently run
old weights) and its runtime is installed; otherwise the ``.pt`` runs and the log says why.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

Format = Literal["pytorch", "onnx", "onnx-int8", "openvino", "engine"]
FORMATS: tuple[str, ...] = ("pytorch", "onnx", "onnx-int8", "openvino", "engine")

_RUNTIME = {"onnx": "onnxruntime", "onnx-int8": "onnxruntime", "openvino": "openvino",
            "engine": "tensorrt"}
_PREFERENCE = {"cpu": ("onnx", "openvino"), "cuda": ("engine",), "mps": ()}


def export_path(pt: Path, fmt: str) -> Path:
    """Where ultralytics writes the ``fmt`` export of ``pt``."""
    if fmt == "openvino":
        return pt.with_name(f"{pt.stem}_openvino_model")
    if fmt == "onnx":
        return pt.with_suffix(".onnx")
    if fmt == "onnx-int8":
        return pt.with_name(f"{pt.stem}-int8.onnx")
    if fmt == "engine":
        return pt.with_suffix(".engine")
    return pt


def is_fresh(pt: Path, artefact: Path) -> bool:
    """True when ``artefact`` exists and is not older than the weights it came from."""
    return artefact.exists() and artefact.stat().st_mtime >= pt.stat().st_mtime


def _runtime_installed(fmt: str) -> bool:
    module = _RUNTIME.get(fmt)
    return module is None or importlib.util.find_spec(module) is not None


def choose_artifact(source: str, device: str, wanted: str = "auto") -> tuple[str, str]:
    """The file or folder to load for ``source`` on ``device``, and its format.

    Args:
        source: a resolved model path (or an ultralytics name such as ``yolo11n.pt``).
        device: ``cpu``, ``cuda:0``, ``mps``...
        wanted: ``auto`` or one of :data:`FORMATS`.

    Raises:
        FileNotFoundError: an explicit format was asked for but is not exported (or stale).
    """
    pt = Path(source)
    if pt.suffix != ".pt" or not pt.is_file():
        return source, _format_of(pt)
    if wanted == "pytorch":
        return source, "pytorch"
    if wanted != "auto":
        artefact = export_path(pt, wanted)
        if not is_fresh(pt, artefact):
            raise FileNotFoundError(
                f"{artefact} is missing or older than {pt.name}; run `edge model export "
                f"--format {wanted}`")
        if not _runtime_installed(wanted):
            raise FileNotFoundError(f"format {wanted} needs the {_RUNTIME[wanted]} package")
        return str(artefact), wanted
    kind = device.split(":")[0] if not device.isdigit() else "cuda"
    for fmt in _PREFERENCE.get(kind, ()):
        artefact = export_path(pt, fmt)
        if is_fresh(pt, artefact) and _runtime_installed(fmt):
            return str(artefact), fmt
        if artefact.exists():
            log.warning("%s not used: %s", artefact, "older than the .pt" if not
                        is_fresh(pt, artefact) else f"{_RUNTIME[fmt]} is not installed")
    return source, "pytorch"


def _format_of(path: Path) -> str:
    if path.name.endswith("_openvino_model"):
        return "openvino"
    if path.name.endswith("-int8.onnx"):
        return "onnx-int8"
    return {".onnx": "onnx", ".engine": "engine"}.get(path.suffix, "pytorch")


def export_model(pt: Path, fmt: str, *, imgsz: int = 640, half: bool = False,
                 batch: int = 1, device: str = "cpu", calibration: Path | None = None,
                 calibration_frames: int = 64) -> Path:
    """Export ``pt`` to ``fmt`` next to it; return the artefact's path.

    ONNX and OpenVINO exports take any batch size and input size (``dynamic``); a TensorRT
    engine is built for ``batch`` and ``imgsz`` on this GPU and must be rebuilt per device.
    ``onnx-int8`` quantises the (fresh) ONNX export on ``calibration_frames`` frames of
    ``calibration`` (a video or a folder of images of the site).

    Raises:
        ValueError: unknown format, not a ``.pt`` file, or int8 without calibration frames.
        RuntimeError: the exporter failed (its message is kept).
    """
    if fmt not in FORMATS or fmt == "pytorch":
        raise ValueError(f"format must be one of {', '.join(FORMATS[1:])}; got {fmt!r}")
    if pt.suffix != ".pt" or not pt.is_file():
        raise ValueError(f"{pt}: not a .pt model file")
    if fmt == "onnx-int8":
        from edge.detect.quantize import calibration_frames as load_frames
        from edge.detect.quantize import quantize_onnx

        if calibration is None:
            raise ValueError("onnx-int8 needs --calibration: a video or image folder of the site")
        frames = load_frames(calibration, calibration_frames)
        fp32 = export_path(pt, "onnx")
        if not is_fresh(pt, fp32):
            fp32 = export_model(pt, "onnx", imgsz=imgsz, device=device)
        return quantize_onnx(fp32, export_path(pt, fmt), frames, imgsz)
    from ultralytics import YOLO

    kwargs: dict[str, object] = {"format": fmt, "imgsz": imgsz, "device": device}
    if fmt in {"onnx", "openvino"}:
        kwargs.update(dynamic=True, half=False)
    else:
        kwargs.update(half=half, batch=batch, dynamic=False)
    try:
        out = YOLO(str(pt)).export(**kwargs)
    except Exception as exc:
        raise RuntimeError(f"export of {pt.name} to {fmt} failed: {exc}") from exc
    return Path(str(out))
