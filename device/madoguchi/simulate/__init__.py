"""`madoguchi simulate --out DIR`: scripted visitors through the real counter on simulated devices.

The daemon's own counter, face engine, photo locator and quality measure run on the simulated
devices of :func:`madoguchi.hardware.make_hardware`: pages go into the SANE-backed simulated
scanner, frames into the FileCamera, and staff "press" the buttons by driving gpiozero MockFactory
pins (:mod:`.harness`). Each scenario (:mod:`.scenarios`) is one transaction: a genuine visitor,
an impostor, a visitor with an application form, every kind of bad input, and the IC chip source
(My Number cards on an in-process emulated reader, :mod:`madoguchi.chip.simulated`).

Faces stay in memory: DIR receives only the LCD frames and slips (neither ever shows a face), the
audit record, ``summary.json`` and ``index.html``, the page to open first (:mod:`.gallery`).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from madoguchi import paths
from madoguchi.config import CommonConfig, parse
from madoguchi.counter.outcome import Report
from madoguchi.engine import FaceEngine
from madoguchi.errors import ExitCode
from madoguchi.hardware.scanner import use_sane_test_backend
from madoguchi.language import LANGUAGES, Language
from madoguchi.ops.simulated import cache_dir
from madoguchi.ops.systemd import configure_logging
from madoguchi.privacy import disable_core_dumps
from madoguchi.simulate.gallery import save_frames, write_summary
from madoguchi.simulate.harness import Desk
from madoguchi.simulate.scenarios import (
    Scenario,
    Sight,
    chip_scenarios,
    presentation_scenarios,
    pressed,
    scenarios,
)
from madoguchi.synthetic.people import another_day, lfw_people, package_people
from madoguchi.ui.messages import say

log = logging.getLogger(__name__)

IDLE_FRAME = "00-idle-lcd-01.png"
END_OF_DAY = "99-end-of-day"
JLIS_KEYS = "sample-jlis-public.pem"
"""The public key the sample chip cards are signed under (no secret: the private key is dropped)."""


def simulation_config(
    out: Path, *, capture_seconds: float, jlis_keys: Path | None = None, language: Language = "ja"
) -> CommonConfig:
    chip = {"enabled": True, "jlis_keys": str(jlis_keys.resolve())} if jlis_keys else {}
    return parse(
        {
            "counter": {
                "municipality": "見本市",
                "terminal_id": "sim-01",
                "threshold": 60,
                "capture_seconds": capture_seconds,
                "result_seconds": 30.0,
                "language": language,
            },
            "hardware": {"kind": "simulated"},
            "storage": {"audit_path": str(out.resolve() / "audit.jsonl")},
            # The visitor's voice on the recording speaker, and the passive presentation-attack checks
            # (a camera playing frames in a loop cannot answer the challenge).
            "voice": {"enabled": True, "cache_dir": str(cache_dir() / "voice")},
            "pad": {"enabled": True, "challenge": False},
            "chip": chip,
        }
    )


def open_desk(
    out: Path, *, capture_seconds: float, jlis_keys: Path | None = None, language: Language = "ja"
) -> tuple[Desk, float]:
    """Start as the daemon does (models, devices, audit record); the time until the idle screen."""
    started = time.monotonic()
    if "SANE_CONFIG_DIR" not in os.environ:  # scan through SANE's test backend, probe nothing real
        use_sane_test_backend(Path(tempfile.mkdtemp(prefix="madoguchi-sane-")))
    config = simulation_config(out, capture_seconds=capture_seconds, jlis_keys=jlis_keys, language=language)
    desk = Desk(config, FaceEngine.load(config.models.dir, faceres=config.models.faceres))
    return desk, time.monotonic() - started


def run_scenario(desk: Desk, scenario: Scenario) -> tuple[Report, float, int]:
    """One scenario: its report, seconds from the act to the report, and transactions beyond the one."""
    scenario.prepare(desk)
    desk.frames.clear()
    desk.slips.clear()
    pressed = time.monotonic()
    scenario.act(desk)
    report = desk.next_report()
    seconds = time.monotonic() - pressed
    desk.settle()  # every press acted on or answered; a second transaction would have run by now
    extra = desk.reports.qsize()
    scenario.decide(desk)
    scenario.restore(desk)
    return report, seconds, extra


def day_slip(out: Path, desk: Desk) -> dict[str, Any]:
    """The day's figures from the staff menu (CANCEL, MODE, START): its LCD frames and the slip."""
    desk.frames.clear()
    desk.slips.clear()
    pressed("cancel", "mode", "start")(desk)
    desk.slips[-1].save(out / f"{END_OF_DAY}-slip.png")
    return {"lcd_frames": save_frames(out, END_OF_DAY, desk.frames), "slip": f"{END_OF_DAY}-slip.png"}


def rss_mib() -> float:
    """This process's resident memory (VmRSS), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def simulate(
    out: Path,
    *,
    lfw: Path | None = None,
    capture_seconds: float = 1.0,
    repeat: int = 0,
    language: Language = "ja",
) -> dict:
    """Run every scenario (then the genuine one ``repeat`` more times); write DIR; return the summary."""
    out.mkdir(parents=True, exist_ok=True)
    disable_core_dumps()  # the sample faces are public, but a core file would still be a face on disk
    if lfw:
        people = chip_people = lfw_people(lfw)
    else:  # the camera's is not the card's picture: the holder on another day (and another for the chip)
        genuine, impostor = package_people()
        people = (genuine, another_day(genuine), impostor)
        chip_people = (genuine, another_day(genuine, seed=5), impostor)
    issuer = rsa.generate_private_key(65537, 2048)  # the sample cards' "J-LIS" key, for this run only
    jlis_keys = out / JLIS_KEYS
    jlis_keys.write_bytes(
        issuer.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    desk, cold_start = open_desk(out, capture_seconds=capture_seconds, jlis_keys=jlis_keys, language=language)
    desk.frames[0].save(out / IDLE_FRAME)
    sight = Sight(desk.appliance.engine)
    scripted = (
        scenarios(sight, *people)
        + chip_scenarios(sight, *chip_people, issuer)
        + presentation_scenarios(sight, *people[:2])
    )
    entries, timings = [], []
    try:
        for index, scenario in enumerate(scripted, start=1):
            report, seconds, extra = run_scenario(desk, scenario)
            entries.append(_entry(out, index, scenario, report, desk, seconds, extra))
            log.info("%s: %s %s", scenario.name, report.result.code, report.result.score)
        for _ in range(repeat):
            timings.append(run_scenario(desk, scripted[0])[1])  # the genuine visitor
        end_of_day = day_slip(out, desk)
    finally:
        desk.close()
    summary: dict[str, Any] = {
        "faces": "lfw" if lfw else "astronaut (skimage) / grace_hopper (matplotlib)",
        "threshold": desk.config.counter.threshold,
        "capture_seconds": capture_seconds,
        "cold_start_to_ready_s": round(cold_start, 3),
        "rss_mib": round(rss_mib(), 1),
        "idle_frame": IDLE_FRAME,
        "transactions": entries,
        "end_of_day": end_of_day,
    }
    if timings:
        summary["press_to_slip_median_s"] = round(statistics.median(timings), 3)
        summary["press_to_slip_repeats"] = len(timings)
    write_summary(out, summary)
    return summary


def _entry(
    out: Path, index: int, scenario: Scenario, report: Report, desk: Desk, seconds: float, extra: int
) -> dict[str, Any]:
    stem = f"{index:02d}-{scenario.name}"
    frames = save_frames(out, stem, desk.frames)
    slip = None
    if desk.slips:
        slip = f"{stem}-slip.png"
        desk.slips[-1].save(out / slip)
    result = report.result
    return {
        "scenario": scenario.name,
        "description": scenario.description,
        "transaction": result.number,
        "mode": result.mode,
        "source": result.mode,
        "chip_verified": result.detail.record.get("chip_verified"),
        "score": result.score,
        "threshold": result.threshold,
        "at_or_above": result.at_or_above,
        "outcome": result.code,
        "messages": list(report.shown),
        "messages_ja": [say(code, "ja") for code in report.shown],
        "messages_en": [say(code, "en") for code in report.shown],
        "notes": list(result.notes),
        "slip_printed": report.slip_printed,
        "extra_transactions": extra,
        "press_to_report_s": round(seconds, 3),
        "lcd_frames": frames,
        "slip": slip,
    }


def _command(args: argparse.Namespace) -> ExitCode:
    configure_logging(verbose=args.verbose)
    lfw = args.lfw_dir if args.lfw else None
    if lfw is not None and not (lfw / "pairs.txt").is_file():
        print(
            f"--lfw: no LFW at {lfw} (pairs.txt and images/); give --lfw-dir, or leave out --lfw",
            file=sys.stderr,
        )
        return ExitCode.USAGE
    summary = simulate(
        args.out, lfw=lfw, capture_seconds=args.capture_seconds, repeat=args.repeat, language=args.lang
    )
    for entry in summary["transactions"]:
        score = "-" if entry["score"] is None else f"{entry['score']:.1f}"
        print(f"{entry['transaction']:>4}  {entry['scenario']:<22} {entry['outcome']:<22} score {score}")
    print(f"cold start to ready {summary['cold_start_to_ready_s']:.2f} s, RSS {summary['rss_mib']:.0f} MiB")
    if "press_to_slip_median_s" in summary:
        print(
            f"press to slip: median {summary['press_to_slip_median_s']:.2f} s over {args.repeat} visitors "
            f"(capture window {args.capture_seconds:.1f} s included)"
        )
    print(f"written to {args.out}; open {args.out / 'index.html'}")
    return ExitCode.OK


def configure(command: argparse.ArgumentParser) -> None:
    """``madoguchi simulate``'s options (listed by :data:`madoguchi.cli.main.TOOLS`)."""
    command.add_argument(
        "--out", type=Path, required=True, help="directory for LCD frames, slips, summary.json, index.html"
    )
    command.add_argument(
        "--lfw", action="store_true", help="take the faces from LFW instead of package images"
    )
    command.add_argument(
        "--lfw-dir", type=Path, default=paths.lfw(), help=f"LFW directory (default {paths.lfw()})"
    )
    command.add_argument("--capture-seconds", type=float, default=1.0, help="camera window (default 1.0)")
    command.add_argument(
        "--repeat", type=int, default=0, help="then run N genuine visitors and print the median"
    )
    command.add_argument(
        "--lang", choices=LANGUAGES, default="ja", help="of the screens and slips (default ja)"
    )
    command.add_argument("-v", "--verbose", action="store_true", help="log every state change")
    command.set_defaults(handler=_command)
