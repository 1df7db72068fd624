"""The capture step's company: the visitor's guidance said aloud ([voice]) and the presentation-attack
checks' advice ([pad]), through the real counter on simulated devices (the marker engine)."""

from __future__ import annotations

from contextlib import closing

import pytest

from daemon_doubles import camera_frame, card_page, counter_settings, marker_desk

GENUINE = 7


def settings(tmp_path, **sections):
    config = counter_settings(tmp_path)
    data = config.model_dump(mode="json") | sections
    return type(config).model_validate(data)


def test_the_capture_is_said_aloud_on_the_speaker(simulated_hardware, tmp_path):
    config = settings(tmp_path, voice={"enabled": True, "cache_dir": str(tmp_path / "voice")})
    with closing(marker_desk(simulated_hardware, config)) as desk:
        announcer = desk.appliance.announcer
        if announcer is None or announcer.fault is not None:
            pytest.skip(f"no voice here: {announcer and announcer.fault}")
        desk.put(card_page(GENUINE))
        desk.show(camera_frame(GENUINE))
        desk.press("start")
        assert desk.next_report().result.code == "scored"
        assert announcer.wait_idle(30)
        played = announcer.speaker.played  # type: ignore[attr-defined]
        library = announcer.library
        assert played[0] == library.path("capture_start") and library.path("capture_done") in played


def test_the_checks_advice_is_on_the_result_and_in_the_record(simulated_hardware, tmp_path):
    """A picture at the camera (the marker double is one: it never moves in depth) is advised to
    staff; with [pad] off nothing is said of it and nothing recorded."""
    on = settings(tmp_path / "on", pad={"enabled": True, "challenge": False})
    with closing(marker_desk(simulated_hardware, on)) as desk:
        desk.put(card_page(GENUINE))
        desk.show(camera_frame(GENUINE))
        desk.press("start")
        result = desk.next_report().result
    assert result.code == "scored" and result.notes[0] in {"pad_pass", "pad_suspect", "pad_undetermined"}
    assert set(result.presentation) == {"pad", "pad_signals"}

    off = settings(tmp_path / "off")
    with closing(marker_desk(simulated_hardware, off)) as desk:
        desk.put(card_page(GENUINE))
        desk.show(camera_frame(GENUINE))
        desk.press("start")
        result = desk.next_report().result
    assert not any(note.startswith("pad_") for note in result.notes) and not result.presentation
