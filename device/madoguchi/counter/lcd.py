"""What the staff LCD shows during a transaction, and which message codes it has shown.

The screen of the moment is kept as a function of a notice, so a button pressed while busy can be
answered on it ("busy_press") and a technician's call that used the LCD can put it back. Every code
shown is noted, in order, for the transaction's :class:`~madoguchi.counter.counter.Report`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PIL import Image

from madoguchi.errors import HardwareError
from madoguchi.hardware.base import Display
from madoguchi.ui.presenter import Presenter

log = logging.getLogger(__name__)

Screen = Callable[[str | None], Image.Image]
"""A screen, drawn with a notice (or None)."""


class Lcd:
    """The staff LCD: ``display`` shows the frames ``presenter`` draws.

    :param display: the display.
    :param presenter: draws every screen (replaced when the ``[counter]`` section changes).
    """

    def __init__(self, display: Display, presenter: Presenter) -> None:
        self.display = display
        self.presenter = presenter
        self.notice: str | None = None
        """A message code shown under the transaction's screens (a press answered while busy)."""
        self.shown: list[str] = []
        """Every message code shown in this transaction, once each, in order."""
        self.last: Image.Image | None = None
        """The last frame the counter showed (never the camera check's view: that is not drawn here)."""
        self._screen: Screen | None = None

    def begin(self) -> None:
        """A new transaction: no notice, nothing shown yet."""
        self.notice, self.shown = None, []

    def saw(self, *codes: str) -> None:
        self.shown.extend(code for code in codes if code not in self.shown)

    def show(self, frame: Image.Image) -> None:
        """One frame, not kept to draw again; a display fault is logged (the counter serves on)."""
        self.last = frame
        try:
            self.display.show(frame)
        except HardwareError as error:
            log.error("display: %s", error)

    def put(self, screen: Screen) -> None:
        """Show ``screen`` with the notice, and keep it to draw again."""
        self._screen = screen
        self.show(screen(self.notice))

    def forget(self) -> None:
        """Keep nothing to draw again (the screen shows a code being keyed in)."""
        self._screen = None

    def answer(self, notice: str) -> None:
        """Show ``notice`` on the screen of the moment."""
        self.notice = notice
        self.saw(notice)
        if self._screen is not None:
            self.show(self._screen(notice))

    def redraw(self) -> bool:
        """Draw the kept screen again; False when none is kept."""
        if self._screen is None:
            return False
        self.show(self._screen(self.notice))
        return True
