"""``madoguchi status``: how the running counter is: state, devices, audit record, clock, watchdog."""

from __future__ import annotations

import os
import time
from datetime import datetime

from madoguchi import __version__, seccomp
from madoguchi.cli.core import say
from madoguchi.counter.calls import Call
from madoguchi.errors import ExitCode
from madoguchi.language import Language, Text
from madoguchi.ops.appliance import Appliance
from madoguchi.ops.checks import clock_check, free_bytes
from madoguchi.ops.commands.base import Command, Peer
from madoguchi.ops.control.protocol import Answer, NoArguments

WORDS = {
    "state": Text("状態", "state"),
    "uptime": Text("稼働時間（秒）", "uptime (s)"),
    "version": Text("バージョン", "version"),
    "models": Text("モデル（SHA-256）", "models (SHA-256)"),
    "terminal": Text("端末", "terminal"),
    "threshold": Text("しきい値", "threshold"),
    "mode": Text("モード", "mode"),
    "today": Text("本日の照合件数", "transactions today"),
    "outcomes": Text("結果の内訳", "by outcome"),
    "devices": Text("機器（最後の異常）", "devices (last fault)"),
    "audit": Text("監査記録", "audit record"),
    "free": Text("空き容量", "free space"),
    "changed": Text("ファイルの異常", "file changed"),
    "clock": Text("時計", "clock"),
    "watchdog": Text("ウォッチドッグ", "watchdog"),
    "seccomp": Text("ソケット制限（seccomp）", "socket filter (seccomp)"),
}


STATES = {
    "idle": Text("待機中", "idle"),
    "entering_code": Text("照合番号の入力中", "entering a code"),
    "reading": Text("ICチップの読み取り中", "reading the IC chip"),
    "scanning": Text("読み取り中", "scanning"),
    "locating": Text("顔写真の確認中", "finding the ID photo"),
    "capturing": Text("撮影中", "capturing"),
    "scoring": Text("照合中", "comparing"),
    "wiping": Text("消去中", "wiping"),
    "reporting": Text("結果の表示中", "reporting"),
    "out_of_service": Text("停止中（記録を保存できません）", "out of service (no record can be kept)"),
    "stopped": Text("停止", "stopped"),
}
"""Each state of madoguchi.counter.state.State, in words."""


class DeviceAnswer(Answer):
    name: str
    origin: str
    last_fault: str | None
    last_fault_at: str | None


class StatusAnswer(Answer):
    pid: int
    state: str
    transaction: int | None
    """The transaction under way (its number), if any."""
    uptime_s: float
    version: str
    models: dict[str, str]
    terminal_id: str
    threshold: int
    mode: str
    language: str
    result_seconds: float
    hardware: str
    transactions_today: int
    outcomes_today: dict[str, int]
    devices: list[DeviceAnswer]
    audit_path: str
    audit_last_number: int
    audit_head: str
    audit_free_bytes: int
    audit_last_change: str | None
    """The last change found to the record's file under the daemon (deleted, replaced, cut), if any."""
    clock: str
    clock_ok: bool
    clock_note: str
    watchdog_s: float | None
    heartbeat_age_s: float | None
    seccomp_filter: bool
    seccomp_mode: int
    no_new_privs: bool


def _status(appliance: Appliance) -> StatusAnswer:
    snapshot = appliance.counter.snapshot()
    settings, audit, tally = snapshot.settings, appliance.audit, appliance.tally
    now = datetime.now().astimezone()
    clock, kernel = clock_check(audit.path, now), seccomp.status()
    devices = [
        DeviceAnswer(
            name=name,
            origin=origin,
            last_fault=tally.faults.get(name, (None, None))[0],
            last_fault_at=tally.faults.get(name, (None, None))[1],
        )
        for name, origin in appliance.hardware.origin.items()
    ]
    if appliance.announcer is not None:  # [voice] on: the loudspeaker is a device too
        fault = appliance.announcer.fault
        devices.append(
            DeviceAnswer(
                name="speaker",
                origin=appliance.announcer.speaker.where,
                last_fault=None if fault is None else fault.code,
                last_fault_at=None if fault is None else fault.at,
            )
        )
    beat = appliance.notifier.last_beat
    number, head = audit.head()
    return StatusAnswer(
        pid=os.getpid(),
        state=snapshot.state.value,
        transaction=snapshot.transaction,
        uptime_s=round(time.monotonic() - appliance.started, 1),
        version=__version__,
        models=appliance.models,
        terminal_id=settings.terminal_id,
        threshold=settings.threshold,
        mode=snapshot.mode,
        language=settings.language,
        result_seconds=settings.result_seconds,
        hardware=appliance.config_file.config.hardware.kind,
        transactions_today=sum(tally.outcomes.values()),
        outcomes_today=dict(tally.outcomes),
        devices=devices,
        audit_path=str(audit.path),
        audit_last_number=number,
        audit_head=head,
        audit_free_bytes=free_bytes(audit.path),
        audit_last_change=snapshot.audit_change,
        clock=now.isoformat(timespec="seconds"),
        clock_ok=bool(clock.ok),
        clock_note=clock.detail,
        watchdog_s=appliance.notifier.watchdog_seconds,
        heartbeat_age_s=None if beat is None else round(time.monotonic() - beat, 2),
        seccomp_filter=bool(kernel.socket_filter),
        seccomp_mode=kernel.mode,
        no_new_privs=kernel.no_new_privs,
    )


def handle(appliance: Appliance, _arguments: NoArguments, _peer: Peer) -> Call:
    return Call(lambda: _status(appliance), between_steps=True)


def render(data: StatusAnswer, language: Language) -> tuple[ExitCode, list[str]]:
    w = lambda key: WORDS[key](language)  # noqa: E731
    devices = ", ".join(
        f"{device.name}={device.origin}"
        + (f" [{device.last_fault} {device.last_fault_at}]" if device.last_fault else "")
        for device in data.devices
    )
    outcomes = ", ".join(f"{code} {count}" for code, count in sorted(data.outcomes_today.items()))
    watchdog = "-" if data.watchdog_s is None else f"{data.watchdog_s:g} s"
    beat = "-" if data.heartbeat_age_s is None else f"{data.heartbeat_age_s:g} s"
    ok = lambda flag: say("ok" if flag else "failed", language)  # noqa: E731
    state = STATES[data.state](language) if data.state in STATES else data.state
    lines = [
        f"{w('state')}: {state} (pid {data.pid})",
        f"{w('uptime')}: {data.uptime_s:.0f}",
        f"{w('version')}: madoguchi {data.version}",
        f"{w('models')}: "
        + ", ".join(f"{name} {digest[:12]}" for name, digest in sorted(data.models.items())),
        f"{w('terminal')}: {data.terminal_id}  {w('threshold')}: {data.threshold}  {w('mode')}: {data.mode}",
        f"{w('today')}: {data.transactions_today} ({w('outcomes')}: {outcomes or say('none', language)})",
        f"{w('devices')}: {devices}",
        f"{w('audit')}: {data.audit_path} #{data.audit_last_number} head {data.audit_head[:16]}; "
        f"{w('free')} {data.audit_free_bytes / 2**30:.1f} GiB"
        + (f"; {w('changed')}: {data.audit_last_change}" if data.audit_last_change else ""),
        f"{w('clock')}: {data.clock} {ok(data.clock_ok)} ({data.clock_note})",
        f"{w('watchdog')}: {watchdog}, last beat {beat} ago",
        f"{w('seccomp')}: {ok(data.seccomp_filter)}",
    ]
    return (ExitCode.OK if data.clock_ok else ExitCode.FAILED), lines


STATUS = Command(
    name="status",
    help="how the running counter is: state, devices, audit record, clock, watchdog",
    request="status",
    answer=StatusAnswer,
    handle=handle,
    render=render,
)
