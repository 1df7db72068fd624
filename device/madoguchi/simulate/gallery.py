"""What ``madoguchi simulate`` leaves in its output directory: PNGs, summary.json and index.html.

index.html is the page a newcomer opens first: for each scenario, its LCD frames in order and its
slip side by side, with what happened. It only links the PNGs beside it (no face is ever on them).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from PIL import Image

from madoguchi.ui.messages import say

STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
section { border-top: 1px solid #ccc; padding: 1em 0; }
.row { display: flex; gap: 12px; align-items: flex-start; flex-wrap: wrap; }
.frames img { border: 1px solid #888; width: 160px; }
.slip img { border: 1px solid #888; width: 220px; background: #fff; }
.outcome { font-weight: bold; }
td { padding: 0 1em 0 0; vertical-align: top; }
"""


MAX_FRAMES = 20
"""Frames kept per scenario: keying in a chip's code draws one per button press."""


def save_frames(out: Path, stem: str, frames: list[Image.Image]) -> list[str]:
    """Save ``frames`` as ``<stem>-lcd-NN.png`` (the first few and the last ones when there are more
    than :data:`MAX_FRAMES`); return their names."""
    if len(frames) > MAX_FRAMES:
        frames = frames[:4] + frames[4 - MAX_FRAMES :]
    names = []
    for number, frame in enumerate(frames, start=1):
        names.append(f"{stem}-lcd-{number:02d}.png")
        frame.save(out / names[-1])
    return names


def write_summary(out: Path, summary: dict[str, Any]) -> None:
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    (out / "index.html").write_text(_index(summary), encoding="utf-8")


def _index(summary: dict[str, Any]) -> str:
    sections = [_section(entry) for entry in summary["transactions"]]
    sections.append(_end_of_day(summary["end_of_day"]))
    idle = html.escape(summary["idle_frame"])
    return f"""<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>madoguchi simulate</title>
<style>{STYLE}</style></head><body>
<h1>madoguchi simulate</h1>
<p>Scripted visitors through the real counter on simulated devices. Threshold
{summary["threshold"]}, capture window {summary["capture_seconds"]} s, faces: {html.escape(summary["faces"])}.
Cold start to ready {summary["cold_start_to_ready_s"]} s.</p>
<p>The idle screen: <img src="{idle}" alt="idle screen" width="120"></p>
{"".join(sections)}
</body></html>
"""


def _images(names: list[str]) -> str:
    return "".join(
        f'<img src="{html.escape(name)}" alt="LCD frame {number}">'
        for number, name in enumerate(names, start=1)
    )


def _end_of_day(entry: dict[str, Any]) -> str:
    return f"""<section id="end_of_day">
<h2>End of day</h2>
<p>The staff menu (CANCEL between visitors), 本日の集計 (MODE, START): the day slip, counts only.</p>
<div class="row"><div class="frames">{_images(entry["lcd_frames"])}</div>
<div class="slip"><img src="{html.escape(entry["slip"])}" alt="day slip"></div></div>
</section>
"""


def _section(entry: dict[str, Any]) -> str:
    score = "–" if entry["score"] is None else f"{entry['score']:.1f}"
    frames = _images(entry["lcd_frames"])
    slip = f'<img src="{html.escape(entry["slip"])}" alt="slip">' if entry["slip"] else "(no slip printed)"
    messages = ", ".join(
        f"{html.escape(code)} ({html.escape(say(code, 'ja'))})" for code in entry["messages"]
    )
    return f"""<section id="{html.escape(entry["scenario"])}">
<h2>{entry["transaction"]}. {html.escape(entry["scenario"])}</h2>
<p>{html.escape(entry["description"])}</p>
<table><tr><td>outcome</td><td class="outcome">{html.escape(entry["outcome"])}</td></tr>
<tr><td>mode</td><td>{html.escape(entry["mode"])}</td></tr>
<tr><td>score / threshold</td><td>{score} / {entry["threshold"]}</td></tr>
<tr><td>messages shown</td><td>{messages}</td></tr>
<tr><td>slip printed</td><td>{entry["slip_printed"]}</td></tr></table>
<div class="row"><div class="frames">{frames}</div><div class="slip">{slip}</div></div>
</section>
"""
