"""The scripted visitors of ``madoguchi simulate``: each scenario is one transaction.

A scenario prepares the desk (pages on the glass, what the camera sees, a cable pulled), acts as
staff would (buttons), records staff's decision on a score (or uses the staff menu), and restores
what it changed. Every wait is on the counter's state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from cryptography.hazmat.primitives.asymmetric import rsa

from madoguchi.chip.emulator import MyNumberCard
from madoguchi.chip.mynumber import MyNumberKeyB
from madoguchi.chip.simulated import mynumber_card
from madoguchi.counter.state import BUSY_STATES, State
from madoguchi.simulate.harness import Desk
from madoguchi.synthetic.cards import sample_card_page
from madoguchi.synthetic.forms import sample_form
from madoguchi.synthetic.frames import swaying_frames
from madoguchi.synthetic.heads import Head
from madoguchi.synthetic.pad_families import scenario_frames
from madoguchi.synthetic.people import Person, another_day

Step = Callable[[Desk], None]


def _nothing(desk: Desk) -> None:
    """A scenario step that changes nothing."""


def _start(desk: Desk) -> None:
    desk.press("start")


def pressed(*buttons: str) -> Step:
    """Each button in turn, once the counter has acted on the one before."""

    def press(desk: Desk) -> None:
        for button in buttons:
            desk.press(button)
            desk.settle()

    return press


ISSUE, CHECK_AGAIN, REFUSE = pressed("start"), pressed("mode"), pressed("cancel")
"""Staff's decision while the score is on screen: 交付, 再確認, 交付せず."""


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    prepare: Step
    act: Step = _start
    decide: Step = _nothing
    """What staff do once the result is on screen: their decision on a score, the staff menu."""
    restore: Step = _nothing


class Sight:
    """What the camera sees of people: one visitor as a head that sways and blinks, drawn in 3-D from
    their picture (so the presentation-attack checks see a head, not a flat picture: they rightly
    suspect a photo moved about); several side by side, or nobody, as pictures on a stand.

    :param engine: the face engine, whose mesh shapes each head.
    """

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self._heads: dict[int, list[np.ndarray]] = {}

    def of(self, *people: Person) -> list[np.ndarray]:
        if len(people) != 1:
            return swaying_frames(*people)
        (person,) = people
        if id(person) not in self._heads:
            head = Head.from_photo(np.asarray(person.image.convert("RGB")), self.engine)
            self._heads[id(person)] = scenario_frames("bona_fide", [head])
        return self._heads[id(person)]


def _visit(sight: Sight, page: np.ndarray | None, *people: Person) -> Step:
    def prepare(desk: Desk) -> None:
        desk.put(page)
        desk.show(*sight.of(*people))

    return prepare


def _then(*steps: Step) -> Step:
    def each(desk: Desk) -> None:
        for step in steps:
            step(desk)

    return each


def _mode(mode: str) -> Step:
    """MODE until the counter is in ``mode`` (card → form → chip, the chip when enabled)."""

    def switch(desk: Desk) -> None:
        for _ in range(len(desk.counter.modes)):
            if desk.counter.mode == mode:
                return
            desk.press("mode")
            desk.settle()
        raise ValueError(f"the counter has no mode {mode!r}")

    return switch


def _cancel_while_capturing(desk: Desk) -> None:
    desk.press("start")
    desk.wait_for(State.CAPTURING)
    desk.press("cancel")


def _press_twice(desk: Desk) -> None:
    """START, and START again while the first transaction runs."""
    desk.press("start")
    desk.wait_for(BUSY_STATES)
    desk.press("start")


def _unplug(device: str) -> tuple[Step, Step]:
    return (lambda desk: desk.unplug(device)), (lambda desk: desk.plug(device))


def _paper(*, out: bool) -> Step:
    return lambda desk: desk.paper(out=out)


def scenarios(sight: Sight, genuine_card: Person, genuine_live: Person, impostor: Person) -> list[Scenario]:
    card = sample_card_page(genuine_card)
    genuine = _visit(sight, card, genuine_live)
    pull_camera, plug_camera = _unplug("camera")
    pull_scanner, plug_scanner = _unplug("scanner")
    return [
        Scenario(
            "genuine", "the card holder at the camera; staff issue the card (START)", genuine, decide=ISSUE
        ),
        Scenario(
            "impostor",
            "someone else at the camera; staff refuse (CANCEL)",
            _visit(sight, card, impostor),
            decide=REFUSE,
        ),
        Scenario(
            "form_genuine",
            "申請時来庁: MODE pressed, an application form scanned, its applicant at the camera",
            _then(_visit(sight, sample_form(impostor), another_day(impostor, seed=1)), _mode("form")),
            decide=ISSUE,
            restore=_mode("card"),
        ),
        Scenario("blank_page", "nothing on the scanner", _visit(sight, None, genuine_live)),
        Scenario("no_face_camera", "no one in front of the camera", _visit(sight, card)),
        Scenario(
            "two_faces_camera",
            "two people in front of the camera",
            _visit(sight, card, genuine_live, impostor),
        ),
        Scenario(
            "camera_unplugged", "the camera's cable pulled", _then(genuine, pull_camera), restore=plug_camera
        ),
        Scenario(
            "scanner_gone", "the scanner's cable pulled", _then(genuine, pull_scanner), restore=plug_scanner
        ),
        Scenario(
            "printer_out_of_paper",
            "the printer runs out of paper; the score stays on screen; staff issue the card, load paper "
            "and print the slip again from the staff menu (CANCEL, START): 再発行",
            _then(genuine, _paper(out=True)),
            decide=_then(ISSUE, _paper(out=False), pressed("cancel", "start")),
        ),
        Scenario("cancel", "CANCEL pressed while the camera watches", genuine, act=_cancel_while_capturing),
        Scenario(
            "double_press",
            "START pressed again while the first visitor is served; the second press is answered",
            genuine,
            act=_press_twice,
            decide=ISSUE,
        ),
    ]


SAMPLE_KEY = MyNumberKeyB("800101", "2034", "1234")
"""照合番号B of the simulator's sample cards (birth date, expiry year, security code: made up)."""
WRONG_KEY = "80010120349999"


def _chip_visit(sight: Sight, card: MyNumberCard, *people: Person) -> Step:
    def prepare(desk: Desk) -> None:
        desk.tap(card)
        desk.show(*sight.of(*people))
        _mode("chip")(desk)

    return prepare


def _keyed(code: str) -> Step:
    def act(desk: Desk) -> None:
        desk.press("start")
        desk.enter_code(code)

    return act


def _leave_chip(desk: Desk) -> None:
    """Take the card off the reader and go back to the card mode."""
    desk.remove_card()
    _mode("card")(desk)


def chip_scenarios(
    sight: Sight, genuine_card: Person, genuine_live: Person, impostor: Person, issuer: rsa.RSAPrivateKey
) -> list[Scenario]:
    """The chip source: My Number cards on the emulated reader, signed by ``issuer`` (the J-LIS
    key the simulator trusts) unless said otherwise."""

    def card(person: Person, signer: rsa.RSAPrivateKey = issuer) -> MyNumberCard:
        return mynumber_card(np.asarray(person.head()), SAMPLE_KEY, signer)

    code = SAMPLE_KEY.code().decode()
    stranger = rsa.generate_private_key(65537, 2048)
    return [
        Scenario(
            "chip_genuine",
            "IC chip: 照合番号B keyed in, the chip's photo against its holder at the camera",
            _chip_visit(sight, card(genuine_card), genuine_live),
            act=_keyed(code),
            decide=ISSUE,
            restore=_leave_chip,
        ),
        Scenario(
            "chip_forged",
            "IC chip: a forged card printed with the visitor's photo, its chip holding someone else's; "
            "the printed photo would have matched, the chip's does not",
            _then(
                _visit(sight, sample_card_page(genuine_live), genuine_live),
                _chip_visit(sight, card(impostor), genuine_live),
            ),
            act=_keyed(code),
            decide=REFUSE,
            restore=_leave_chip,
        ),
        Scenario(
            "chip_wrong_code",
            "IC chip: a wrong 照合番号B; the chip says how many tries are left, nothing is resent",
            _chip_visit(sight, card(genuine_card), genuine_live),
            act=_keyed(WRONG_KEY),
            restore=_leave_chip,
        ),
        Scenario(
            "chip_not_verified",
            "IC chip: a card whose signature does not verify; scored, shown as NOT verified; staff check "
            "again (MODE)",
            _chip_visit(sight, card(genuine_card, stranger), genuine_live),
            act=_keyed(code),
            decide=CHECK_AGAIN,
            restore=_leave_chip,
        ),
    ]


def presentation_scenarios(sight: Sight, genuine_card: Person, genuine_live: Person) -> list[Scenario]:
    """Someone holds the card holder's picture to the camera ([pad] on): a printed photo moved by
    hand, and a phone replaying it. Both are scored; the checks' advice is on the screen and slip."""
    heads = [Head.from_photo(np.asarray(genuine_live.image.convert("RGB")), sight.engine)]
    card = sample_card_page(genuine_card)

    def held(kind: str) -> Step:
        def prepare(desk: Desk) -> None:
            desk.put(card)
            desk.show(*scenario_frames(kind, heads))

        return prepare

    return [
        Scenario(
            "photo_at_camera",
            "a printed photo of the card holder held to the camera; staff refuse (CANCEL)",
            held("print"),
            decide=REFUSE,
        ),
        Scenario(
            "phone_at_camera",
            "a phone showing the card holder held to the camera; staff refuse (CANCEL)",
            held("phone"),
            decide=REFUSE,
        ),
    ]
