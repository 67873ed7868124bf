"""scripts/bench_live.py's arguments: settings changed by dotted path, bad ones named."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, load_script

bench_live = load_script("bench_live")


def test_a_variant_changes_settings_by_dotted_path() -> None:
    changes = bench_live.parse_variant("anpr.worker_nice=0, anpr.threads=2,anpr.enabled=false")
    assert changes == {"anpr.worker_nice": 0, "anpr.threads": 2, "anpr.enabled": False}
    base = {"anpr": {"enabled": True, "region": "none"}, "site": {"id": "x"}}
    out = bench_live.apply_variant(base, changes)
    assert out["anpr"] == {"enabled": False, "region": "none", "worker_nice": 0, "threads": 2}
    assert base["anpr"] == {"enabled": True, "region": "none"}  # a copy
    assert bench_live.parse_variant("") == {}
    models = {"models": [{"name": "person", "refine": {"source": "p.pt"}}]}
    out = bench_live.apply_variant(models, {"models.0.refine.crop": 192})
    assert out["models"][0]["refine"] == {"source": "p.pt", "crop": 192}


@pytest.mark.parametrize("variant, message", [
    ("anpr.worker_nice", "write SETTING=VALUE"),
    ("site.id.x=1", "id is not a section"),
    ("anpr.worker_nice=40", "worker_nice"),
    ("models.5.imgsz=960", "5 is not an item of its list (0-1)"),
    ("models.person.imgsz=960", "person is not an item of its list"),
    ("models.0.refine.crop=200", "multiple of 32"),
])
def test_bad_variants_are_named_before_anything_runs(
        variant: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        bench_live.main(["--config", str(ROOT / "config" / "demo.yaml"), "--variant",
                         variant])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
