"""`madoguchi simulate --out DIR`: scripted visitors through the real counter on simulated devices.

The daemon's own :class:`~madoguchi.transaction.Counter`, face engine, photo locator and quality
measure run on the simulated devices of :func:`madoguchi.hardware.make_hardware`: pages go into the
SANE-backed simulated scanner, frames into the FileCamera, and staff "press" the buttons by driving
gpiozero MockFactory pins. Each scenario below is one transaction: a genuine visitor, an impostor, a
visitor with an application form, and every kind of bad input.

Faces come from packages, so this runs on any machine: the genuine visitor is NASA astronaut Eileen
Collins (``skimage.data.astronaut()``, public domain), the impostor is Grace Hopper (matplotlib's
sample ``grace_hopper.jpg``, a U.S. Navy photograph, public domain). ``--lfw`` takes both from
Labeled Faces in the Wild instead (the first same-person and different-person pairs of pairs.txt).
Cards and forms are drawn here with Pillow. Faces stay in memory: DIR receives only the LCD frames
and slips (neither ever shows a face), the audit record and ``summary.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import queue
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from madoguchi.audit import AuditLog
from madoguchi.config import Config, parse
from madoguchi.errors import MadoguchiError
from madoguchi.fonts import find_font, load_font
from madoguchi.hardware import Hardware, make_hardware
from madoguchi.hardware.scanner import use_sane_test_backend
from madoguchi.messages import say
from madoguchi.privacy import disable_core_dumps
from madoguchi.transaction import Counter, Report, State

log = logging.getLogger(__name__)

DPI = 300
CAMERA_SIZE = (640, 480)
PRESS_S = 0.08
"""How long a simulated finger holds a button: longer than the buttons' bounce time."""
IDLE_FRAME = "00-idle-lcd-01.png"
DEFAULT_LFW = Path(__file__).resolve().parents[3] / "shared" / "data" / "lfw"  # ../shared beside the checkout


@dataclass(frozen=True)
class Person:
    """A face image and the box (x0, y0, x1, y1) of the head and shoulders in it."""

    image: Image.Image
    portrait: tuple[int, int, int, int]

    def head(self) -> Image.Image:
        return self.image.crop(self.portrait)


def package_people() -> tuple[Person, Person]:
    """The genuine visitor and the impostor, from scikit-image and matplotlib's sample data."""
    try:
        from matplotlib import cbook
        from skimage import data
    except ImportError as error:
        raise MadoguchiError(
            f"madoguchi simulate takes its faces from scikit-image and matplotlib ({error}); "
            "pip install scikit-image matplotlib, or pass --lfw"
        ) from error

    astronaut = Person(Image.fromarray(data.astronaut()), (130, 0, 320, 243))
    with Image.open(cbook.get_sample_data("grace_hopper.jpg")) as opened:
        hopper = Person(opened.convert("RGB"), (120, 0, 420, 384))
    return astronaut, hopper


def lfw_people(root: Path) -> tuple[Person, Person, Person]:
    """From LFW's pairs.txt: the first same-person pair (card, camera) and another person."""
    lines = (root / "pairs.txt").read_text().splitlines()
    name, first, second = lines[1].split()
    other = lines[1 + int(lines[0].split()[1])].split()[2]  # from the first different-person pair

    def load(person: str, number: str | int) -> Person:
        path = root / "images" / person / f"{person}_{int(number):04d}.jpg"
        with Image.open(path) as opened:
            return Person(opened.convert("RGB"), (55, 35, 195, 215))

    return load(name, first), load(name, second), load(other, 1)


# --- pages and frames, drawn in code ---


def mm(value: float) -> int:
    return round(value / 25.4 * DPI)


def _printed(photo: Image.Image, size: tuple[int, int]) -> Image.Image:
    """A photo as it looks printed and scanned: resized, slightly soft and flat."""
    photo = photo.resize(size, Image.Resampling.LANCZOS).filter(ImageFilter.GaussianBlur(0.8))
    return Image.blend(photo, Image.new("RGB", size, (235, 232, 228)), 0.08)


def card_page(person: Person) -> np.ndarray:
    """A synthetic My Number-style card (photo on the left) lying on the scanner glass."""
    glass = Image.new("RGB", (mm(100), mm(70)), (246, 246, 244))
    card = Image.new("RGB", (mm(85.6), mm(54)), (226, 236, 242))
    draw = ImageDraw.Draw(card)
    font = load_font(find_font(), mm(3.2))
    draw.rectangle((0, 0, card.width, mm(9)), fill=(196, 62, 92))
    draw.text((mm(4), mm(2.2)), "個人番号カード（見本）", font=font, fill=(255, 255, 255))
    card.paste(_printed(person.head(), (mm(25), mm(32))), (mm(4), mm(15)))
    for row, label in enumerate(("氏名", "住所", "生年月日", "有効期限")):
        y = mm(15 + 8 * row)
        draw.text((mm(33), y), label, font=font, fill=(60, 60, 70))
        draw.rectangle((mm(33), y + mm(4.5), mm(33 + 30 + 6 * (row % 3)), y + mm(5.5)), fill=(120, 120, 130))
    mask = Image.new("L", card.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, card.width - 1, card.height - 1), radius=mm(3), fill=255)
    glass.paste(card, (mm(6), mm(7)), mask)
    return np.array(glass)


def form_page(person: Person) -> np.ndarray:
    """A synthetic application form (A5, to keep scans quick) with the photo glued top right."""
    page = Image.new("RGB", (mm(148), mm(210)), (250, 250, 248))
    draw = ImageDraw.Draw(page)
    title, body = load_font(find_font(), mm(6)), load_font(find_font(), mm(3.5))
    draw.text((mm(10), mm(10)), "交付申請書（見本）", font=title, fill=(30, 30, 30))
    for row in range(12):
        y = mm(60 + 11 * row)
        draw.rectangle((mm(10), y, mm(138), y + mm(9)), outline=(90, 90, 95), width=2)
        draw.text((mm(12), y + mm(2.5)), "記入欄", font=body, fill=(90, 90, 95))
    page.paste(_printed(person.head(), (mm(35), mm(45))), (mm(100), mm(10)))
    return np.array(page)


def _background() -> Image.Image:
    """An empty counter as the camera sees it: a wall and a partition, no one there."""
    room = Image.new("RGB", CAMERA_SIZE, (188, 182, 170))
    draw = ImageDraw.Draw(room)
    draw.rectangle((0, 330, CAMERA_SIZE[0], CAMERA_SIZE[1]), fill=(120, 110, 100))
    draw.rectangle((470, 60, 600, 330), fill=(160, 150, 140))
    return room


def camera_frames(*people: Person, count: int = 6) -> list[np.ndarray]:
    """Frames of ``people`` side by side, each slightly moved and scaled, as a visitor sways."""
    rng = np.random.default_rng(len(people))
    frames = []
    for _ in range(count):
        frame = _background()
        slot = CAMERA_SIZE[0] // max(1, len(people))
        for index, person in enumerate(people):
            height = round((430 if len(people) == 1 else 300) * rng.uniform(0.92, 1.05))
            x0, y0, x1, y1 = person.portrait
            margin = (x1 - x0) // 3
            box = (max(0, x0 - margin), y0, min(person.image.width, x1 + margin), y1 + (y1 - y0) // 4)
            view = person.image.crop(box)
            view = view.resize((round(view.width * height / view.height), height), Image.Resampling.BILINEAR)
            left = slot * index + (slot - view.width) // 2 + int(rng.integers(-15, 16))
            frame.paste(view, (left, CAMERA_SIZE[1] - height + int(rng.integers(0, 20))))
        frames.append(np.array(frame))
    return frames


# --- recording what the counter shows and prints ---


class RecordingDisplay:
    """The simulated display, keeping a copy of every frame for the scenario being run."""

    def __init__(self, display) -> None:
        self.display = display
        self.frames: list[Image.Image] = []

    @property
    def size(self) -> tuple[int, int]:
        return self.display.size

    def show(self, frame: Image.Image) -> None:
        self.display.show(frame)
        self.frames.append(frame.copy())

    def close(self) -> None:
        self.display.close()


class RecordingPrinter:
    """The simulated printer, keeping each slip it printed."""

    def __init__(self, printer) -> None:
        self.printer = printer
        self.slips: list[Image.Image] = []

    @property
    def width_px(self) -> int:
        return self.printer.width_px

    def print_slip(self, slip: Image.Image) -> None:
        self.printer.print_slip(slip)
        self.slips.append(slip.copy())

    def close(self) -> None:
        self.printer.close()


# --- the scripted visitors ---


@dataclass
class Desk:
    """The counter running in its own thread, and the staff's hands."""

    hardware: Hardware
    counter: Counter
    thread: threading.Thread
    display: RecordingDisplay
    printer: RecordingPrinter
    reports: queue.Queue[Report] = field(default_factory=queue.Queue)

    def press(self, button: str) -> None:
        pin = getattr(self.hardware.buttons, f"{button}_button").pin
        pin.drive_low()
        time.sleep(PRESS_S)
        pin.drive_high()

    def wait_for(self, state: State, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.counter.state is not state:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the counter did not reach {state.value}")
            time.sleep(0.005)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    prepare: Callable[[Desk], None]
    act: Callable[[Desk], None] = lambda desk: desk.press("start")
    restore: Callable[[Desk], None] = lambda desk: None
    extra_report_wait_s: float = 0.0
    """How long to watch for a second report that must not come (a second press was ignored)."""


def _visit(page: np.ndarray | None, *people: Person) -> Callable[[Desk], None]:
    def prepare(desk: Desk) -> None:
        desk.hardware.scanner.load([page])
        desk.hardware.camera.load(camera_frames(*people))

    return prepare


def _then(first: Callable[[Desk], None], second: Callable[[Desk], None]) -> Callable[[Desk], None]:
    def both(desk: Desk) -> None:
        first(desk)
        second(desk)

    return both


def _press(button: str) -> Callable[[Desk], None]:
    return lambda desk: desk.press(button)


def _cancel_while_capturing(desk: Desk) -> None:
    desk.press("start")
    desk.wait_for(State.CAPTURING)
    desk.press("cancel")


def _press_twice(desk: Desk) -> None:
    desk.press("start")
    time.sleep(0.1)
    desk.press("start")


def _unplug(device: str) -> tuple[Callable[[Desk], None], Callable[[Desk], None]]:
    """Pull the cable of the simulated ``device``, and plug it back in."""
    return (
        lambda desk: getattr(desk.hardware, device).unplug(),
        lambda desk: getattr(desk.hardware, device).plug(),
    )


def _paper(state: str) -> Callable[[Desk], None]:
    def set_paper(desk: Desk) -> None:
        desk.printer.printer.printer.paper = state  # RecordingPrinter > SlipPrinter > VirtualPrinter

    return set_paper


def scenarios(genuine_card: Person, genuine_live: Person, impostor: Person) -> list[Scenario]:
    card = card_page(genuine_card)
    genuine = _visit(card, genuine_live)
    pull_camera, plug_camera = _unplug("camera")
    pull_scanner, plug_scanner = _unplug("scanner")
    mode = _press("mode")
    return [
        Scenario("genuine", "the card holder at the camera", genuine),
        Scenario("impostor", "someone else at the camera", _visit(card, impostor)),
        Scenario(
            "form_genuine",
            "申請時来庁: MODE pressed, an application form scanned, its applicant at the camera",
            _then(_visit(form_page(impostor), impostor), mode),
            restore=mode,
        ),
        Scenario("blank_page", "nothing on the scanner", _visit(None, genuine_live)),
        Scenario("no_face_camera", "no one in front of the camera", _visit(card)),
        Scenario(
            "two_faces_camera", "two people in front of the camera", _visit(card, genuine_live, impostor)
        ),
        Scenario(
            "camera_unplugged", "the camera's cable pulled", _then(genuine, pull_camera), restore=plug_camera
        ),
        Scenario(
            "scanner_gone", "the scanner's cable pulled", _then(genuine, pull_scanner), restore=plug_scanner
        ),
        Scenario(
            "printer_out_of_paper",
            "the printer runs out of paper; the score stays on screen",
            _then(genuine, _paper("out")),
            restore=_paper("ok"),
        ),
        Scenario("cancel", "CANCEL pressed while the camera watches", genuine, act=_cancel_while_capturing),
        Scenario(
            "double_press",
            "START pressed twice; the second press is ignored",
            genuine,
            act=_press_twice,
            extra_report_wait_s=1.0,
        ),
    ]


def simulation_config(out: Path, *, capture_seconds: float) -> Config:
    return parse(
        {
            "counter": {
                "municipality": "見本市",
                "terminal_id": "sim-01",
                "threshold": 60,
                "capture_seconds": capture_seconds,
                "result_seconds": 2.0,
            },
            "hardware": {"kind": "simulated"},
            "storage": {"audit_path": str(out.resolve() / "audit.jsonl")},
        }
    )


def _start(out: Path, capture_seconds: float) -> tuple[Desk, AuditLog, float]:
    """Start as the daemon does (models, devices, audit record); the time until the idle screen."""
    from madoguchi.engine import FaceEngine

    started = time.monotonic()
    if "SANE_CONFIG_DIR" not in os.environ:  # scan through SANE's test backend, probe nothing real
        use_sane_test_backend(Path(tempfile.mkdtemp(prefix="madoguchi-sane-")))
    config = simulation_config(out, capture_seconds=capture_seconds)
    engine = FaceEngine.load(config.models.dir)
    hardware = make_hardware(config.hardware)
    display, printer = RecordingDisplay(hardware.display), RecordingPrinter(hardware.printer)
    hardware.display, hardware.printer = display, printer
    audit = AuditLog.open(config.storage.audit_path)
    reports: queue.Queue[Report] = queue.Queue()
    counter = Counter(hardware, engine, config, audit, observers=[reports.put])
    counter.attach_buttons()
    thread = threading.Thread(target=counter.run, name="counter", daemon=True)
    desk = Desk(hardware, counter, thread, display, printer, reports)
    thread.start()
    while not display.frames:  # the idle screen: the counter is ready
        time.sleep(0.001)
    return desk, audit, time.monotonic() - started


def _run_one(desk: Desk, scenario: Scenario) -> tuple[Report, float, int]:
    scenario.prepare(desk)
    desk.display.frames.clear()
    pressed = time.monotonic()
    scenario.act(desk)
    report = desk.reports.get(timeout=120)
    seconds = time.monotonic() - pressed
    extra = 0
    if scenario.extra_report_wait_s:
        try:
            desk.reports.get(timeout=scenario.extra_report_wait_s)
            extra = 1
        except queue.Empty:
            pass
    scenario.restore(desk)
    return report, seconds, extra


def _rss_mib() -> float:
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
) -> dict:
    """Run every scenario (then the genuine one ``repeat`` more times); write DIR; return the summary."""
    out.mkdir(parents=True, exist_ok=True)
    disable_core_dumps()  # the sample faces are public, but a core file would still be a face on disk
    if lfw:
        people = lfw_people(lfw)
    else:
        genuine, impostor = package_people()
        people = (genuine, genuine, impostor)
    desk, audit, cold_start = _start(out, capture_seconds)
    desk.display.frames[0].save(out / IDLE_FRAME)
    scripted = scenarios(*people)
    entries, timings = [], []
    try:
        for index, scenario in enumerate(scripted, start=1):
            report, seconds, extra = _run_one(desk, scenario)
            entries.append(_write(out, index, scenario, report, desk, seconds, extra))
            log.info("%s: %s %s", scenario.name, report.result.code, report.result.score)
        for _ in range(repeat):
            timings.append(_run_one(desk, scripted[0])[1])  # the genuine visitor
            desk.printer.slips.clear()
    finally:
        desk.counter.stop()
        desk.thread.join(timeout=30)
        desk.hardware.close()
        audit.close()
    summary = {
        "faces": "lfw" if lfw else "astronaut (skimage) / grace_hopper (matplotlib)",
        "threshold": desk.counter.config.counter.threshold,
        "capture_seconds": capture_seconds,
        "cold_start_to_ready_s": round(cold_start, 3),
        "rss_mib": round(_rss_mib(), 1),
        "idle_frame": IDLE_FRAME,
        "transactions": entries,
    }
    if timings:
        summary["press_to_slip_median_s"] = round(statistics.median(timings), 3)
        summary["press_to_slip_repeats"] = len(timings)
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    return summary


def _write(
    out: Path, index: int, scenario: Scenario, report: Report, desk: Desk, seconds: float, extra: int
) -> dict:
    stem = f"{index:02d}-{scenario.name}"
    frames = []
    for number, frame in enumerate(desk.display.frames, start=1):
        frames.append(f"{stem}-lcd-{number:02d}.png")
        frame.save(out / frames[-1])
    slip = None
    if desk.printer.slips:
        slip = f"{stem}-slip.png"
        desk.printer.slips[-1].save(out / slip)
        desk.printer.slips.clear()
    result = report.result
    return {
        "scenario": scenario.name,
        "description": scenario.description,
        "transaction": result.number,
        "mode": result.mode,
        "score": result.score,
        "threshold": result.threshold,
        "at_or_above": result.at_or_above,
        "outcome": result.code,
        "messages": list(report.shown),
        "messages_ja": [say(code, "ja") for code in report.shown],
        "notes": list(result.notes),
        "slip_printed": report.slip_printed,
        "extra_transactions": extra,
        "press_to_report_s": round(seconds, 3),
        "lcd_frames": frames,
        "slip": slip,
    }


def _command(args: argparse.Namespace) -> int:
    from madoguchi.service import configure_logging

    configure_logging(verbose=args.verbose)
    lfw = args.lfw_dir if args.lfw else None
    summary = simulate(args.out, lfw=lfw, capture_seconds=args.capture_seconds, repeat=args.repeat)
    for entry in summary["transactions"]:
        score = "-" if entry["score"] is None else f"{entry['score']:.1f}"
        print(f"{entry['transaction']:>4}  {entry['scenario']:<22} {entry['outcome']:<22} score {score}")
    print(f"cold start to ready {summary['cold_start_to_ready_s']:.2f} s, RSS {summary['rss_mib']:.0f} MiB")
    if "press_to_slip_median_s" in summary:
        print(
            f"press to slip: median {summary['press_to_slip_median_s']:.2f} s over {args.repeat} visitors "
            f"(capture window {args.capture_seconds:.1f} s included)"
        )
    print(f"written to {args.out}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser(
        "simulate", help="run scripted visitors through the counter on simulated devices"
    )
    command.add_argument(
        "--out", type=Path, required=True, help="directory for LCD frames, slips, summary.json"
    )
    command.add_argument(
        "--lfw", action="store_true", help="take the faces from LFW instead of package images"
    )
    command.add_argument(
        "--lfw-dir", type=Path, default=DEFAULT_LFW, help=f"LFW directory (default {DEFAULT_LFW})"
    )
    command.add_argument("--capture-seconds", type=float, default=1.0, help="camera window (default 1.0)")
    command.add_argument(
        "--repeat", type=int, default=0, help="then run N genuine visitors and print the median"
    )
    command.add_argument("-v", "--verbose", action="store_true", help="log every state change")
    command.set_defaults(handler=_command)
