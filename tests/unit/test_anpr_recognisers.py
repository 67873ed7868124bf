"""Text recognisers behind RapidOCR's detector: folding their alphabets, loading their files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edge.anpr.ctc import PLATE_CHARS, best_path
from edge.anpr.ocr import RapidOcrEngine, Recogniser
from tests.conftest import MODELS, SHARED_DATA, require

CHARSET = ["blank", "-", "b", "B", "8", "1", "I", " "]


def frames(*rows: dict[str, float]) -> np.ndarray:
    """``(1, T, C)`` probabilities over CHARSET, one row per dict (the rest is blank)."""
    out = np.zeros((1, len(rows), len(CHARSET)), np.float32)
    for t, row in enumerate(rows):
        for ch, p in row.items():
            out[0, t, CHARSET.index(ch)] = p
        out[0, t, 0] = 1.0 - sum(row.values())
    return out


def fake(probs: np.ndarray) -> Recogniser:
    return Recogniser("fake", lambda x: probs, CHARSET)


def test_lattice_folds_case_and_drops_non_plate_classes_and_padding_frames() -> None:
    rec = fake(frames({"b": 0.6, "B": 0.3}, {"-": 0.9}, {"8": 0.9}, {"1": 0.9}))
    lat = rec.lattice(np.zeros((1, 3, 48, 32), np.float32), used=0.75)
    assert lat.shape == (3, 1 + len(PLATE_CHARS))  # the last frame is padding
    assert lat[0, 1 + PLATE_CHARS.index("B")] == pytest.approx(0.9)  # b and B are one
    assert lat[1, 0] == pytest.approx(1.0)  # a dash counts as blank
    assert best_path(lat)[0] == "B8"


def test_missing_or_mismatched_recogniser_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.onnx not found; run `edge model fetch`"):
        Recogniser.from_files("x", tmp_path / "nope.onnx", tmp_path / "d.txt")
    model = require(MODELS / "ppocrv6-rec.onnx", "run `make models`")
    short = tmp_path / "short.txt"
    short.write_text("A\nB\n")
    with pytest.raises(ValueError, match=r"has 18710 classes but short\.txt gives 4"):
        Recogniser.from_files("ppocrv6", model, short)


def test_unknown_recogniser_name_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown recogniser 'ppocrv9'; use ppocrv4 or ppocrv6"):
        RapidOcrEngine("ppocrv9", MODELS)


@pytest.mark.parametrize("name, plate", [("va82.png", "25895J"), ("ma257.png", "14CV10"),
                                         ("ga16.png", "ASN1074")])
def test_the_default_recogniser_reads_plates_the_wheels_own_misreads(name: str,
                                                                     plate: str) -> None:
    """Three US crops PP-OCRv4 reads ``258951``, ``I4CVI0`` and ``ASN01074``."""
    import cv2

    from edge.anpr.ocr import make_engine
    from edge.anpr.reader import PlateReader
    from edge.config.anpr import AnprConfig

    crop = cv2.imread(str(require(SHARED_DATA / "anpr" / "openalpr" / "us_crops" / name,
                                  "../shared/data/anpr is missing")))
    cfg = AnprConfig()
    reader = PlateReader.from_config(make_engine(cfg.engine, cfg.recogniser, MODELS), cfg)
    got = reader.read(crop)
    assert got is not None and got.plate == plate


def test_plate_models_use_the_configured_threads() -> None:
    """``anpr.threads``: each ONNX Runtime session of a read (plate detector, RapidOCR's
    detector and recogniser, a recogniser from files) runs on that many threads."""
    from edge.anpr.localise import PlateLocaliser
    from edge.anpr.ocr import make_engine, session_options

    assert session_options(None).intra_op_num_threads == 0  # ONNX Runtime's own default
    engine = make_engine("rapidocr", "ppocrv6", MODELS, threads=1)
    assert isinstance(engine, RapidOcrEngine)
    sessions = [engine._ocr.text_det.infer.session, engine._ocr.text_rec.session.session]
    localiser = PlateLocaliser(require(MODELS / "platedet.onnx", "run `make models`"),
                               threads=1)
    sessions.append(localiser._det.session)
    assert [s.get_session_options().intra_op_num_threads for s in sessions] == [1, 1, 1]
    opts = session_options(2)
    assert (opts.intra_op_num_threads, opts.inter_op_num_threads) == (2, 1)
    assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "0"
