"""``madoguchi scan-test``: one scan at the mode's resolution: page size, dpi and whether a photo was
found. No image leaves the daemon: the page is wiped unseen."""

from __future__ import annotations

from madoguchi.counter.calls import Call
from madoguchi.errors import ExitCode
from madoguchi.language import Language, Text
from madoguchi.ops.appliance import Appliance
from madoguchi.ops.commands.base import Command, Peer
from madoguchi.ops.control.protocol import Answer, NoArguments

WORDS = {
    "page": Text("読み取り", "page"),
    "card_found": Text("写真を検出", "photo found"),
    "card_missing": Text("写真を検出できません", "no photo found"),
}


class ScanTestAnswer(Answer):
    width_px: int
    height_px: int
    dpi: int
    card_found: bool
    detail: str


def _scan_test(appliance: Appliance) -> ScanTestAnswer:
    page = appliance.checks.scan_page(appliance.counter.snapshot().mode)
    return ScanTestAnswer(
        width_px=page.width_px,
        height_px=page.height_px,
        dpi=page.dpi,
        card_found=page.found,
        detail=page.detail,
    )


def handle(appliance: Appliance, _arguments: NoArguments, _peer: Peer) -> Call:
    return Call(lambda: _scan_test(appliance))


def render(data: ScanTestAnswer, language: Language) -> tuple[ExitCode, list[str]]:
    found = WORDS["card_found" if data.card_found else "card_missing"](language)
    lines = [
        f"{WORDS['page'](language)}: {data.width_px}x{data.height_px} px, {data.dpi} dpi",
        f"{found}: {data.detail}",
    ]
    return (ExitCode.OK if data.card_found else ExitCode.FAILED), lines


SCAN_TEST = Command(
    name="scan-test",
    help="scan once: page size, dpi and whether a photo was found (no image leaves)",
    request="scan_test",
    answer=ScanTestAnswer,
    handle=handle,
    render=render,
)
