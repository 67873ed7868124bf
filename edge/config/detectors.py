"""Pydantic models of the detectors in ``cameras.yaml``: what a model runs
(:class:`ModelRun`), the second model that re-draws its boxes (:class:`RefineConfig`) and the
model itself (:class:`ModelConfig`). Re-exported by :mod:`edge.config.models`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from edge.config.base import CANONICAL_CLASSES, Strict


class ModelRun(Strict):
    """Which weights a detector runs, and how: shared by a model and its refiner.

    ``source`` is a path, a file name inside ``models_dir``, or an ultralytics name such as
    ``yolo11n.pt`` (downloaded by ultralytics when online). ``classes`` maps the model's own
    class names to canonical names; classes not listed are dropped. Left empty, model classes
    whose names already are canonical are kept (a COCO model needs no map).
    """

    source: str = Field(min_length=1)
    classes: dict[str, Literal[CANONICAL_CLASSES]] = Field(default_factory=dict)  # type: ignore[valid-type]
    confidence: float = Field(0.25, ge=0.0, le=1.0)
    iou: float = Field(0.6, gt=0.0, le=1.0)
    imgsz: int = Field(640, ge=32, le=4096)
    half: bool = False
    format: Literal["auto", "pytorch", "onnx", "onnx-int8", "openvino", "engine"] = "auto"
    """Which export to run: ``auto`` picks the fastest one present for the device (CPU: ONNX,
    OpenVINO; CUDA/Jetson: TensorRT engine), else the ``.pt`` (``edge model export``).
    ``onnx-int8`` (CPUs with VNNI/AMX) runs only when named here: it is faster but may count
    less accurately; check it on the site's footage first (README "Performance")."""

    @field_validator("imgsz")
    @classmethod
    def _stride_multiple(cls, v: int) -> int:
        if v % 32:
            raise ValueError(f"must be a multiple of 32, got {v}")
        return v


class RefineConfig(ModelRun):
    """A second model that only re-draws the boxes of its model's detections.

    Each box of the model is matched one to one with a box of the same canonical class from
    the refiner (highest IoU first, at least ``match_iou``) and takes the refiner's box; its
    class stays and its confidence is the higher of the two. Boxes the refiner does not
    match stay as they were; boxes only the refiner found are dropped, so recall is the
    model's own. Meant for a model that finds people well but draws their boxes loosely (a
    person's feet are the box's bottom edge): the demo refines its fall-detection model with
    a COCO-pose YOLO11n (README, "Refined person boxes").
    """

    imgsz: int = Field(960, ge=32, le=4096)
    match_iou: float = Field(0.5, gt=0.0, le=1.0)
    """Least IoU at which a refiner box re-draws a model box."""
    near: float | None = Field(None, gt=0.0, le=20.0)
    """Re-draw only boxes whose feet lie within this many of their own heights of one of
    the camera's counting lines or zone edges, and run the refiner only on frames that have
    such a box (the refined feet matter only where a line or an edge decides something).
    ``None``: every box of every frame; also the HTTP shim and the evaluation scripts'
    detection caches, which have no camera."""
    crop: int | None = Field(None, ge=32, le=1024)
    """Run the refiner on a square crop around each box to re-draw, resized to this many
    pixels, instead of on the whole frame at ``imgsz``: its cost follows the number of
    people to re-draw, not the picture's size (README "Refining from crops"). ``None``: the
    whole frame."""
    crop_margin: float = Field(0.5, ge=0.0, le=2.0)
    """With ``crop``: the crop reaches at least this many of the box's larger side beyond it
    on every side, so that a loosely drawn box still has the whole person inside."""
    crop_zoom: float | None = Field(1.0, gt=0.0, le=10.0)
    """With ``crop``: a crop shows a person at most this many times as large as the refiner
    sees them in the whole picture at ``imgsz`` (a small person's crop is cut wider, with
    more around them). ``None``: every crop is cut around its box alone, and a small person
    fills it as a large one does."""

    @field_validator("crop")
    @classmethod
    def _crop_stride(cls, v: int | None) -> int | None:
        if v is not None and v % 32:
            raise ValueError(f"must be a multiple of 32, got {v}")
        return v

    def runner(self, name: str) -> ModelConfig:
        """The refiner as a model of its own (named ``name``): its weights and thresholds,
        at the crop size when it runs on crops."""
        run = self.model_dump(exclude={"match_iou", "near", "crop", "crop_margin",
                                       "crop_zoom"})
        if self.crop is not None:
            run["imgsz"] = self.crop
        return ModelConfig(name=name, **run)


class ModelConfig(ModelRun):
    """One detector. Several may run together; each maps its classes onto the canonical ones
    (:class:`ModelRun` has what it runs)."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    cameras: list[str] | None = None
    """Camera ids this model runs on; ``None`` means all cameras."""
    silent_warn_s: float = Field(3600.0, gt=0.0)
    """``edge doctor`` warns when this model, mapping onto a vehicle class, has detected no
    vehicle on a camera for this many seconds while the camera's picture kept changing."""
    refine: RefineConfig | None = None
    """A second model that re-draws this model's boxes (:class:`RefineConfig`); it costs a
    second predict per frame."""
