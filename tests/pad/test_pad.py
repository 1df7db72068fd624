"""Each presentation-attack signal on inputs built to show its cue or not, the challenge's logic on
scripted yaw and eye-shade streams, and the verdict's codes. No face engine needed here
(tests/test_pad_sequences.py runs the checks on rendered sequences through the engine)."""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from madoguchi.engine.types import Face, FaceBox
from madoguchi.pad.challenge import ACTIONS, Challenge
from madoguchi.pad.check import PadCheck, PadConfig, PadVerdict, Signal
from madoguchi.pad.edges import frame_sides
from madoguchi.pad.mesh import RIGID, yaw_degrees
from madoguchi.pad.planarity import Planarity
from madoguchi.pad.screen import banding, moire

# --- the challenge, on scripted streams (t, yaw, shade) --------------------------------------------

OPEN, SHUT = 0.25, 0.6
FPS = 15


def drive(challenge: Challenge, act, seconds: float = 30.0) -> list[str | None]:
    """Feed ``challenge`` frames at 15 fps; ``act(t, request, since)`` gives (yaw, shade), ``since``
    being when the current request was first shown. Returns the requests shown, in order of change."""
    shown: list[str | None] = []
    request, since = None, 0.0
    t = 0.0
    while t < seconds and not challenge.done:
        yaw, shade = act(t, request, t - since)
        new = challenge.observe(t, yaw, shade)
        if new != request:
            request, since = new, t
            shown.append(new)
        t += 1 / FPS
    return shown


def obliging(delay: float = 1.0, turn: float = 20.0):
    """A visitor who does what is asked ``delay`` s after being asked."""
    state = {"yaw": 0.0}

    def act(t: float, request: str | None, since: float) -> tuple[float, float]:
        shade = OPEN
        if request == "pad_blink" and delay <= since <= delay + 0.3:
            shade = SHUT
        if request in ("pad_turn_left", "pad_turn_right") and since >= delay:
            state["yaw"] = turn if request == "pad_turn_left" else -turn
        if request == "pad_face_front" and since >= delay:
            state["yaw"] = 0.0
        return state["yaw"], shade

    return act


def still(t: float, request: str | None, since: float) -> tuple[float, float]:
    """A print: the same yaw and eyes whatever is asked (with the mesh's jitter)."""
    return 1.0 + 0.8 * np.sin(7 * t), OPEN + 0.01 * np.sin(5 * t)


@pytest.mark.parametrize("actions", [("blink", "turn_left"), ("turn_right", "blink"), ACTIONS])
def test_the_challenge_passes_a_visitor_who_does_what_is_asked(actions):
    challenge = Challenge(actions)
    shown = drive(challenge, obliging())
    result = challenge.result()
    assert result.passed and result.failed is None and result.score <= 0
    asked = [code for code in shown if code not in (None, "pad_face_front")]
    assert asked == [f"pad_{a}" for a in actions]
    assert "pad_face_front" in shown  # after a turn, to face the camera again


def test_the_challenge_fails_a_still_picture_at_the_first_request():
    challenge = Challenge(("blink", "turn_left"), step_s=5.0)
    drive(challenge, still)
    result = challenge.result()
    assert not result.passed and result.failed == "blink_timeout"
    assert result.score > 0.5
    assert 5.0 < result.seconds < 7.0  # settling, then one request's time


def test_a_turn_the_wrong_way_does_not_count():
    challenge = Challenge(("turn_left",))
    drive(challenge, obliging(turn=-25.0))
    assert challenge.result().failed == "turn_left_timeout"


def test_a_turn_too_small_fails_and_scores_how_far_it_got():
    challenge = Challenge(("turn_right",), turn_degrees=12.0)
    drive(challenge, obliging(turn=6.0))
    result = challenge.result()
    assert result.failed == "turn_right_timeout"
    assert result.score == pytest.approx(0.5, abs=0.01)


def test_a_blink_already_under_way_when_asked_does_not_count():
    """A replay that happens to blink as the request appears: only a blink that starts after an open
    frame seen since the request counts."""

    def replay(t: float, request: str | None, since: float) -> tuple[float, float]:
        return 0.0, SHUT if request == "pad_blink" else OPEN  # shut from the request on, never reopening

    challenge = Challenge(("blink",))
    drive(challenge, replay)
    assert challenge.result().failed == "blink_timeout"


def test_a_turned_head_is_asked_to_face_front_before_a_turn_counts():
    """Turned to the left when the turn is asked: that is no answer; facing front comes first."""
    state = {"yaw": 0.0}

    def act(t: float, request: str | None, since: float) -> tuple[float, float]:
        if t > 0.45 and request is None:
            state["yaw"] = 30.0  # turns away as the settling ends
        elif request == "pad_face_front" and since > 0.5:
            state["yaw"] = 0.0
        elif request == "pad_turn_left" and since > 0.5:
            state["yaw"] = 20.0
        return state["yaw"], OPEN

    challenge = Challenge(("turn_left",))
    shown = drive(challenge, act)
    assert challenge.result().passed
    assert shown[:3] == ["pad_face_front", "pad_turn_left", "pad_face_front"]


def test_no_face_at_all_fails_as_no_face():
    challenge = Challenge(("blink",), step_s=3.0)
    drive(challenge, lambda t, r, s: (None, None))
    assert challenge.result().failed == "no_face"


def test_the_order_and_direction_are_drawn():
    drawn = {Challenge.random(2, random.Random(seed)).actions for seed in range(40)}
    assert drawn == {
        ("blink", "turn_left"),
        ("turn_left", "blink"),
        ("blink", "turn_right"),
        ("turn_right", "blink"),
    }
    assert {len(Challenge.random(steps).actions) for steps in (1, 2, 3)} == {1, 2, 3}
    with pytest.raises(ValueError):
        Challenge(("wink",))


# --- yaw and planarity, on a synthetic 3-D face -----------------------------------------------------


def face_points(rng: np.random.Generator) -> np.ndarray:
    """468 points (x, y, z) of a face-like shape, 100 px between the eyes: an ellipsoid cap, the nose
    standing out, and the mesh's eye corners, nose tip and sides where yaw_degrees looks for them."""
    points = np.column_stack([rng.uniform(-90, 90, 468), rng.uniform(-120, 120, 468), np.zeros(468)])
    points[:, 2] = 60 * (points[:, 0] / 100) ** 2 + 40 * (points[:, 1] / 130) ** 2
    points[[33, 133, 362, 263]] = [[-75, -30, 30], [-25, -30, 25], [25, -30, 25], [75, -30, 30]]
    points[1] = [0, 20, -60]  # the nose tip, in front
    nose = [i for i in (4, 5, 6, 19, 94, 195, 197) if i in RIGID]
    points[nose] = [[0, 10 - 5 * k, -45 + 5 * k] for k in range(len(nose))]
    points[[234, 454]] = [[-95, 0, 80], [95, 0, 80]]  # the sides by the ears, behind
    return points


def seen(points: np.ndarray, yaw: float = 0.0, pitch: float = 0.0) -> np.ndarray:
    """``points`` turned about a neck axis 80 px behind the face and projected (weak perspective)."""
    a, b = np.radians([yaw, pitch])
    turn = np.array([[np.cos(a), 0, -np.sin(a)], [0, 1, 0], [np.sin(a), 0, np.cos(a)]])
    nod = np.array([[1, 0, 0], [0, np.cos(b), np.sin(b)], [0, -np.sin(b), np.cos(b)]])
    axis = np.array([0, 0, 80])
    return ((points - axis) @ (nod @ turn).T + axis)[:, :2] + (640, 480)


def test_yaw_follows_a_turning_head_in_sign_and_size():
    points = face_points(np.random.default_rng(0))
    measured = [yaw_degrees(seen(points, yaw)) for yaw in (-30, -15, 0, 15, 30)]
    assert measured == sorted(measured)
    assert abs(measured[2]) < 1
    assert 8 < measured[3] < 25 and -25 < measured[1] < -8


def test_planarity_separates_a_tilted_picture_from_a_turning_head():
    rng = np.random.default_rng(1)
    points = face_points(rng)
    flat = seen(points)  # the picture: the face as printed, then moved as a plane
    head, picture = Planarity(), Planarity()
    corners = np.float32(
        [[500, 320], [780, 320], [780, 660], [500, 660]]
    )  # the print, a little wider than the face
    for k in range(40):
        jitter = rng.normal(0, 0.6, (468, 2))
        yaw = 22 * np.sin(k / 40 * np.pi)  # turns and comes back
        head.observe(seen(points, yaw, 3 * np.sin(k / 7)) + jitter)
        tilt = 25 * np.sin(k / 40 * np.pi)  # the hand tilts the print: its corners move up to 25 px
        warped = corners + np.float32([[tilt, 0], [-tilt, tilt / 2], [-tilt / 2, 0], [tilt / 2, -tilt / 3]])
        h = cv2.getPerspectiveTransform(corners, warped)
        picture.observe(cv2.perspectiveTransform(flat[None], h)[0] + jitter)
    threshold = PadConfig().planarity_below
    assert head.result().score > threshold > picture.result().score
    assert picture.result().motion >= Planarity().min_motion, "the picture did move"


def test_planarity_cannot_tell_without_motion():
    points = seen(face_points(np.random.default_rng(2)))
    check = Planarity()
    for k in range(20):
        check.observe(points + np.random.default_rng(k).normal(0, 0.5, points.shape))
    assert np.isnan(check.result().score)
    check.forget()
    assert check._reference is None


# --- screen cues and frame edges -----------------------------------------------------------------

BOX = FaceBox(520.0, 330.0, 760.0, 630.0)


def skin(seed: int = 0) -> np.ndarray:
    """A 1280x960 frame with a face-coloured blob, skin's fine texture and sensor noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:960, 0:1280].astype(np.float32)
    shade = 150 + 40 * np.exp(-(((x - 640) / 160) ** 2 + ((y - 480) / 200) ** 2)) - 0.02 * y
    shade += 3 * cv2.GaussianBlur(rng.normal(0, 1, (960, 1280)).astype(np.float32), (0, 0), 1.5) / 0.19
    frame = np.dstack([shade, shade * 0.8, shade * 0.7]) + rng.normal(0, 2.5, (960, 1280, 3))
    return np.clip(frame, 0, 255).astype(np.uint8)


def test_moire_sees_a_fine_regular_pattern_over_the_face():
    plain = skin()
    y, x = np.mgrid[0:960, 0:1280].astype(np.float32)
    grating = 12 * np.sin(2 * np.pi * (0.21 * x + 0.13 * y))
    patterned = np.clip(plain + grating[..., None], 0, 255).astype(np.uint8)
    assert moire(patterned, BOX) > PadConfig().moire_above > moire(plain, BOX)


def test_moire_ignores_the_block_grid_of_mjpeg():
    ok, data = cv2.imencode(".jpg", skin(3), [cv2.IMWRITE_JPEG_QUALITY, 60])
    assert ok
    assert moire(cv2.imdecode(data, cv2.IMREAD_COLOR), BOX) < PadConfig().moire_above


def test_banding_sees_a_backlights_bands():
    plain = skin(1)
    rows = 1 - 0.08 * (np.sin(2 * np.pi * np.arange(960) / 24) > 0)
    banded = np.clip(plain * rows[:, None, None], 0, 255).astype(np.uint8)
    assert banding(banded, BOX) > PadConfig().banding_above > banding(plain, BOX)


def test_screen_cues_are_undetermined_at_the_frames_edge():
    assert np.isnan(moire(skin(), FaceBox(0.0, 0.0, 100.0, 120.0)))
    assert np.isnan(banding(skin(), FaceBox(600.0, 0.0, 700.0, 20.0)))


def test_frame_sides_counts_a_border_around_the_face_and_not_a_partition():
    room = np.full((960, 1280, 3), 170, np.uint8)
    cv2.rectangle(room, (1100, 0), (1280, 960), (90, 90, 90), -1)  # a partition far to the side
    assert frame_sides(room, BOX) == 0
    held = room.copy()
    cv2.rectangle(held, (440, 220), (840, 760), (245, 245, 245), -1)  # a photo's paper
    cv2.rectangle(held, (500, 300), (780, 660), (150, 120, 110), -1)  # the face on it
    assert frame_sides(held, BOX) == 4


# --- the verdict and the settings ------------------------------------------------------------------


def test_switched_off_checks_say_off_and_are_not_run():
    check = PadCheck(PadConfig(enabled=False))
    assert check.done and check.request is None
    assert check.observe(skin(), None, 0.0) is None
    verdict = check.verdict()
    assert verdict.result == "off" and verdict.codes() == () and verdict.signals == ()


def test_each_signal_can_be_switched_off():
    config = PadConfig(
        enabled=True, challenge=False, planarity=False, moire=False, banding=True, frame_edges=False
    )
    check = PadCheck(config)
    assert check.done
    face = Face(box=BOX, points=np.zeros((5, 2)), mesh=None)
    check.observe(skin(), face, 0.0)
    assert [s.name for s in check.verdict().signals] == ["banding"]


def test_the_verdict_is_codes_for_the_slip_and_the_audit_record():
    verdict = PadVerdict(
        "suspect",
        (
            Signal("challenge", "suspect", 1.0, 0.0, "blink_timeout"),
            Signal("planarity", "undetermined", float("nan"), 0.025),
            Signal("moire", "pass", 1.2, 2.5),
        ),
        0.02,
    )
    assert verdict.suspect == ("challenge",)
    assert verdict.codes() == ("pad_suspect", "pad_challenge", "pad_blink_timeout")
    assert verdict.audit() == {
        "pad": "suspect",
        "pad_signals": ("challenge=suspect:blink_timeout", "planarity=undetermined", "moire=pass"),
    }


def test_the_pad_section_is_strict():
    for bad in (
        {"challenge_steps": 4},
        {"turn_degrees": 2.0},
        {"blink_rise": 1.0},
        {"moire": "yes"},
        {"x": 1},
    ):
        with pytest.raises(ValidationError):
            PadConfig(**bad)
