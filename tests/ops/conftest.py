"""The running daemon's fixtures: a visitor's image files, a daemon per test, one shared by a module."""

from __future__ import annotations

import pytest
from PIL import Image

from control_daemon import start


@pytest.fixture(scope="module")
def visitor(tmp_path_factory) -> dict[str, object]:
    """A card page and camera frames of one person, as image files the daemon reads."""
    from madoguchi.errors import MadoguchiError
    from madoguchi.synthetic.cards import sample_card_page as card_page
    from madoguchi.synthetic.frames import swaying_frames as camera_frames
    from madoguchi.synthetic.people import package_people

    try:
        astronaut, _ = package_people()
    except MadoguchiError as error:
        pytest.skip(str(error))
    where = tmp_path_factory.mktemp("visitor")
    page = where / "card.png"
    Image.fromarray(card_page(astronaut)).save(page)
    frames = []
    for index, frame in enumerate(camera_frames(astronaut)):
        frames.append(str(where / f"frame-{index}.png"))
        Image.fromarray(frame).save(frames[-1])
    return {"page": str(page), "frames": frames}


@pytest.fixture
def daemon(tmp_path):
    running = start(tmp_path / "box", log=tmp_path / "daemon.log")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def shared_daemon(tmp_path_factory):
    """One daemon for the tests that leave it as it was."""
    where = tmp_path_factory.mktemp("shared")
    running = start(where / "box", log=where / "daemon.log")
    try:
        yield running
    finally:
        running.stop()
