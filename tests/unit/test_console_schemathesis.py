"""Property-based run over every console route (logged in): never a 5xx, never a traceback.

The console's forms are read by hand (``edge.ui.forms``), so the schema names their paths
and query parameters only; schemathesis fuzzes those, and also sends random bodies to the
form routes. `test_console.py` adds the hand-made hostile bodies.
"""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from edge.ui.app import create_console
from tests.unit.test_console import make

CASES_PER_OPERATION = 25

_tmp = Path(__file__).resolve().parents[2] / "var" / "console-schemathesis"
_tmp.mkdir(parents=True, exist_ok=True)
_client, _cfg, _fake, _ctx = make(_tmp)
_app = create_console(_ctx, _client.app.state.console.cfg, openapi_url="/openapi.json")
_session = _app.state.console.sessions.login("t0ken-for-tests")
assert _session is not None
AUTH = {"cookie": f"edge_session={_session.sid}", "x-csrf-token": _session.csrf}
_before = _cfg.read_bytes()
schema = schemathesis.openapi.from_asgi("/openapi.json", _app)
CALLS: list[str] = []


@schema.parametrize()
@settings(max_examples=CASES_PER_OPERATION, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_console_routes_never_fail(case) -> None:  # type: ignore[no-untyped-def]
    CALLS.append(case.operation.label)
    response = case.call(headers=AUTH)
    assert response.status_code < 500, (case.operation.label, response.text[:500])
    assert "Traceback" not in response.text


def test_enough_cases_ran_and_the_config_is_untouched() -> None:
    assert len(CALLS) >= 150, len(CALLS)
    assert _cfg.read_bytes() == _before
