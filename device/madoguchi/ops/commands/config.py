"""``madoguchi config show | validate | set``: the counter's settings, checked, and changed without a
restart (written atomically, applied at once, kept in the audit record)."""

from __future__ import annotations

import argparse
import json
import logging
from datetime import datetime
from typing import Literal

from pydantic import Field

from madoguchi.cli.core import emit, language
from madoguchi.config import load
from madoguchi.counter.calls import Call
from madoguchi.errors import ConfigError, ExitCode, Refused, Unavailable
from madoguchi.language import Language, Text
from madoguchi.ops.appliance import Appliance
from madoguchi.ops.commands.base import Command, Peer, refused, said, unavailable
from madoguchi.ops.config_file import SETTABLE
from madoguchi.ops.control.protocol import Answer, Arguments, Scalar

log = logging.getLogger(__name__)

WORDS = {
    "valid": Text("設定は正しい", "config is valid"),
    "changed": Text("変更し、監査記録に残しました", "changed, and kept in the audit record"),
}


class ConfigAnswer(Answer):
    path: str
    values: dict[str, Scalar]


def _shown(appliance: Appliance) -> ConfigAnswer:
    snapshot = appliance.counter.snapshot()
    values = snapshot.settings.model_dump(mode="json") | {"mode_now": snapshot.mode}
    return ConfigAnswer(path=str(appliance.config_file.path), values=values)


def render_values(data: ConfigAnswer, _language: Language) -> tuple[ExitCode, list[str]]:
    lines = [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in data.values.items()]
    return ExitCode.OK, [f"# {data.path}", *lines]


def show(args: argparse.Namespace) -> ExitCode:
    """The daemon's settings in force; the file's when no daemon runs."""
    try:
        answer, waited = CONFIG_SHOW.ask(args)
    except Unavailable:
        try:
            config = load(args.config)
        except ConfigError as error:
            data = {"error": "config", "message": str(error)}
            return emit(args, CONFIG_SHOW.name, ExitCode.CONFIG, data, [str(error)])
        answer = ConfigAnswer(path=str(args.config), values=config.counter.model_dump(mode="json"))
        waited = False
    except Refused as error:
        return refused(args, CONFIG_SHOW, error)
    return said(CONFIG_SHOW, args, answer, waited=waited)


CONFIG_SHOW = Command(
    name="config show",
    help="the settings in use (the daemon's, else the file's)",
    request="config_show",
    answer=ConfigAnswer,
    handle=lambda appliance, _arguments, _peer: Call(lambda: _shown(appliance), between_steps=True),
    render=render_values,
    run=show,
)


def validate(args: argparse.Namespace) -> ExitCode:
    try:
        config = load(args.config)
    except ConfigError as error:
        problems = str(error).splitlines()[1:] or [str(error)]
        return emit(
            args, CONFIG_VALIDATE.name, ExitCode.CONFIG, {"valid": False, "problems": problems}, [str(error)]
        )
    counter = config.counter
    line = f"{args.config}: {WORDS['valid'](language(args))} ({counter.terminal_id}, {counter.threshold})"
    return emit(args, CONFIG_VALIDATE.name, ExitCode.OK, {"valid": True, "path": str(args.config)}, [line])


CONFIG_VALIDATE = Command(
    name="config validate", help="check the config file; print each problem", run=validate
)


class ConfigSetArguments(Arguments):
    key: Literal[SETTABLE]  # type: ignore[valid-type]
    value: str = Field(max_length=64)


class ConfigSetAnswer(Answer):
    key: str
    old: Scalar
    new: Scalar
    applied: bool
    audit_number: int


def _config_set(appliance: Appliance, arguments: ConfigSetArguments, peer: Peer) -> ConfigSetAnswer:
    old, new = appliance.config_file.set(arguments.key, arguments.value)
    settings = appliance.config_file.config.counter
    appliance.counter.apply(settings)
    who = f"{peer.user} (uid {peer.uid}, pid {peer.pid})"
    number = appliance.recorder.config_changed(
        arguments.key,
        old,
        new,
        by=who,
        when=datetime.now().astimezone(),
        mode=appliance.counter.snapshot().mode,
        threshold=settings.threshold,
    )
    log.info("config %s: %s -> %s by %s; audit record %d", arguments.key, old, new, who, number)
    return ConfigSetAnswer(key=arguments.key, old=old, new=new, applied=True, audit_number=number)  # type: ignore[arg-type]


def render_change(data: ConfigSetAnswer, language: Language) -> tuple[ExitCode, list[str]]:
    return ExitCode.OK, [
        f"{data.key}: {data.old} -> {data.new} ({WORDS['changed'](language)}, #{data.audit_number})"
    ]


def set_value(args: argparse.Namespace) -> ExitCode:
    try:
        answer, waited = CONFIG_SET.ask(args)
    except Unavailable as error:
        return unavailable(args, CONFIG_SET, error)
    except Refused as error:  # a value the config does not allow: the file is untouched
        return refused(args, CONFIG_SET, error, failed=ExitCode.CONFIG)
    return said(CONFIG_SET, args, answer, waited=waited)


def set_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("key", choices=SETTABLE)
    parser.add_argument("value")


CONFIG_SET = Command(
    name="config set",
    help=f"change one of {', '.join(SETTABLE)}: written, applied without a restart, audited",
    request="config_set",
    arguments=ConfigSetArguments,
    answer=ConfigSetAnswer,
    handle=lambda appliance, arguments, peer: Call(lambda: _config_set(appliance, arguments, peer)),
    render=render_change,
    options=set_options,
    run=set_value,
)
