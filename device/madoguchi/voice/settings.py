"""The ``[voice]`` section: spoken guidance for the visitor, on a sound device of its own."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from madoguchi.language import Language
from madoguchi.section import AbsolutePath, Section


class VoiceConfig(Section):
    enabled: bool = Field(
        default=False,
        title="Spoken guidance",
        description="Say the visitor's guidance aloud (look at the camera, come closer, blink, ...).",
    )
    device: str = Field(
        default="default",
        title="Sound device",
        description="The ALSA PCM the loudspeaker is on, as `aplay -L` names it, e.g. "
        "「plughw:CARD=Device,DEV=0」; 「null」 plays into nothing. A missing device is shown by "
        "`madoguchi status`; the counter serves on, silent.",
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_:=,.-]{0,63}$",
    )
    volume: int = Field(
        default=80,
        title="Volume",
        description="Per cent of full scale at which prompts peak (100: -3 dBFS).",
        ge=1,
        le=100,
    )
    language: Language = Field(
        default="ja", title="Visitor language", description="ja: Open JTalk; en: eSpeak NG."
    )
    repeat_seconds: float = Field(
        default=4.0,
        title="Repeat after",
        description="The same prompt is not said again within this many seconds.",
        ge=0.0,
        le=60.0,
    )
    cache_dir: AbsolutePath = Field(
        default=Path("/var/cache/madoguchi/voice"),
        title="Prompt cache",
        description="Where the rendered prompts (WAV, no biometric data) are kept between starts.",
    )
