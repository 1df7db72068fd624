"""Fixtures for the chip tests, imported by each test_chip_* module."""

from __future__ import annotations

import pytest

from chip_cards import stack


@pytest.fixture(scope="module")
def pcscd(tmp_path_factory):
    """pcscd serving vpcd's reader (started here unless one already serves it)."""
    with stack.pcscd_with_vpcd(tmp_path_factory.mktemp("pcscd")) as daemon:
        yield daemon


@pytest.fixture
def cards(pcscd):
    """Started card emulators, taken off the reader after the test (and seen to be gone, so the next
    test's card is a new insertion for pcscd)."""
    started = []
    yield started
    for process in started:
        stack.remove_card(process)
