"""Visitor cameras: picamera2 on a Pi, OpenCV (V4L2 or GStreamer) elsewhere, files in simulation.

All three share one lifecycle: ``start()`` before ``read()``, ``stop()`` when the capture is over (a
real camera then stops streaming), ``close()`` once. ``read()`` returns a fresh RGB ``uint8`` array of
shape (H, W, 3) that the caller owns and may wipe; any driver failure is raised as CameraGone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from os import PathLike
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from madoguchi.config.devices import CameraSection, OpenCVKeys, PiCameraKeys
from madoguchi.errors import CameraGone, DeviceClosed, DeviceNotFound
from madoguchi.hardware.base import Opened

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm"})

FrameSource = str | PathLike[str] | np.ndarray
"""An image file, a video file (any other suffix), or an RGB array."""


class _Camera:
    """The lifecycle shared by every camera; subclasses supply _start, _read, _stop and _close."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started = False
        self._closed = False

    def start(self) -> None:
        with self._lock:
            self._check_open()
            if not self._started:
                self._start()
                self._started = True

    def read(self) -> np.ndarray:
        with self._lock:
            self._check_open()
            if not self._started:
                raise RuntimeError(f"{type(self).__name__}.read() before start()")
            return self._read()

    def stop(self) -> None:
        with self._lock:
            if self._started:
                self._started = False
                self._stop()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                if self._started:
                    self._started = False
                    self._stop()
            finally:
                self._close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise DeviceClosed(f"{type(self).__name__} is closed")

    def _start(self) -> None:
        pass

    def _read(self) -> np.ndarray:
        raise NotImplementedError

    def _stop(self) -> None:
        pass

    def _close(self) -> None:
        pass


class PiCamera(_Camera):
    """A Raspberry Pi CSI camera through picamera2 (from Raspberry Pi OS: ``apt install python3-picamera2``).

    :param number: the camera number, 0 for the first.
    :param size: (width, height) of the frames.
    :param timeout: seconds to wait for a frame before raising CameraGone.

    Raises DeviceNotFound when picamera2 is missing or no camera answers.
    """

    def __init__(self, *, number: int = 0, size: tuple[int, int] = (1280, 960), timeout: float = 2.0) -> None:
        super().__init__()
        try:
            from picamera2 import Picamera2
        except ImportError as e:
            raise DeviceNotFound(
                f"picamera2 is not installed ({e}): apt install python3-picamera2, and create the venv "
                "with --system-site-packages"
            ) from e
        except Exception as e:  # e.g. ValueError "numpy.dtype size changed" (picamera2 #1088, #1211)
            raise DeviceNotFound(
                f"picamera2 cannot be loaded ({type(e).__name__}: {e}): its apt-built modules (simplejpeg, "
                "libcamera) need the system's numpy; remove the venv's own numpy (pip uninstall numpy) "
                "or pin it to the version apt installed"
            ) from e
        try:
            if number >= len(Picamera2.global_camera_info()):
                raise DeviceNotFound(f"no CSI camera number {number}")
            self._camera = Picamera2(number)
            # "BGR888" is libcamera's name for bytes in R, G, B order, i.e. an RGB array. queue=False makes
            # each capture wait for a new frame instead of handing back one taken before start().
            config = self._camera.create_video_configuration(
                main={"size": tuple(size), "format": "BGR888"}, buffer_count=2, queue=False
            )
            self._camera.configure(config)
        except DeviceNotFound:
            raise
        except Exception as e:  # picamera2 documents no exception types; any failure means no camera
            raise DeviceNotFound(f"picamera2 camera {number}: {e}") from e
        self._timeout = timeout

    def _start(self) -> None:
        try:
            self._camera.start()
        except Exception as e:
            raise CameraGone(f"picamera2 failed to start: {e}") from e

    def _read(self) -> np.ndarray:
        try:
            job = self._camera.capture_array("main", wait=False)
            return self._camera.wait(job, timeout=self._timeout)
        except Exception as e:  # TimeoutError when the sensor stops, RuntimeError from libcamera
            raise CameraGone(f"picamera2 gave no frame: {e!r}") from e

    def _stop(self) -> None:
        try:
            self._camera.stop()
        except Exception as e:
            raise CameraGone(f"picamera2 failed to stop: {e!r}") from e

    def _close(self) -> None:
        try:
            self._camera.close()
        except Exception as e:
            raise CameraGone(f"picamera2 failed to close: {e!r}") from e


class OpenCVCamera(_Camera):
    """A USB/V4L2 camera or a GStreamer pipeline through OpenCV (the Jetson and PC camera).

    The device is opened by ``start()`` and released by ``stop()``, so it streams (and its light is
    on) only during a capture.

    :param source: a V4L2 index (0 or "0"), a device path ("/dev/video0"), or a GStreamer pipeline
        (a string containing "!", ending in appsink; it fixes the size itself).
    :param size: (width, height) asked of a V4L2 device.

    Raises DeviceNotFound when the source cannot be opened.
    """

    def __init__(self, *, source: int | str = 0, size: tuple[int, int] = (1280, 960)) -> None:
        super().__init__()
        if isinstance(source, str) and "!" in source:
            self._source: int | str = source
            self._api = cv2.CAP_GSTREAMER
        else:
            self._source = int(source) if str(source).isdigit() else str(source)
            self._api = cv2.CAP_V4L2
            node = f"/dev/video{self._source}" if isinstance(self._source, int) else self._source
            if not Path(node).exists():
                raise DeviceNotFound(f"no {node}")
        self._size = size
        self._capture: cv2.VideoCapture | None = None
        probe = self._open()  # once now, so a missing camera is reported at start-up
        if probe is None:
            raise DeviceNotFound(f"OpenCV cannot open camera {self._source!r}")
        probe.release()

    def _open(self) -> cv2.VideoCapture | None:
        try:
            capture = cv2.VideoCapture(self._source, self._api)
        except cv2.error:  # e.g. a GStreamer pipeline that does not parse
            return None
        if not capture.isOpened():
            capture.release()
            return None
        if self._api == cv2.CAP_V4L2:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self._size[0])
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self._size[1])
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # so read() returns a current frame, not a queued one
        return capture

    def _start(self) -> None:
        self._capture = self._open()
        if self._capture is None:
            raise CameraGone(f"OpenCV cannot open camera {self._source!r}")

    def _read(self) -> np.ndarray:
        assert self._capture is not None
        try:
            ok, frame = self._capture.read()
        except cv2.error as e:
            raise CameraGone(f"OpenCV camera {self._source!r}: {e}") from e
        if not ok or frame is None:
            raise CameraGone(f"OpenCV camera {self._source!r} gave no frame")
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

    def _stop(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    _close = _stop


class FileCamera(_Camera):
    """The simulator's camera: frames from image files, video files or arrays, in order.

    ``load()`` replaces the sequence (one scripted visitor per transaction); after its last frame the
    camera starts again from the first when ``loop`` is true, else keeps showing the last frame, as a
    real camera keeps seeing a visitor who stands still. With nothing loaded it shows a black frame of
    ``size``. ``unplug()`` makes ``start()`` and ``read()`` raise CameraGone until ``plug()``.

        camera = FileCamera(["visitor/0001.jpg", "visitor/0002.jpg"])
        with camera:
            camera.start()
            frame = camera.read()

    :param sources: image files, video files (any suffix not in IMAGE_SUFFIXES) or RGB arrays.
    :param loop: start over after the last frame.
    :param size: (width, height) of the black frame shown when nothing is loaded.
    """

    def __init__(
        self, sources: Iterable[FrameSource] = (), *, loop: bool = False, size: tuple[int, int] = (1280, 960)
    ) -> None:
        super().__init__()
        self.loop = loop
        self.size = size
        self._unplugged = False
        self._sources: list[FrameSource] = []
        self._frames: Iterator[np.ndarray] = iter(())
        self._last: np.ndarray | None = None
        self.load(sources)

    def load(self, sources: Iterable[FrameSource]) -> None:
        """Replace the frame sequence; the next read() returns its first frame."""
        sources = list(sources)
        for source in sources:
            if not isinstance(source, np.ndarray) and not Path(source).is_file():
                raise FileNotFoundError(f"no frame file {source}")
        with self._lock:
            self._sources = sources
            self._frames = _decode(sources)
            self._last = None

    def unplug(self) -> None:
        """Simulate the camera's cable being pulled."""
        self._unplugged = True

    def plug(self) -> None:
        self._unplugged = False

    def _start(self) -> None:
        if self._unplugged:
            raise CameraGone("camera unplugged (simulated)")

    def _read(self) -> np.ndarray:
        if self._unplugged:
            raise CameraGone("camera unplugged (simulated)")
        frame = next(self._frames, None)
        if frame is None and self.loop and self._last is not None:
            self._frames = _decode(self._sources)
            frame = next(self._frames, None)
        if frame is not None:
            self._last = frame
        elif self._last is None:
            return np.zeros((self.size[1], self.size[0], 3), np.uint8)
        return self._last.copy()


def _decode(sources: list[FrameSource]) -> Iterator[np.ndarray]:
    """Yield RGB uint8 frames from each source in turn, decoding lazily."""
    for source in sources:
        if isinstance(source, np.ndarray):
            yield _as_rgb(source)
        elif Path(source).suffix.lower() in IMAGE_SUFFIXES:
            with Image.open(source) as image:
                yield np.array(image.convert("RGB"))
        else:
            video = cv2.VideoCapture(str(source))
            try:
                ok, frame = video.read()
                if not ok:
                    raise CameraGone(f"cannot decode video {source}")
                while ok:
                    yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                    ok, frame = video.read()
            finally:
                video.release()


def _as_rgb(array: np.ndarray) -> np.ndarray:
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"frames must be RGB uint8 (H, W, 3), not {array.dtype} {array.shape}")
    return array.copy()


# --- opening the camera a [hardware.camera] section names (madoguchi.hardware.factory) ----------------


def open_picamera2(section: PiCameraKeys) -> Opened:
    camera = PiCamera(number=section.number, size=(section.width, section.height), timeout=section.timeout_s)
    return camera, f"picamera2:{section.number}"


def open_opencv(section: OpenCVKeys) -> Opened:
    camera = OpenCVCamera(source=section.source, size=(section.width, section.height))
    return camera, f"opencv:{section.source}"


def open_file_camera(section: CameraSection) -> Opened:
    return FileCamera(size=(section.width, section.height)), "simulated:FileCamera"
