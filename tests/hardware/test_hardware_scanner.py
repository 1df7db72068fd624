"""SaneScanner on SANE's own ``test`` backend, and the simulator's scanner on top of it."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from madoguchi.errors import ConfigError, DeviceClosed, DeviceNotFound, ScannerGone
from madoguchi.hardware.scanner import ID1_MM, SaneScanner, SimulatedScanner, sane_devices

# SANE's test backend scans an 80 x 100 mm area by default.
TEST_AREA_MM = (80.0, 100.0)
# The test backend keeps option values per device for the whole process, so faults are injected
# on test:1 only and test:0 stays healthy for every other test.
FAULTY = "test:1"


def px(mm: float, dpi: int) -> float:
    return mm / 25.4 * dpi


@pytest.fixture(scope="module")
def test_backend():
    pytest.importorskip("sane", reason="python-sane is not installed")
    if not {"test:0", FAULTY} <= set(sane_devices()):
        pytest.skip("SANE's test backend is not installed (Debian: libsane1 / sane-backends)")


@pytest.fixture
def scanner(test_backend):
    with SaneScanner(device="test:0", options={"test-picture": "Color pattern"}) as scanner:
        yield scanner


def test_scans_a_colour_page_at_the_requested_dpi(scanner):
    page = scanner.scan(dpi=300)

    assert page.dtype == np.uint8 and page.ndim == 3 and page.shape[2] == 3
    height, width = page.shape[:2]
    assert abs(width - px(TEST_AREA_MM[0], 300)) <= 1
    assert abs(height - px(TEST_AREA_MM[1], 300)) <= 1
    # "Color pattern" has coloured stripes: not one flat grey.
    assert page.std() > 20
    assert np.abs(page[..., 0].astype(int) - page[..., 2]).max() > 100


def test_dpi_is_set_for_each_scan(scanner):
    full = scanner.scan(dpi=300)
    half = scanner.scan(dpi=150)

    assert abs(half.shape[1] - px(TEST_AREA_MM[0], 150)) <= 1
    assert abs(half.shape[0] * 2 - full.shape[0]) <= 2


def test_first_device_is_used_when_none_is_named(test_backend):
    with SaneScanner() as scanner:
        assert scanner.device == sane_devices()[0]


def test_scan_failure_is_scanner_gone_and_the_next_scan_reopens(test_backend):
    options = {"test-picture": "Solid white", "read-return-value": "SANE_STATUS_IO_ERROR"}
    with SaneScanner(device=FAULTY, options=options) as scanner:
        with pytest.raises(ScannerGone, match=FAULTY):
            scanner.scan(dpi=150)
        with pytest.raises(ScannerGone):  # reopened with the same options, so it fails again
            scanner.scan(dpi=150)


def test_unknown_device_is_not_found(test_backend):
    with pytest.raises(DeviceNotFound, match="nosuch:0"):
        SaneScanner(device="nosuch:0")


def test_refused_option_is_a_config_error(test_backend):
    with pytest.raises(ConfigError, match="no-such-option"):
        SaneScanner(device="test:0", options={"no-such-option": 1})


def test_close_is_idempotent_and_final(scanner):
    scanner.close()
    scanner.close()
    with pytest.raises(DeviceClosed):
        scanner.scan(dpi=300)


# --- SimulatedScanner -------------------------------------------------------------------------


@pytest.fixture
def card(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (631, 1000, 3), dtype=np.uint8)
    path = tmp_path / "card.png"
    Image.fromarray(pixels).save(path)
    return path, pixels


def test_simulated_scanner_returns_loaded_pages_then_blank(test_backend, card):
    path, pixels = card
    sane = SaneScanner(device="test:0")
    with SimulatedScanner([path, None], sane=sane) as scanner:
        assert np.array_equal(scanner.scan(dpi=300), pixels)
        blank = scanner.scan(dpi=300)
        again = scanner.scan(dpi=300)  # nothing loaded: the glass is empty

    for page in (blank, again):
        assert page.shape == (round(px(ID1_MM[1], 300)), round(px(ID1_MM[0], 300)), 3)
        assert (page == 255).all()


def test_the_last_page_stays_on_the_glass_until_the_next_load(card):
    """A rescan reads the page still lying there, not the next visitor's."""
    path, pixels = card
    with SimulatedScanner([path]) as scanner:
        assert np.array_equal(scanner.scan(dpi=300), pixels)
        assert np.array_equal(scanner.scan(dpi=300), pixels)
        scanner.load([None])
        assert (scanner.scan(dpi=300) == 255).all()


def test_simulated_scanner_runs_the_real_sane_path(test_backend, card):
    """A SANE failure surfaces through the simulator, so its scans really go through SaneScanner."""
    failing = SaneScanner(device=FAULTY, options={"read-return-value": "SANE_STATUS_JAMMED"})
    with SimulatedScanner([card[0]], sane=failing) as scanner, pytest.raises(ScannerGone):
        scanner.scan(dpi=150)


def test_simulated_scanner_scales_pages_to_the_dpi(card):
    path, pixels = card
    with SimulatedScanner([path, pixels], page_dpi=300) as scanner:
        assert scanner.scan(dpi=150).shape == (316, 500, 3)
        assert scanner.scan(dpi=600).shape == (1262, 2000, 3)


def test_simulated_scanner_unplug_and_plug(card):
    with SimulatedScanner([card[0]]) as scanner:
        scanner.unplug()
        with pytest.raises(ScannerGone):
            scanner.scan(dpi=300)
        scanner.plug()
        assert scanner.scan(dpi=300).shape == (631, 1000, 3)  # the page was not used up by the failure


def test_simulated_scanner_load_replaces_pages_and_checks_files(tmp_path, card):
    with SimulatedScanner([card[0]]) as scanner:
        scanner.load([None])
        assert (scanner.scan(dpi=100) == 255).all()
        with pytest.raises(FileNotFoundError):
            scanner.load([tmp_path / "missing.png"])
