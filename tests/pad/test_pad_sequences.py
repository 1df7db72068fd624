"""The presentation-attack checks on rendered capture sequences, through the face engine: a synthetic
head that blinks and turns when asked passes the challenge, a print (even one tilted when a turn is
asked) does not, and planarity tells the two apart. Also the synthetic heads and families themselves."""

from __future__ import annotations

import random

import numpy as np
import pytest

from madoguchi.errors import FaceError
from madoguchi.pad.check import PadCheck, PadConfig, PadVerdict
from madoguchi.pad.mesh import eye_distance, eye_shade, yaw_degrees
from madoguchi.synthetic.attacks import Holding, PrintAttack, Screen, ScreenAttack, cut
from madoguchi.synthetic.heads import Head, Pose
from madoguchi.synthetic.pad_families import (
    FAMILIES,
    HELD_OUT,
    KINDS,
    TUNING,
    portrait_box,
    scenario_frames,
    sequence,
)
from madoguchi.synthetic.scenes import Camera
from madoguchi.synthetic.visitors import Behaviour, Visitor

CAMERA = Camera(size=(640, 480), blur=0.6, noise=1.5, gain=1.0, flicker=0.0, flicker_rows=160.0, jpeg=None)
FPS = 12.0
KEEN = Behaviour(
    delay=(0.8, 1.4), turn=(20.0, 24.0), blink_s=(0.35, 0.45), blink_rate=0.05, sway=4.0, missed=0.0
)
STEADY = Holding(wander=4.0, tilt=10.0, turns_when_asked=1.0)  # and tilts the print when asked to turn


@pytest.fixture(scope="module")
def heads(engine):
    from madoguchi.synthetic.people import package_people

    try:
        people = package_people()
    except Exception as error:  # MadoguchiError without scikit-image or matplotlib
        pytest.skip(str(error))
    return [Head.from_photo(np.array(person.image), engine) for person in people]


def capture(presenter, engine, seed: int) -> PadVerdict:
    """Run ``presenter`` as the capture would, until the challenge is over (at most 25 s)."""
    check = PadCheck(PadConfig(enabled=True), rng=random.Random(seed))
    t = 0.0
    try:
        while t < 25 and not check.done:
            frame = presenter.frame(t, check.request)
            try:
                face = engine.find_one_face(frame)
            except FaceError:
                face = None
            check.observe(frame, face, t)
            t += 1 / FPS
        return check.verdict()
    finally:
        check.forget()
        engine.forget()


def signal(verdict: PadVerdict, name: str):
    return next(s for s in verdict.signals if s.name == name)


@pytest.fixture(scope="module")
def visitor_verdicts(engine, heads):
    """The astronaut, keen, asked in both orders (seed 0: turn first; seed 3: blink first)."""
    return {
        seed: capture(
            Visitor(heads[0], CAMERA, KEEN, eyes=62.0, rng=np.random.default_rng(seed)), engine, seed
        )
        for seed in (0, 3)
    }


@pytest.fixture(scope="module")
def print_verdict(engine, heads):
    rng = np.random.default_rng(5)
    photo = cut(heads[0].rgb, portrait_box(heads[0], 0.75, rng))
    attack = PrintAttack(
        photo,
        eye_distance(heads[0].points3d[:468, :2]),
        CAMERA,
        STEADY,
        eyes=62.0,
        print_type="laser-am",
        margin_mm=5.0,
        glare=0.0,
        rng=rng,
    )
    return capture(attack, engine, 0)


def test_the_challenge_orders_differ_between_the_two_visits():
    assert PadCheck(PadConfig(enabled=True), rng=random.Random(0)).challenge.actions[0].startswith("turn")
    assert PadCheck(PadConfig(enabled=True), rng=random.Random(3)).challenge.actions[0] == "blink"


def test_the_challenge_passes_a_head_that_blinks_and_turns_when_asked(visitor_verdicts):
    for verdict in visitor_verdicts.values():
        challenge = signal(verdict, "challenge")
        assert challenge.outcome == "pass", challenge


def test_the_challenge_fails_a_print_even_one_tilted_when_a_turn_is_asked(print_verdict):
    challenge = signal(print_verdict, "challenge")
    assert challenge.outcome == "suspect" and challenge.detail.endswith("_timeout")
    assert print_verdict.result == "suspect"


def test_planarity_separates_a_warped_still_from_a_turning_head(visitor_verdicts, print_verdict):
    threshold = PadConfig().planarity_below
    for verdict in visitor_verdicts.values():
        assert signal(verdict, "planarity").value > threshold
    assert signal(print_verdict, "planarity").outcome == "suspect"


def test_a_bona_fide_visitor_raises_no_screen_or_frame_cue(visitor_verdicts):
    for verdict in visitor_verdicts.values():
        for name in ("moire", "banding", "frame_edges"):
            assert signal(verdict, name).outcome == "pass", signal(verdict, name)


def test_a_phone_shows_its_screen(engine, heads, visitor_verdicts):
    """Moiré from its pixel grid; the bands of a PWM-dimmed backlight stand out more than on a face."""
    rng = np.random.default_rng(7)
    phone = Screen(
        size_mm=(68.0, 145.0),
        pitch_mm=0.07,
        bezel_mm=4.0,
        black=0.03,
        tint=(0.95, 0.98, 1.0),
        brightness=1.0,
        pwm=0.5,
        pwm_rows=30.0,
    )
    photo = cut(heads[1].rgb, portrait_box(heads[1], 68 / 145, rng))
    attack = ScreenAttack(
        phone,
        CAMERA,
        STEADY,
        eyes=62.0,
        rng=rng,
        photo=photo,
        photo_eyes=eye_distance(heads[1].points3d[:468, :2]),
    )
    verdict = capture(attack, engine, 1)
    assert signal(verdict, "moire").outcome == "suspect", signal(verdict, "moire")
    assert verdict.result == "suspect"
    faces = max(signal(v, "banding").value for v in visitor_verdicts.values())
    assert signal(verdict, "banding").value > faces + 0.3


# --- the synthetic heads and families --------------------------------------------------------------


def test_a_rendered_head_turns_and_blinks_as_the_mesh_sees_it(engine, heads):
    head = heads[0]
    measured = {}
    for yaw in (-20, 0, 20):
        view, matte = head.render(Pose(yaw=yaw))
        assert matte.max() == pytest.approx(1.0) and matte.min() == 0.0
        measured[yaw] = yaw_degrees(engine.find_one_face(view).mesh)
    assert measured[-20] < measured[0] - 8 and measured[20] > measured[0] + 8
    open_eyes, _ = head.render(Pose())
    shut_eyes, _ = head.render(Pose(blink=1.0))
    mesh = engine.find_one_face(open_eyes).mesh
    assert eye_shade(shut_eyes, engine.find_one_face(shut_eyes).mesh) > 1.5 * eye_shade(open_eyes, mesh)


def test_one_family_is_held_out_of_tuning():
    assert HELD_OUT in FAMILIES and HELD_OUT not in TUNING
    assert set(TUNING) | {HELD_OUT} == set(FAMILIES)


@pytest.mark.parametrize("kind", KINDS)
def test_a_sequence_is_a_pure_function_of_its_seed(heads, kind):
    frames = [sequence(kind, "counter", 11, heads)[0].frame(0.5, None) for _ in range(2)]
    other = sequence(kind, "counter", 12, heads)[0].frame(0.5, None)
    assert np.array_equal(frames[0], frames[1])
    assert not np.array_equal(frames[0], other)


def test_unknown_kinds_and_families_are_refused(heads):
    with pytest.raises(ValueError, match="kind"):
        sequence("mask", "counter", 0, heads)
    with pytest.raises(ValueError, match="family"):
        sequence("print", "nowhere", 0, heads)


def test_scenario_frames_are_camera_frames_for_the_simulator(heads):
    frames = scenario_frames("phone", heads, seconds=0.3)
    size = FAMILIES["counter"].sizes[0]
    assert len(frames) >= 2 and all(f.shape == (size[1], size[0], 3) and f.dtype == np.uint8 for f in frames)
