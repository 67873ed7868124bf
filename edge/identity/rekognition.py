"""AWS Rekognition backend: collection, IndexFaces, SearchFacesByImage, ListFaces, DeleteFaces.

Region and collection come from the config (or ``AWS_REGION``); credentials only from the
environment or the instance role. botocore's own retries are off: the circuit breaker and the
per-track policy decide when to call again. Every call is counted by operation and outcome,
and billable ones add the configured price to the cost counter.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from edge.config.identity import RekognitionConfig
from edge.identity.answer import Identification
from edge.identity.faces import FaceBox
from edge.telemetry import metrics

log = logging.getLogger(__name__)

THROTTLING = frozenset({"ThrottlingException", "ProvisionedThroughputExceededException",
                        "LimitExceededException", "TooManyRequestsException"})
DENIED = frozenset({"AccessDeniedException", "UnrecognizedClientException",
                    "InvalidSignatureException", "ExpiredTokenException"})


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ``ClientError`` ("" for anything else)."""
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


class BackendUnavailable(RuntimeError):
    """The backend could not answer (throttled, denied, timed out, unreachable).

    ``kind`` is ``throttled``, ``denied``, ``timeout``, ``unreachable`` or ``error``.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


class CloudMeter:
    """Calls and estimated cost made by this process (for ``system_metrics`` rows)."""

    def __init__(self, price_per_call_usd: float) -> None:
        self.price = price_per_call_usd
        self.calls = 0
        self.billable = 0
        self._lock = threading.Lock()

    def record(self, operation: str, outcome: str, billable: bool) -> None:
        """Count one call."""
        with self._lock:
            self.calls += 1
            self.billable += int(billable)
        metrics.IDENTITY_CLOUD_CALLS.labels(operation, outcome).inc()
        if billable:
            metrics.IDENTITY_COST.inc(self.price)

    @property
    def cost_usd(self) -> float:
        """Estimated spend: billable calls times the configured price."""
        with self._lock:
            return self.billable * self.price


def face_jpeg(crop_bgr: np.ndarray, face: FaceBox | None, margin: float = 0.4) -> bytes:
    """JPEG of the face with some context (Rekognition finds the face itself)."""
    if face is not None:
        h, w = crop_bgr.shape[:2]
        mx = int((face.right - face.left) * margin)
        my = int((face.bottom - face.top) * margin)
        crop_bgr = crop_bgr[max(0, face.top - my):min(h, face.bottom + my),
                            max(0, face.left - mx):min(w, face.right + mx)]
    ok, buf = cv2.imencode(".jpg", crop_bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise ValueError("could not encode the face crop as JPEG")
    return buf.tobytes()


def make_client(cfg: RekognitionConfig) -> Any:
    """A boto3 Rekognition client with the configured timeouts and no automatic retries."""
    import boto3
    from botocore.config import Config

    return boto3.client("rekognition", region_name=cfg.region, config=Config(
        connect_timeout=cfg.connect_timeout_s, read_timeout=cfg.read_timeout_s,
        retries={"max_attempts": 1, "mode": "standard"}))


class RekognitionBackend:
    """Identify and enrol faces in one Rekognition collection.

    Args:
        cfg: region, collection, threshold, price.
        client: a boto3 Rekognition client (tests pass one wrapped in botocore's Stubber).
        names: employee id -> display name (the local ``employees`` table).
    """

    name = "rekognition"
    cloud = True

    def __init__(self, cfg: RekognitionConfig, client: Any | None = None,
                 names: Callable[[str], str | None] | None = None) -> None:
        self.cfg = cfg
        self.client = client if client is not None else make_client(cfg)
        self.names = names or (lambda _eid: None)
        self.meter = CloudMeter(cfg.price_per_call_usd)

    def _call(self, operation: str, billable: bool, **params: Any) -> dict[str, Any]:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            EndpointConnectionError,
            ReadTimeoutError,
        )

        method = getattr(self.client, operation)
        try:
            response = method(**params)
        except ClientError as exc:
            code = error_code(exc)
            message = exc.response.get("Error", {}).get("Message", "") or code
            if code in THROTTLING:
                self.meter.record(operation, "throttled", False)
                raise BackendUnavailable("throttled", f"{operation}: {code}") from exc
            if code in DENIED:
                self.meter.record(operation, "denied", False)
                raise BackendUnavailable("denied", f"{operation}: {code}: {message}") from exc
            self.meter.record(operation, code or "error", False)
            raise
        except (ReadTimeoutError, ConnectTimeoutError) as exc:
            self.meter.record(operation, "timeout", False)
            raise BackendUnavailable("timeout", f"{operation}: {exc}") from exc
        except EndpointConnectionError as exc:
            self.meter.record(operation, "unreachable", False)
            raise BackendUnavailable("unreachable", f"{operation}: {exc}") from exc
        except BotoCoreError as exc:
            self.meter.record(operation, "error", False)
            raise BackendUnavailable("error", f"{operation}: {exc}") from exc
        self.meter.record(operation, "ok", billable)
        return response

    def ensure_collection(self) -> bool:
        """Create the collection if it does not exist; True when it was created."""
        from botocore.exceptions import ClientError

        try:
            self._call("describe_collection", False, CollectionId=self.cfg.collection_id)
            return False
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
        self._call("create_collection", False, CollectionId=self.cfg.collection_id)
        log.info("created Rekognition collection %s", self.cfg.collection_id)
        return True

    def identify(self, crop_bgr: np.ndarray, face: FaceBox | None) -> Identification:
        """Search the collection for the face; ``no_match`` below the threshold or no face.

        Raises:
            BackendUnavailable: throttled, denied, timed out or unreachable.
        """
        from botocore.exceptions import ClientError

        try:
            resp = self._call("search_faces_by_image", True,
                              CollectionId=self.cfg.collection_id,
                              Image={"Bytes": face_jpeg(crop_bgr, face)},
                              FaceMatchThreshold=self.cfg.face_match_threshold, MaxFaces=1)
        except ClientError as exc:
            if error_code(exc) == "InvalidParameterException":
                # Rekognition found no face in the crop: an answer, not an outage.
                return Identification(None, "Unknown", 0.0, None, "no_match")
            raise BackendUnavailable("error", str(exc)) from exc
        matches = resp.get("FaceMatches") or []
        if not matches:
            return Identification(None, "Unknown", 0.0, None, "no_match")
        best = matches[0]
        employee_id = best["Face"].get("ExternalImageId")
        if not employee_id:
            return Identification(None, "Unknown", 0.0, None, "no_match")
        name = self.names(employee_id) or employee_id
        return Identification(employee_id, name, round(float(best["Similarity"]), 2), None,
                              "aws")

    def index_face(self, employee_id: str, crop_bgr: np.ndarray,
                   face: FaceBox | None = None) -> str:
        """Add one face of ``employee_id`` to the collection; return its FaceId.

        Raises:
            ValueError: Rekognition found no face, or several, in the photo.
        """
        resp = self._call("index_faces", True, CollectionId=self.cfg.collection_id,
                          Image={"Bytes": face_jpeg(crop_bgr, face)},
                          ExternalImageId=employee_id, MaxFaces=1, QualityFilter="AUTO",
                          DetectionAttributes=[])
        records = resp.get("FaceRecords") or []
        if not records:
            reasons = {r for u in resp.get("UnindexedFaces", []) for r in u.get("Reasons", [])}
            raise ValueError("Rekognition indexed no face"
                             + (f" ({', '.join(sorted(reasons))})" if reasons else ""))
        return str(records[0]["Face"]["FaceId"])

    def list_faces(self) -> list[dict[str, Any]]:
        """Every face in the collection (follows ``NextToken``)."""
        faces: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"CollectionId": self.cfg.collection_id, "MaxResults": 1000}
            if token:
                params["NextToken"] = token
            resp = self._call("list_faces", False, **params)
            faces.extend(resp.get("Faces", []))
            token = resp.get("NextToken")
            if not token:
                return faces

    def delete_employee(self, employee_id: str) -> int:
        """Delete every face indexed for ``employee_id``; return how many were deleted."""
        ids = [f["FaceId"] for f in self.list_faces() if f.get("ExternalImageId") == employee_id]
        deleted = 0
        for start in range(0, len(ids), 4096):
            resp = self._call("delete_faces", False, CollectionId=self.cfg.collection_id,
                              FaceIds=ids[start:start + 4096])
            deleted += len(resp.get("DeletedFaces", []))
        return deleted
