"""Playwright for the console's browser tests, driving Debian's chromium.

Playwright cannot download its own browser here, so the tests launch the system package that
scripts/test_services.sh installs (`chromium`, with `fonts-dejavu-core` for readable
screenshots). Settings, as measured with Playwright 1.65 and Debian's Chromium 156:

- headless=True: Playwright passes plain `--headless`, which in this Chromium is the new
  headless mode (the old one now lives only in chromium-headless-shell, not needed).
- chromium_sandbox=False: Playwright then passes `--no-sandbox`. As root (the test machines,
  containers) Chromium's sandbox cannot start ("Chromium sandboxing failed!"), so it is needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright

CHROMIUM = Path("/usr/bin/chromium")


def launch_browser(playwright: Playwright) -> Browser:
    """Launch Debian's headless chromium; fail (never skip) when it is not installed."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/test_services.sh", pytrace=False)
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        chromium_sandbox=False,
    )
