"""Rekognition backend against botocore's Stubber: real request and response shapes."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import numpy as np
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import ANY, Stubber

from edge.config.identity import RekognitionConfig
from edge.identity.faces import FaceBox
from edge.identity.rekognition import BackendUnavailable, RekognitionBackend
from edge.telemetry import metrics

CFG = RekognitionConfig(region="ap-south-1", collection_id="plant-1",
                        face_match_threshold=90, price_per_call_usd=0.001)
CROP = np.full((160, 120, 3), 90, np.uint8)
FACE = FaceBox(top=30, right=90, bottom=100, left=30)


def client():  # type: ignore[no-untyped-def]
    return boto3.client("rekognition", region_name="ap-south-1", aws_access_key_id="AKIDTEST",
                        aws_secret_access_key="secret")


@pytest.fixture
def stubbed() -> Iterator[tuple[RekognitionBackend, Stubber]]:
    c = client()
    with Stubber(c) as stub:
        yield RekognitionBackend(CFG, client=c, names={"E7": "Asha Rao"}.get), stub
        stub.assert_no_pending_responses()


def search_params() -> dict[str, object]:
    return {"CollectionId": "plant-1", "Image": {"Bytes": ANY}, "FaceMatchThreshold": 90.0,
            "MaxFaces": 1}


def match(external_id: str, similarity: float) -> dict[str, object]:
    return {"FaceMatches": [{"Similarity": similarity, "Face": {
        "FaceId": "11111111-2222-3333-4444-555555555555", "ExternalImageId": external_id,
        "Confidence": 99.9}}], "FaceModelVersion": "7.0"}


def test_collection_is_created_when_missing(stubbed) -> None:  # type: ignore[no-untyped-def]
    backend, stub = stubbed
    stub.add_client_error("describe_collection", "ResourceNotFoundException",
                          expected_params={"CollectionId": "plant-1"})
    stub.add_response("create_collection", {"StatusCode": 200, "CollectionArn": "arn:x",
                                            "FaceModelVersion": "7.0"},
                      {"CollectionId": "plant-1"})
    assert backend.ensure_collection() is True


def test_existing_collection_is_left_alone(stubbed) -> None:  # type: ignore[no-untyped-def]
    backend, stub = stubbed
    stub.add_response("describe_collection", {"FaceCount": 3, "FaceModelVersion": "7.0"},
                      {"CollectionId": "plant-1"})
    assert backend.ensure_collection() is False


def test_search_names_the_employee_by_external_image_id(stubbed) -> None:  # type: ignore[no-untyped-def]
    backend, stub = stubbed
    stub.add_response("search_faces_by_image", match("E7", 98.123), search_params())
    answer = backend.identify(CROP, FACE)
    assert (answer.employee_id, answer.name, answer.confidence, answer.source) == (
        "E7", "Asha Rao", 98.12, "aws")


@pytest.mark.parametrize("response", [{"FaceMatches": []}, None], ids=["no-match", "no-face"])
def test_no_match_and_no_face_are_answers_not_outages(stubbed, response) -> None:  # type: ignore[no-untyped-def]
    backend, stub = stubbed
    if response is None:
        stub.add_client_error("search_faces_by_image", "InvalidParameterException",
                              "There are no faces in the image.",
                              expected_params=search_params())
    else:
        stub.add_response("search_faces_by_image", response, search_params())
    answer = backend.identify(CROP, FACE)
    assert (answer.employee_id, answer.source) == (None, "no_match")


@pytest.mark.parametrize(("code", "kind"), [
    ("ThrottlingException", "throttled"), ("ProvisionedThroughputExceededException", "throttled"),
    ("AccessDeniedException", "denied"), ("InternalServerError", "error")])
def test_faults_raise_backend_unavailable(stubbed, code: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    backend, stub = stubbed
    stub.add_client_error("search_faces_by_image", code, http_status_code=400,
                          expected_params=search_params())
    with pytest.raises(BackendUnavailable) as err:
        backend.identify(CROP, FACE)
    assert err.value.kind == kind


def test_a_read_timeout_is_an_outage() -> None:
    c = client()

    def hang(**_kw: object) -> None:
        raise ReadTimeoutError(endpoint_url="https://rekognition.ap-south-1.amazonaws.com")

    c.meta.events.register("before-send.rekognition.SearchFacesByImage", hang)
    with pytest.raises(BackendUnavailable) as err:
        RekognitionBackend(CFG, client=c).identify(CROP, FACE)
    assert err.value.kind == "timeout"


def test_index_faces_uses_the_employee_id(stubbed) -> None:  # type: ignore[no-untyped-def]
    backend, stub = stubbed
    stub.add_response("index_faces", {"FaceRecords": [{"Face": {
        "FaceId": "aaaaaaaa-2222-3333-4444-555555555555", "ExternalImageId": "E7"}}]},
        {"CollectionId": "plant-1", "Image": {"Bytes": ANY}, "ExternalImageId": "E7",
         "MaxFaces": 1, "QualityFilter": "AUTO", "DetectionAttributes": []})
    assert backend.index_face("E7", CROP, FACE) == "aaaaaaaa-2222-3333-4444-555555555555"


def test_index_faces_without_a_face_says_why(stubbed) -> None:  # type: ignore[no-untyped-def]
    backend, stub = stubbed
    stub.add_response("index_faces", {"FaceRecords": [], "UnindexedFaces": [
        {"Reasons": ["LOW_SHARPNESS", "SMALL_BOUNDING_BOX"]}]})
    with pytest.raises(ValueError, match="LOW_SHARPNESS, SMALL_BOUNDING_BOX"):
        backend.index_face("E7", CROP, FACE)


def test_removal_lists_every_page_and_deletes_only_that_employee(stubbed) -> None:  # type: ignore[no-untyped-def]
    backend, stub = stubbed
    f = "-2222-3333-4444-555555555555"
    stub.add_response("list_faces", {"Faces": [
        {"FaceId": "aaaaaaaa" + f, "ExternalImageId": "E7"},
        {"FaceId": "bbbbbbbb" + f, "ExternalImageId": "E8"}], "NextToken": "page2"},
        {"CollectionId": "plant-1", "MaxResults": 1000})
    stub.add_response("list_faces", {"Faces": [
        {"FaceId": "cccccccc" + f, "ExternalImageId": "E7"}]},
        {"CollectionId": "plant-1", "MaxResults": 1000, "NextToken": "page2"})
    stub.add_response("delete_faces", {"DeletedFaces": ["aaaaaaaa" + f, "cccccccc" + f]},
                      {"CollectionId": "plant-1", "FaceIds": ["aaaaaaaa" + f, "cccccccc" + f]})
    assert backend.delete_employee("E7") == 2


def test_cost_is_billable_calls_times_price(stubbed) -> None:  # type: ignore[no-untyped-def]
    backend, stub = stubbed
    before = metrics.IDENTITY_COST._value.get()
    for _ in range(7):
        stub.add_response("search_faces_by_image", {"FaceMatches": []}, search_params())
    stub.add_client_error("search_faces_by_image", "ThrottlingException")
    for _ in range(7):
        backend.identify(CROP, FACE)
    with pytest.raises(BackendUnavailable):
        backend.identify(CROP, FACE)
    assert backend.meter.calls == 8 and backend.meter.billable == 7
    assert backend.meter.cost_usd == pytest.approx(7 * 0.001)
    assert metrics.IDENTITY_COST._value.get() - before == pytest.approx(7 * 0.001)


class FakeEngine:
    """Stands in for dlib: every photo has one good face."""

    def gate(self, image: np.ndarray, config: object):  # type: ignore[no-untyped-def]
        from edge.identity.faces import GateResult

        return GateResult(True, "", FACE)

    def embed(self, image: np.ndarray, face: FaceBox) -> np.ndarray:
        return np.full(128, float(image[0, 0, 0]) / 255, np.float32)


def test_enrolment_indexes_in_the_collection_and_removal_deletes_there(
        stubbed, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from edge.identity.enroll import enroll_employee, remove_employee
    from edge.identity.gallery import Gallery

    backend, stub = stubbed
    gallery = Gallery(tmp_path / "g.db")
    stub.add_response("index_faces", {"FaceRecords": [{"Face": {
        "FaceId": "aaaaaaaa-2222-3333-4444-555555555555", "ExternalImageId": "E7"}}]})
    res = enroll_employee(FakeEngine(), gallery, "E7", "Asha", [("a.jpg", CROP)],  # type: ignore[arg-type]
                          cloud=backend)
    assert res.faces_total == 1
    stub.add_response("list_faces", {"Faces": [
        {"FaceId": "aaaaaaaa-2222-3333-4444-555555555555", "ExternalImageId": "E7"}]})
    stub.add_response("delete_faces", {"DeletedFaces": ["aaaaaaaa-2222-3333-4444-555555555555"]})
    assert remove_employee(gallery, "E7", backend)
    assert gallery.employees() == []


def test_a_cloud_refusal_stores_nothing_locally(stubbed, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from edge.identity.enroll import EnrollmentError, enroll_employee
    from edge.identity.gallery import Gallery

    backend, stub = stubbed
    gallery = Gallery(tmp_path / "g.db")
    stub.add_client_error("index_faces", "AccessDeniedException")
    stub.add_response("list_faces", {"Faces": []})
    with pytest.raises(EnrollmentError, match=r"a\.jpg: the cloud collection refused it: denied"):
        enroll_employee(FakeEngine(), gallery, "E7", "Asha", [("a.jpg", CROP)],  # type: ignore[arg-type]
                        cloud=backend)
    assert gallery.employees() == []
