"""Whether the wall clock can be trusted, as the image's clock check found at boot.

``madoguchi-clock-check.service`` (image-build) runs before the daemon and writes its verdict to
``/run/madoguchi-clock/status``: ``ok`` or ``implausible: REASON`` (a clock before the image was
built, or implausibly far after). While it says implausible, the counter shows so on the idle
screen and notes ``clock_implausible`` on every slip and audit record, so no time is stamped as if
it were right. No file (a PC, a test) means nothing is known against the clock.
"""

from __future__ import annotations

from pathlib import Path

STATUS_PATH = Path("/run/madoguchi-clock/status")
MAX_BYTES = 512


def clock_problem(path: Path = STATUS_PATH) -> str | None:
    """The clock check's reason when it found the clock implausible, else None."""
    try:
        with path.open("rb") as handle:
            verdict = handle.read(MAX_BYTES).decode("utf-8", errors="replace").strip()
    except OSError:
        return None
    if not verdict.startswith("implausible"):
        return None
    return verdict.partition(":")[2].strip() or "implausible"
