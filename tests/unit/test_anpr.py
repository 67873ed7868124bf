"""Plate formats, voting, lists, the ANPR service with a scripted OCR engine, and the CLI."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
import supervision as sv

from edge.analytics.lines import LineCrossing
from edge.anpr.ctc import best_path, one_hot
from edge.anpr.formats import INDIA, PlateFormat, correct, normalise
from edge.anpr.lists import PlateLists
from edge.anpr.ocr import OcrText, plate_line, prepare, scene
from edge.anpr.reader import PlateReader
from edge.anpr.service import AnprService
from edge.anpr.voting import PlateVote, Read
from edge.capture.slot import Frame
from edge.config.anpr import AnprConfig
from edge.events import PlateRead, VehicleSeen
from edge.pipeline.step import FrameResult


@pytest.mark.parametrize(("read", "plate"), [
    ("KA01AB1234", "KA01AB1234"),
    ("KA-01 AB.1234", "KA01AB1234"),   # separators stripped
    ("KAO1AB1234", "KA01AB1234"),      # O -> 0 where a digit must be
    ("KA0IAB1234", "KA01AB1234"),      # I -> 1
    ("KA01A81234", "KA01AB1234"),      # 8 -> B where a letter must be
    ("KA01AB12S4", "KA01AB1254"),      # S -> 5
    ("K401AB1234", "KA01AB1234"),      # 4 -> A
    ("TG02XY5678", "TG02XY5678"),
    ("TG02XY567B", "TG02XY5678"),      # B -> 8
    ("2Z02XY5678", "ZZ02XY5678"),      # 2 -> Z in the state code
    ("MH12G1234", "MH12G1234"),        # one series letter
    ("MH126I234", "MH12G1234"),        # 6 -> G, I -> 1
    ("22BH1234AA", "22BH1234AA"),      # BH series
    ("22 8H 1234 AA", "22BH1234AA"),   # 8 -> B in the literal BH
])
def test_indian_formats_correct_confusions_by_position(read: str, plate: str) -> None:
    assert correct(read, INDIA)[0] == plate  # type: ignore[index]


def test_a_plate_fitting_no_format_is_kept_as_read_or_refused() -> None:
    assert correct("M5XSX", INDIA) == ("M5XSX", "generic")
    assert correct("O0O", INDIA) == ("O0O", "generic")  # no format: no guessing
    assert correct("!", INDIA) is None
    assert correct("M5XSX", INDIA, generic=False) is None
    assert normalise(" ka-01.ab 12 34 ") == "KA01AB1234"


def test_a_bad_template_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match="plate format 'x': template must be capital"):
        PlateFormat("x", "LL-DD")


def test_votes_agree_on_noisy_reads_and_outvote_a_confident_wrong_one() -> None:
    vote = PlateVote(min_votes=3, min_share=0.6)
    reads = [Read("KA01AB1234", 0.80, 20), Read("MH12ZZ9999", 0.99, 24),
             Read("KA01A81234", 0.70, 18), Read("KA01AB1284", 0.75, 20),
             Read("KA01AB1234", 0.85, 22)]
    decisions = [vote.add(r) for r in reads]
    assert decisions[:3] == [None, None, None]
    final = next(d for d in decisions if d is not None)
    assert final.plate == "KA01AB1234" and final.votes >= 3


def test_no_decision_without_agreement() -> None:
    vote = PlateVote(min_votes=3)
    for text in ("AB12", "ZZ99XX", "QWERTY12"):
        assert vote.add(Read(text, 0.9)) is None
    assert vote.best() is not None


def test_lists_fuzzy_and_deny_wins() -> None:
    lists = PlateLists(allow=["KA01AB1234", "TG02XY5678"], deny=["TG02XY5678"],
                       max_distance=1)
    assert lists.status("KA01AB1234") == "allowed"
    assert lists.status("KA01AB1284") == "allowed"  # one OCR slip
    assert lists.status("KA01AB9999") == "unknown"
    assert lists.status("TG02XY5678") == "denied"
    assert lists.status(None) == "unknown"
    assert PlateLists(allow=["KA01AB1234"], max_distance=0).status("KA01AB1284") == "unknown"


def test_plate_line_drops_small_text_and_joins_left_to_right() -> None:
    def box(x: float, y: float, w: float, h: float) -> list[list[float]]:
        return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]

    got = plate_line([(box(120, 40, 90, 40), "1234", 0.9, None),
                      (box(10, 42, 100, 38), "KA 01", 0.8, None),
                      (box(20, 5, 150, 12), "KARNATAKA", 0.99, None)])
    assert got == OcrText("KA011234", "KA 01 1234", 0.85)


def test_plate_line_reads_the_seam_character_once() -> None:
    """A plate split in two overlapping boxes: the seam character is not doubled."""
    def box(x: float, w: float) -> list[list[float]]:
        return [[x, 10], [x + w, 10], [x + w, 60], [x, 60]]

    got = plate_line([(box(10, 100), "MZA2", 0.9, one_hot("MZA2")),
                      (box(100, 80), "275", 0.9, one_hot("275"))])
    assert got.text == "MZA275"
    assert got.lattice is not None and best_path(got.lattice)[0] == "MZA275"
    # Apart (no overlap), a repeated character is real.
    got = plate_line([(box(10, 80), "KA01", 0.9, one_hot("KA01")),
                      (box(120, 80), "1234", 0.9, one_hot("1234"))])
    assert got.text == "KA011234" and best_path(got.lattice)[0] == "KA011234"


class Engine:
    name = "scripted"

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts

    def read(self, crop: np.ndarray, height: int | None = None) -> OcrText:
        t = self.texts.pop(0) if self.texts else ""
        return OcrText(normalise(t), t, 0.9)


T0 = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)


def frame(i: int, present: bool = True, exit_: bool = False) -> FrameResult:
    n = int(present)
    dets = sv.Detections(xyxy=np.array([[100, 100, 300, 260]] * n, np.float32).reshape(-1, 4),
                         confidence=np.full(n, 0.9, np.float32),
                         class_id=np.full(n, 1), tracker_id=np.full(n, 7))
    crossings = [LineCrossing("gate", 7, "car", "exit")] if exit_ else []
    return FrameResult(camera_id="gate", frame_seq=i, ts=T0 + timedelta(seconds=i),
                       detections=dets, crossings=crossings, people_count=0, vehicle_count=n,
                       occupancy=0, entries=0, exits=0)


def test_service_reads_until_decided_then_logs_one_row_with_exit() -> None:
    events: list = []
    engine = Engine(["KA01AB1234", "KAO1AB1234", "KA01A81234", "KA01AB1234"])
    svc = AnprService(AnprConfig(enabled=True, deny=["KA01AB1234"], min_sharpness=0,
                                 ocr_heights=[128], read_interval_s=0), engine, events.extend)
    svc.start()
    image = np.random.default_rng(0).integers(0, 255, (480, 640, 3), np.uint8)
    answers = []
    for i in range(6):
        t = svc.observe(Frame("cam", image, 0), frame(i))
        assert t.wait(5)
        answers.append(t.answers[0].to_legacy())
    svc.observe(Frame("cam", image, 0), frame(6, exit_=True))
    svc.stop()
    reads = [e for e in events if isinstance(e, PlateRead)]
    assert len(reads) == 3  # decided after three agreeing reads: no more OCR
    assert engine.texts == ["KA01AB1234"]
    rows = [e for e in events if isinstance(e, VehicleSeen)]
    assert len({e.vehicle_uid for e in rows}) == 1
    last = rows[-1]
    assert (last.plate_number, last.status, last.vehicle_type) == ("KA01AB1234", "denied", "car")
    assert last.exit_time == T0 + timedelta(seconds=6) and last.priority == 10
    assert answers[-1]["plate"] == "KA01AB1234" and answers[-1]["status"] == "denied"
    assert set(answers[-1]) == {"track_id", "type", "plate", "confidence", "status", "details"}


def test_a_track_that_disappears_is_closed_with_its_best_plate() -> None:
    events: list = []
    svc = AnprService(AnprConfig(enabled=True, min_sharpness=0, read_interval_s=0,
                                 ocr_heights=[128], track_gone_s=2),
                      Engine(["TG02XY5678"]), events.extend)
    svc.start()
    image = np.random.default_rng(1).integers(0, 255, (480, 640, 3), np.uint8)
    svc.observe(Frame("cam", image, 0), frame(0)).wait(5)
    svc.observe(Frame("cam", image, 0), frame(5, present=False))
    svc.stop()
    last = [e for e in events if isinstance(e, VehicleSeen)][-1]
    assert (last.plate_number, last.exit_time) == ("TG02XY5678", T0)


def test_plates_cli(tmp_path: Path) -> None:
    import yaml
    from typer.testing import CliRunner

    from edge.cli.main import app

    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"models": [{"name": "m", "source": "yolo11n.pt"}],
                                   "api": {"enabled": True},
                                   "storage": {"path": str(tmp_path / "p.db")}}))
    run = CliRunner().invoke
    assert run(app, ["plates", "deny", "tg-02 xy 5678", "--note", "banned", "-c", str(cfg)]
               ).exit_code == 0
    assert run(app, ["plates", "allow", "KA01AB1234", "-c", str(cfg)]).exit_code == 0
    out = run(app, ["plates", "list", "-c", str(cfg)]).output
    assert out.splitlines() == ["KA01AB1234     allow  ", "TG02XY5678     deny   banned"]
    assert run(app, ["plates", "remove", "TG02XY5678", "-c", str(cfg)]).exit_code == 0
    missing = run(app, ["plates", "remove", "TG02XY5678", "-c", str(cfg)])
    assert missing.exit_code == 1 and "on no list" in missing.output
    bad = run(app, ["plates", "deny", "!", "-c", str(cfg)])
    assert bad.exit_code == 2 and "not a plate number" in bad.output


class SizedEngine:
    """Answers by the plate height asked for; records the heights."""

    name = "sized"

    def __init__(self, by_height: dict[int | None, tuple[str, float]]) -> None:
        self.by_height = by_height
        self.asked: list[int | None] = []

    def read(self, crop: np.ndarray, height: int | None = None) -> OcrText:
        self.asked.append(height)
        text, conf = self.by_height.get(height, ("", 0.0))
        return OcrText(normalise(text), text, conf)


def test_reader_stops_when_two_sizes_agree_after_correction() -> None:
    engine = SizedEngine({128: ("KA01AB1234", 0.8), 256: ("KAO1A81234", 0.7),
                          80: ("XX", 0.99)})
    got = PlateReader(engine, INDIA, heights=(128, 256, 80)).read(np.zeros((20, 60, 3)))
    assert got is not None and (got.plate, got.votes, got.passes) == ("KA01AB1234", 2, 2)
    assert engine.asked == [128, 256]
    assert got.raw == "KA01AB1234" and got.confidence == 0.75 and got.format.startswith("IN")


def test_reader_without_agreement_takes_the_most_confident_and_scenes_read_once() -> None:
    engine = SizedEngine({128: ("TG02XY5678", 0.6), 256: ("TG02XY5676", 0.9), 80: ("", 0.0),
                          None: ("MH12DE1433", 0.8)})
    reader = PlateReader(engine, INDIA, heights=(128, 256, 80))
    got = reader.read(np.zeros((20, 60, 3)))
    assert got is not None and (got.plate, got.votes, got.passes) == ("TG02XY5676", 1, 3)
    engine.asked.clear()
    scene = reader.read(np.zeros((200, 300, 3)), scene=True)
    assert scene is not None and scene.plate == "MH12DE1433" and engine.asked == [None]
    assert PlateReader(SizedEngine({}), INDIA).read(np.zeros((20, 60, 3))) is None
    with pytest.raises(ValueError, match="height"):
        PlateReader(engine, INDIA, heights=())


def test_ocr_heights_out_of_range_are_named() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=r"OCR heights must be 32-512 px, got \[10\]"):
        AnprConfig(ocr_heights=[128, 10])


def test_plate_crops_are_scaled_to_the_height_asked_and_small_scenes_enlarged() -> None:
    crop = np.zeros((40, 120, 3), np.uint8)
    assert prepare(crop, 128).shape[:2] == (128 + 2 * 38, 384 + 2 * 38)
    assert prepare(np.zeros((300, 900, 3), np.uint8), 80).shape[:2] == (80 + 48, 240 + 48)
    assert scene(np.zeros((90, 300, 3), np.uint8)).shape[:2] == (288, 960)
    big = np.zeros((720, 1280, 3), np.uint8)
    assert scene(big) is big


class NoPlate:
    """A localiser that never finds a plate."""

    name = "none"

    def find_all(self, image: np.ndarray, limit: int = 3) -> list:
        return []


@pytest.mark.parametrize("fallback", [True, False])
def test_when_the_plate_model_finds_nothing_the_text_detector_reads_if_allowed(
        fallback: bool) -> None:
    events: list = []
    engine = SizedEngine({None: ("MH12DE1433", 0.9)})
    svc = AnprService(AnprConfig(enabled=True, min_sharpness=0, read_interval_s=0,
                                 text_fallback=fallback), engine, events.extend,
                      localiser=NoPlate())  # type: ignore[arg-type]
    svc.start()
    image = np.random.default_rng(2).integers(0, 255, (480, 640, 3), np.uint8)
    assert svc.observe(Frame("cam", image, 0), frame(0)).wait(5)
    svc.stop()
    reads = [e.plate_text for e in events if isinstance(e, PlateRead)]
    assert (reads, engine.asked) == ((["MH12DE1433"], [None]) if fallback else ([], []))
