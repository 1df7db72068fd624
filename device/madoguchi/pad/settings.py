"""The ``[pad]`` section: presentation-attack checks during the capture, each switched on or off.

The thresholds are those ``madoguchi bench pad`` set on the tuning families of synthetic sequences
(each signal at a BPCER of at most 5 % there, planarity's on visitors who turned; the figures on the
held-out family are in the commit that set them): planarity 0.04, moiré 1.32, frame edges 3.0. The
tuned banding threshold, 1.05, sits inside plain skin's own noise (0.8-1.46 on textured test
frames, 3.2-3.8 with bands), so banding takes 1.6. Synthetic sequences are no measure of real
attacks: see :mod:`madoguchi.bench.pad`.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from madoguchi.section import Section


class PadConfig(Section):
    """Presentation-attack checks during the capture (a photo or a screen held to the camera)."""

    model_config = ConfigDict(title="Presentation-attack checks")

    enabled: bool = Field(
        default=False,
        title="Presentation-attack checks",
        description="Look for a photo or a screen held to the camera. The result is advice to staff "
        "(LCD, slip, audit record), never a decision. Off unless turned on: measured only on synthetic "
        "sequences, where about one honest visitor in eight to four was flagged (madoguchi bench pad).",
    )
    challenge: bool = Field(
        default=True,
        title="Active challenge",
        description="Ask the visitor to blink and to turn left or right, in random order, and judge it "
        "from the face mesh. Lengthens the capture by the time the visitor takes (about 4-8 s).",
    )
    challenge_steps: int = Field(
        default=2,
        title="Challenge steps",
        description="1: a blink or a turn; 2: both; 3: blink, left, right.",
        ge=1,
        le=3,
    )
    step_seconds: float = Field(
        default=7.0,
        title="Time per request",
        description="Seconds a visitor has to blink or turn once asked (the spoken request takes ~3 s).",
        ge=2.0,
        le=20.0,
    )
    turn_degrees: float = Field(
        default=12.0, title="Turn", description="Degrees of yaw that meet a turn request.", ge=5.0, le=40.0
    )
    blink_rise: float = Field(
        default=1.35,
        title="Blink",
        description="How much lighter the middle of the eyes must become (shut over open) for a blink.",
        ge=1.1,
        le=4.0,
    )
    planarity: bool = Field(
        default=True, title="Planarity", description="Landmarks that move by one homography: a flat picture."
    )
    planarity_below: float = Field(
        default=0.04,
        title="Planarity threshold",
        description="Suspect when the landmarks that moved most leave less than this (eye distances) "
        "unexplained by one homography, beyond the mesh's jitter (a flat picture: about 0.01).",
        ge=0.0,
        le=1.0,
    )
    moire: bool = Field(default=True, title="Moiré", description="A regular pattern over the face.")
    moire_above: float = Field(
        default=1.32, title="Moiré threshold", description="log10 peak over typical power.", ge=0.0, le=10.0
    )
    banding: bool = Field(default=True, title="Banding", description="A screen's backlight bands.")
    banding_above: float = Field(
        default=1.6,
        title="Banding threshold",
        description="log10 band power over its neighbours.",
        ge=0.0,
        le=10.0,
    )
    frame_edges: bool = Field(
        default=True, title="Frame edges", description="Straight edges of a print or phone around the face."
    )
    frame_sides_above: float = Field(
        default=3.0,
        title="Frame edges threshold",
        description="Suspect when on average more than this many sides (0-4) of the face show an edge.",
        ge=0.0,
        le=4.0,
    )
