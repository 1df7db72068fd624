"""Stand-ins for the face engine and the document steps, and a counter running on simulated devices.

The counter's tests pass these in through :func:`madoguchi.counter.make_counter`. A "face" is a
solid rectangle of colour (200, person, 50); pages and camera frames are drawn in code, so no face
image is involved.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from madoguchi import config as config_module
from madoguchi.engine.types import Face, FaceBox, Verification
from madoguchi.errors import BlankPage, MultipleFacesFound, NoFaceFound, PhotoNotFound, SeveralPhotos
from madoguchi.simulate.harness import Desk
from madoguchi.synthetic import frames
from madoguchi.synthetic.cards import plain_card
from madoguchi.synthetic.people import paste

MARKER_RED, MARKER_BLUE = 200, 50


def marker(person: int) -> tuple[int, int, int]:
    """The colour of ``person``'s (1-255) marker face."""
    return (MARKER_RED, person, MARKER_BLUE)


def draw_face(image: np.ndarray, person: int, box: tuple[int, int, int, int]) -> np.ndarray:
    """Draw a marker face of ``person`` into ``image`` at (x0, y0, x1, y1)."""
    return paste(image, marker(person), box)


def card_page(person: int | None) -> np.ndarray:
    """A plain card at 300 dpi with the marker photo on the left (or none)."""
    return plain_card(None if person is None else marker(person))


def camera_frame(*people: int) -> np.ndarray:
    """A 640x480 frame with a marker face per person, side by side."""
    return frames.camera_frame(
        *((marker(person), (120 + 260 * i, 120, 300 + 260 * i, 360)) for i, person in enumerate(people))
    )


class MarkerEngine:
    """Finds marker faces; verify() scores 91.5 for the same person and 12.0 for two different ones."""

    forgotten = 0  # how many times the counter asked it to forget the last images

    def forget(self) -> None:
        self.forgotten += 1

    def find_faces(self, rgb: np.ndarray, *, min_face: int | None = None) -> list[Face]:
        mask = ((rgb[..., 0] == MARKER_RED) & (rgb[..., 2] == MARKER_BLUE)).astype(np.uint8)
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        faces = []
        for x, y, w, h, area in stats[1:count]:
            if area >= 100:
                eyes = [[x + w * share, y + h * 0.4] for share in (0.7, 0.6, 0.3, 0.4)]
                points = np.array([*eyes, [x + w / 2, y + h / 2]])
                faces.append(Face(box=FaceBox(x, y, x + w, y + h), points=points))
        return sorted(faces, key=lambda face: -face.box.height)

    def find_one_face(self, rgb: np.ndarray, *, side: str | None = None) -> Face:
        faces = self.find_faces(rgb)
        if not faces:
            raise NoFaceFound("no marker", side=side)
        if len(faces) > 1:
            raise MultipleFacesFound(f"{len(faces)} markers", side=side)
        return faces[0]

    def compare(self, reference: np.ndarray, ours: Face, live: np.ndarray, theirs: Face) -> Verification:
        same = _person(reference, ours) == _person(live, theirs)
        score = 91.5 if same else 12.0
        return Verification(score, 1 - score / 100, ours.box, theirs.box)


def _person(image: np.ndarray, face: Face) -> int:
    return int(image[int(face.box.y0), int(face.box.x0), 1])


@dataclass(frozen=True)
class FakeLocated:
    image: np.ndarray


def fake_locate(page: np.ndarray, engine: MarkerEngine, *, dpi: int) -> FakeLocated:
    if int(page.max()) - int(page.min()) < 10:
        raise BlankPage("blank page")
    faces = engine.find_faces(page)
    if not faces:
        raise PhotoNotFound("no photo")
    if len(faces) > 1:
        raise SeveralPhotos("two photos")
    box = faces[0].box
    x0, y0 = int(box.x0) - 20, int(box.y0) - 20
    crop = page[y0 : int(box.y1) + 20, x0 : int(box.x1) + 20]
    return FakeLocated(crop)


@dataclass(frozen=True)
class FakeQuality:
    score: float
    ok: bool
    advice: tuple[str, ...]


def fake_assess(rgb: np.ndarray, face: Face, *, side: str) -> FakeQuality:
    share = face.box.height / rgb.shape[0]
    advice = ("move_closer",) if side == "live" and share < 0.3 else ()
    return FakeQuality(share, not advice, advice)


def counter_settings(tmp_path, **counter) -> config_module.Config:
    """A valid config for tests: simulated devices, a short capture, the audit record in tmp_path.
    Staff's decision is off, so START at a result starts the next visitor (tests of the decision
    itself turn it on: ``decisions=True``)."""
    section = {
        "municipality": "テスト市",
        "terminal_id": "test-01",
        "threshold": 60,
        "capture_seconds": 0.3,
        "decisions": False,
    }
    return config_module.parse(
        {
            "counter": section | counter,
            "hardware": {"kind": "simulated"},
            "storage": {"audit_path": str(tmp_path / "audit.jsonl")},
        }
    )


def marker_desk(hardware, config, *, engine=None, assess=fake_assess, **options) -> Desk:
    """The package's harness running the real counter on ``hardware`` with the marker doubles;
    ``options`` go to the harness (``audit_files``) and the counter (``heartbeat``, ``status``)."""
    return Desk(
        config, engine or MarkerEngine(), hardware=hardware, locate=fake_locate, assess=assess, **options
    )
