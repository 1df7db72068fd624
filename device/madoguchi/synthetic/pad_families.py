"""Generator families of capture sequences for the presentation-attack checks, one held out of tuning.

Each family draws every parameter of a sequence from its ranges, by seed: the camera (frame size,
frame rate, blur, noise, mains flicker, MJPEG), how large the face appears, how the visitor answers
the challenge, how an attacker holds a print or a phone, the printers and the screens. A sequence is
a pure function of (kind, family, seed, the faces given, the requests it is shown).

``HELD_OUT`` is kept out of all tuning of the checks' operating points: ``madoguchi bench pad``
reports its figures on it. Kinds: ``bona_fide`` (a synthetic head that sways, blinks and follows the
challenge), ``print`` (a printed photo moved by hand), ``phone`` (a phone showing the photo) and
``video`` (a phone or tablet replaying a video of the head that blinks on its own).

    presenter = sequence("print", "counter", seed, heads)
    frame = presenter.frame(t, request)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from madoguchi.pad.mesh import eye_distance
from madoguchi.synthetic.attacks import Holding, PrintAttack, Screen, ScreenAttack, cut
from madoguchi.synthetic.heads import Head
from madoguchi.synthetic.scenes import Camera
from madoguchi.synthetic.visitors import Behaviour, Presenter, Visitor

KINDS = ("bona_fide", "print", "phone", "video")
ATTACKS = KINDS[1:]


@dataclass(frozen=True)
class PadFamily:
    """Ranges every sequence of a family is drawn from (uniform, or a choice)."""

    sizes: tuple[tuple[int, int], ...]  # camera frame sizes
    fps: tuple[float, float]
    eyes: tuple[float, float]  # eye distance in the frame, pixels
    blur: tuple[float, float]
    noise: tuple[float, float]
    jpeg: float  # probability of MJPEG
    flicker: float  # probability of mains flicker on the whole scene
    behaviour: Behaviour
    holding: Holding
    prints: tuple[str, ...]
    glare: float  # probability of a highlight on a print
    margin_mm: tuple[float, float]
    pitch_mm: tuple[float, float]  # screens' pixel pitch
    pwm: float  # probability of a PWM-dimmed backlight
    pwm_rows: tuple[float, float]


FAMILIES = {
    # A counter with a 960x720 USB camera on a stand, daylight and LED lighting, raw frames.
    "counter": PadFamily(
        sizes=((960, 720),),
        fps=(8.0, 12.0),
        eyes=(55.0, 110.0),
        blur=(0.5, 1.0),
        noise=(1.0, 3.0),
        jpeg=0.0,
        flicker=0.2,
        behaviour=Behaviour(
            delay=(1.0, 3.0), turn=(12.0, 30.0), blink_s=(0.3, 0.6), blink_rate=0.25, sway=8.0, missed=0.03
        ),
        holding=Holding(wander=6.0, tilt=12.0, turns_when_asked=0.5),
        prints=("laser-am", "inkjet-fm", "dye-sub"),
        glare=0.5,
        margin_mm=(0.0, 8.0),
        pitch_mm=(0.05, 0.09),
        pwm=0.5,
        pwm_rows=(15.0, 140.0),
    ),
    # A booth with a Pi camera at 640x480 under fluorescent light, MJPEG, people who move more.
    "booth": PadFamily(
        sizes=((640, 480),),
        fps=(8.0, 10.0),
        eyes=(40.0, 80.0),
        blur=(0.6, 1.3),
        noise=(2.0, 5.0),
        jpeg=0.6,
        flicker=0.5,
        behaviour=Behaviour(
            delay=(1.0, 3.5), turn=(10.0, 35.0), blink_s=(0.3, 0.6), blink_rate=0.35, sway=15.0, missed=0.05
        ),
        holding=Holding(wander=10.0, tilt=18.0, turns_when_asked=0.6),
        prints=("laser-am", "inkjet-fm"),
        glare=0.6,
        margin_mm=(2.0, 15.0),
        pitch_mm=(0.06, 0.12),
        pwm=0.6,
        pwm_rows=(10.0, 100.0),
    ),
    # A kiosk camera at 800x600, MJPEG, its own light and people; kept out of all tuning.
    "kiosk": PadFamily(
        sizes=((800, 600),),
        fps=(8.0, 12.0),
        eyes=(45.0, 95.0),
        blur=(0.5, 1.2),
        noise=(1.5, 4.0),
        jpeg=0.4,
        flicker=0.3,
        behaviour=Behaviour(
            delay=(0.8, 3.0), turn=(11.0, 32.0), blink_s=(0.3, 0.55), blink_rate=0.3, sway=10.0, missed=0.04
        ),
        holding=Holding(wander=8.0, tilt=15.0, turns_when_asked=0.5),
        prints=("dye-sub", "laser-am", "inkjet-fm"),
        glare=0.4,
        margin_mm=(0.0, 10.0),
        pitch_mm=(0.045, 0.1),
        pwm=0.5,
        pwm_rows=(12.0, 120.0),
    ),
}
HELD_OUT = "kiosk"
TUNING = tuple(name for name in FAMILIES if name != HELD_OUT)


def camera(family: str, rng: np.random.Generator) -> tuple[Camera, float]:
    """A camera of ``family`` and its frame rate."""
    f = FAMILIES[family]
    size = f.sizes[int(rng.integers(len(f.sizes)))]
    flicker = rng.random() < f.flicker
    return Camera(
        size=size,
        blur=float(rng.uniform(*f.blur)),
        noise=float(rng.uniform(*f.noise)),
        gain=float(rng.uniform(0.85, 1.1)),
        flicker=float(rng.uniform(0.01, 0.04)) if flicker else 0.0,
        flicker_rows=size[1] / rng.uniform(2.5, 4.0),
        jpeg=int(rng.integers(70, 95)) if rng.random() < f.jpeg else None,
    ), float(rng.uniform(*f.fps))


def portrait_box(head: Head, aspect: float, rng: np.random.Generator) -> tuple[int, int, int, int]:
    """Where an attacker cuts the head's photo to print it or zooms it on a screen: the face 1/2.6 to
    1/1.8 of the width, (w / h) = ``aspect``, as (x0, y0, x1, y1) in the photo (maybe past its edge)."""
    width = head.width * rng.uniform(1.8, 2.6)
    cx, cy = head.centre[0], head.centre[1] + 0.1 * head.width
    x0, y0 = round(cx - width / 2), round(cy - width / aspect / 2)
    return x0, y0, x0 + round(width), y0 + round(width / aspect)


def sequence(kind: str, family: str, seed: int, heads: Sequence[Head]) -> tuple[Presenter, float]:
    """The presenter of one sequence and the camera's frame rate. ``heads`` are the faces to draw
    from (the seed picks one): the bona fide visitor and the video are that head, the print and the
    still on the phone its photo."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}: one of {', '.join(FAMILIES)}")
    f = FAMILIES[family]
    rng = np.random.default_rng([seed, KINDS.index(kind), list(FAMILIES).index(family)])
    head = heads[seed % len(heads)]
    cam, fps = camera(family, rng)
    eyes = float(rng.uniform(*f.eyes))
    if kind == "bona_fide":
        return Visitor(head, cam, f.behaviour, eyes=eyes, rng=rng), fps
    photo_eyes = eye_distance(head.points3d[:468, :2])
    if kind == "print":
        return PrintAttack(
            cut(head.rgb, portrait_box(head, float(rng.uniform(0.7, 0.8)), rng)),
            photo_eyes,
            cam,
            f.holding,
            eyes=eyes,
            print_type=f.prints[int(rng.integers(len(f.prints)))],
            margin_mm=float(rng.uniform(*f.margin_mm)),
            glare=float(rng.uniform(0.2, 0.6)) if rng.random() < f.glare else 0.0,
            rng=rng,
        ), fps
    tablet = kind == "video" and rng.random() < 0.4
    screen = Screen(
        size_mm=(135.0, 210.0) if tablet else (float(rng.uniform(62, 72)), float(rng.uniform(130, 155))),
        pitch_mm=float(rng.uniform(*f.pitch_mm)) * (1.8 if tablet else 1.0),
        bezel_mm=float(rng.uniform(2, 8)),
        black=float(rng.uniform(0.01, 0.08)),
        tint=tuple(float(v) for v in (rng.uniform(0.9, 1.0), rng.uniform(0.95, 1.0), 1.0)),
        brightness=float(rng.uniform(0.8, 1.3)),
        pwm=float(rng.uniform(0.05, 0.35)) if rng.random() < f.pwm else 0.0,
        pwm_rows=float(rng.uniform(*f.pwm_rows)),
    )
    box = portrait_box(head, screen.size_mm[0] / screen.size_mm[1], rng)
    if kind == "phone":
        return ScreenAttack(
            screen, cam, f.holding, eyes=eyes, rng=rng, photo=cut(head.rgb, box), photo_eyes=photo_eyes
        ), fps
    return ScreenAttack(
        screen, cam, f.holding, eyes=eyes, rng=rng, video=head, video_box=box, photo_eyes=photo_eyes
    ), fps


def scenario_frames(
    kind: str, heads: Sequence[Head], *, family: str = "counter", seed: int = 0, seconds: float = 3.0
) -> list[np.ndarray]:
    """``seconds`` of a ``kind`` sequence as still frames, for ``madoguchi simulate``'s file camera
    (a photo or a phone at the camera). The camera plays them in a loop and cannot hear the
    challenge: a bona fide visitor made so fails it too (the simulator needs a camera that asks its
    presenter for each frame, ``presenter.frame(t, request)``, to pass it)."""
    presenter, fps = sequence(kind, family, seed, heads)
    return [presenter.frame(k / fps, None) for k in range(max(1, round(seconds * fps)))]
