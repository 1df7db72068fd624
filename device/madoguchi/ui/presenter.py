"""What staff see and take away: every LCD screen and the slip, drawn for one counter's config.

A :class:`Presenter` is built once, by the composition root (:mod:`madoguchi.ops.root`), from the
``[counter]`` section and the two devices' sizes, so the language, the font, the municipality and
the terminal are decided in one place; the counter, the start-up wait and the self-test only say
*what* to show. A changed ``[counter]`` section gives a :meth:`Presenter.reconfigured` one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PIL import Image

from madoguchi.audit.figures import Figures
from madoguchi.config import CounterConfig
from madoguchi.counter.outcome import TransactionResult
from madoguchi.ui import screens, staff_screens
from madoguchi.ui.day_slip import render_day_slip
from madoguchi.ui.screens import Look
from madoguchi.ui.slip import render_slip


@dataclass(frozen=True)
class Presenter:
    """Renders screens in ``look`` and slips ``slip_width_px`` wide, in the look's language and font."""

    look: Look
    municipality: str
    terminal_id: str
    mode_button: bool
    slip_width_px: int = 576
    decisions: bool = False
    """Whether staff record their decision on a score (its footer says with which button)."""

    @classmethod
    def of(
        cls, counter: CounterConfig, *, screen_size: tuple[int, int], slip_width_px: int = 576
    ) -> Presenter:
        return cls(
            look=Look(language=counter.language, size=screen_size, font=counter.font),
            municipality=counter.municipality,
            terminal_id=counter.terminal_id,
            mode_button=counter.mode_button,
            slip_width_px=slip_width_px,
            decisions=counter.decisions,
        )

    def reconfigured(self, counter: CounterConfig) -> Presenter:
        """The same devices' presenter for a changed ``[counter]`` section."""
        return Presenter.of(counter, screen_size=self.look.size, slip_width_px=self.slip_width_px)

    def idle(self, mode: str, *, notice: str | None = None) -> Image.Image:
        return screens.idle_screen(mode, mode_button=self.mode_button, notice=notice, look=self.look)

    def progress(self, step: str, *, hint: str | None = None, notice: str | None = None) -> Image.Image:
        return screens.progress_screen(step, hint=hint, notice=notice, look=self.look)

    def capture(
        self, guidance: tuple[str, ...], *, seconds_left: float, notice: str | None = None
    ) -> Image.Image:
        return screens.capture_screen(guidance, seconds_left=seconds_left, notice=notice, look=self.look)

    def result(self, result: TransactionResult, *, notice: str | None = None) -> Image.Image:
        return screens.result_screen(result, notice=notice, look=self.look, decisions=self.decisions)

    def digits(
        self,
        prompt: str,
        digits: str,
        *,
        cursor: int,
        groups: tuple[int, ...],
        hint: str | None = None,
        notice: str | None = None,
    ) -> Image.Image:
        return screens.digits_screen(
            prompt, digits, cursor=cursor, groups=groups, hint=hint, notice=notice, look=self.look
        )

    def device_missing(self, device: str) -> Image.Image:
        return screens.device_missing_screen(device, look=self.look)

    def out_of_service(self, reason: str) -> Image.Image:
        return screens.out_of_service_screen(reason, look=self.look)

    def decided(
        self, result: TransactionResult, decision: str, *, recorded: bool = True, notice: str | None = None
    ) -> Image.Image:
        return staff_screens.decided_screen(
            result, decision, recorded=recorded, notice=notice, look=self.look
        )

    def menu(
        self, items: tuple[str, ...], chosen: int, *, last: int | None, notice: str | None = None
    ) -> Image.Image:
        return staff_screens.menu_screen(items, chosen, last=last, notice=notice, look=self.look)

    def menu_done(
        self,
        code: str,
        *,
        transaction: int | None = None,
        figures: Figures | None = None,
        notice: str | None = None,
    ) -> Image.Image:
        return staff_screens.menu_done_screen(
            code, transaction=transaction, figures=figures, notice=notice, look=self.look
        )

    def slip(
        self,
        result: TransactionResult,
        *,
        witness: tuple[int, str] | None = None,
        reprinted_at: datetime | None = None,
    ) -> Image.Image:
        return render_slip(
            result,
            municipality=self.municipality,
            terminal_id=self.terminal_id,
            width_px=self.slip_width_px,
            witness=witness,
            reprinted_at=reprinted_at,
            language=self.look.language,
            font=self.look.font,
        )

    def day_slip(self, figures: Figures, *, printed_at: datetime) -> Image.Image:
        return render_day_slip(
            figures,
            municipality=self.municipality,
            terminal_id=self.terminal_id,
            printed_at=printed_at,
            width_px=self.slip_width_px,
            language=self.look.language,
            font=self.look.font,
        )
