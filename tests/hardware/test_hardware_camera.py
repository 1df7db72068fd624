"""FileCamera, the simulator's camera, on files it writes itself; the real cameras' faults."""

from __future__ import annotations

import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from madoguchi.config.hardware import HardwareConfig
from madoguchi.errors import CameraGone, DeviceClosed, DeviceNotFound
from madoguchi.hardware.camera import FileCamera, OpenCVCamera, PiCamera
from madoguchi.hardware.factory import make_hardware


def solid(value: int, size=(64, 48)) -> np.ndarray:
    frame = np.zeros((size[1], size[0], 3), np.uint8)
    frame[..., 0] = value  # red channel: tells frames apart and catches a BGR/RGB swap
    return frame


@pytest.fixture
def images(tmp_path):
    paths = []
    for i, value in enumerate((50, 100, 150)):
        path = tmp_path / f"frame{i}.png"
        Image.fromarray(solid(value)).save(path)
        paths.append(path)
    return paths


@pytest.fixture
def video(tmp_path):
    path = tmp_path / "visitor.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    if not writer.isOpened():
        pytest.skip("this OpenCV build cannot write MJPG video")
    for value in (40, 120, 200):
        writer.write(cv2.cvtColor(solid(value), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def reds(camera: FileCamera, count: int) -> list[int]:
    frames = [camera.read() for _ in range(count)]
    assert all(f.dtype == np.uint8 and f.shape == (48, 64, 3) for f in frames)
    assert all(int(f[..., 1:].max()) <= 8 for f in frames)  # green and blue stay dark
    return [round(float(f[..., 0].mean())) for f in frames]


def test_images_in_order_then_the_last_one_holds(images):
    with FileCamera(images) as camera:
        camera.start()
        assert reds(camera, 5) == [50, 100, 150, 150, 150]


def test_looping_starts_over(images):
    with FileCamera(images, loop=True) as camera:
        camera.start()
        assert reds(camera, 5) == [50, 100, 150, 50, 100]


def test_video_frames_in_order(video):
    with FileCamera([video]) as camera:
        camera.start()
        values = reds(camera, 4)
    assert values[3] == values[2]  # held
    assert values[:3] == pytest.approx([40, 120, 200], abs=6)  # MJPG is lossy


def test_load_replaces_the_sequence_per_visitor(images):
    with FileCamera(images) as camera:
        camera.start()
        assert reds(camera, 1) == [50]
        camera.load([images[2], solid(7)])
        assert reds(camera, 2) == [150, 7]


def test_frames_are_the_callers_to_wipe(images):
    with FileCamera(images[:1]) as camera:
        camera.start()
        camera.read().fill(0)
        assert reds(camera, 1) == [50]


def test_nothing_loaded_shows_a_black_frame():
    with FileCamera(size=(32, 24)) as camera:
        camera.start()
        frame = camera.read()
    assert frame.shape == (24, 32, 3) and not frame.any()


def test_unplugged_camera_is_gone_until_plugged_back(images):
    with FileCamera(images) as camera:
        camera.start()
        camera.unplug()
        with pytest.raises(CameraGone):
            camera.read()
        camera.stop()
        with pytest.raises(CameraGone):
            camera.start()
        camera.plug()
        camera.start()
        assert reds(camera, 1) == [50]


def test_missing_file_is_refused_at_load(tmp_path):
    with pytest.raises(FileNotFoundError):
        FileCamera([tmp_path / "nobody.png"])


def test_read_needs_start_and_close_is_final(images):
    camera = FileCamera(images)
    with pytest.raises(RuntimeError, match="before start"):
        camera.read()
    camera.start()
    camera.close()
    camera.close()
    with pytest.raises(DeviceClosed):
        camera.read()


def test_opencv_camera_without_a_device_is_not_found(tmp_path):
    with pytest.raises(DeviceNotFound, match="video9"):
        OpenCVCamera(source=str(tmp_path / "video9"))


@pytest.fixture
def broken_picamera2(tmp_path, monkeypatch):
    """A picamera2 whose import fails as it does when pip's numpy 2 shadows the apt numpy that
    simplejpeg was built against (picamera2 #1088)."""
    package = tmp_path / "site" / "picamera2"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        'raise ValueError("numpy.dtype size changed, may indicate binary incompatibility. '
        'Expected 96 from C header, got 88 from PyObject")\n'
    )
    monkeypatch.syspath_prepend(str(package.parent))
    monkeypatch.delitem(sys.modules, "picamera2", raising=False)


def test_picamera2_that_cannot_load_is_not_found_with_the_fix(broken_picamera2):
    with pytest.raises(DeviceNotFound, match=r"numpy\.dtype size changed.*pip uninstall numpy"):
        PiCamera()


def test_picamera2_that_cannot_load_falls_back_to_opencv_then_is_named(broken_picamera2):
    hardware = HardwareConfig(kind="real", camera={"driver": "auto", "source": "/nonexistent/video0"})
    with pytest.raises(DeviceNotFound, match=r"no camera: picamera2: .*ValueError.*; opencv: ") as raised:
        make_hardware(hardware)
    assert raised.value.device == "camera"
