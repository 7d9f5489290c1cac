"""Finding the system Chromium for Playwright (never `playwright install`: TOOLING.md)."""

import os
import shutil


def find_chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate:
            path = shutil.which(candidate) or (candidate if os.path.isfile(candidate) else None)
            if path:
                return path
    return None
