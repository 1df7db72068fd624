"""The control socket's messages: length-prefixed JSON frames, strict requests, whitelisted answers.

One connection carries one request and its answer, each a frame: a 4-byte big-endian length, then
that many bytes of UTF-8 JSON (an object), at most MAX_FRAME bytes. A request is
``{"v": 1, "cmd": NAME, "args": {...}}``; its arguments are checked by the command's model, which
rejects unknown keys. An answer is ``{"v": 1, "ok": true, "waited": BOOL, "data": {...}}`` or
``{"v": 1, "ok": false, "error": {"code": CODE, "message": TEXT}}``.

An answer's data can only be one of the :class:`Answer` models below, whose fields are checked
when each class is defined to be plain numbers, words, flags, or lists and maps of them: there is
no field that could carry an image, a crop, landmarks or a descriptor.
"""

from __future__ import annotations

import json
import socket
import struct
import types
import typing
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from madoguchi.errors import MadoguchiError

VERSION = 1
MAX_FRAME = 64 * 1024
_HEADER = struct.Struct(">I")

ERROR_CODES = (
    "bad_request",  # not a frame, not JSON, unknown command, arguments the command does not take
    "too_large",  # a frame over MAX_FRAME
    "version",  # a protocol version this daemon does not speak
    "refused",  # the peer is neither root nor in the technicians' group
    "busy",  # a visitor was being served for longer than the request may wait
    "not_allowed",  # e.g. press on real hardware
    "failed",  # the command ran and failed; the message says why
)


class ProtocolError(MadoguchiError):
    """A message that breaks the protocol; ``code`` is one of ERROR_CODES."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- frames ---


def send_frame(sock: socket.socket, message: dict[str, Any]) -> None:
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
    if len(body) > MAX_FRAME:
        raise ProtocolError("too_large", f"message of {len(body)} bytes (at most {MAX_FRAME})")
    # MSG_NOSIGNAL: a peer gone early is an error here, not SIGPIPE (libsane may have reset its handler).
    sock.sendall(_HEADER.pack(len(body)) + body, socket.MSG_NOSIGNAL)


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 65536))
        if not chunk:
            raise ProtocolError(
                "bad_request", f"connection closed {size - left} bytes into a {size}-byte read"
            )
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(sock: socket.socket) -> dict[str, Any]:
    """One frame's JSON object; ProtocolError for anything else (the body of an oversized frame
    is not read)."""
    (size,) = _HEADER.unpack(_read_exactly(sock, _HEADER.size))
    if size > MAX_FRAME:
        raise ProtocolError("too_large", f"frame of {size} bytes (at most {MAX_FRAME})")
    try:
        message = json.loads(_read_exactly(sock, size).decode())
    except (UnicodeDecodeError, ValueError) as error:
        raise ProtocolError("bad_request", f"not JSON: {error}") from None
    if not isinstance(message, dict):
        raise ProtocolError("bad_request", "a message must be a JSON object")
    return message


# --- requests ---


class Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class NoArguments(Arguments):
    pass


class SelftestArguments(Arguments):
    scan: bool = False
    print_slip: bool = False


class CameraCheckArguments(Arguments):
    seconds: int = Field(default=10, ge=1, le=120)


SETTABLE = ("threshold", "terminal_id", "mode", "language", "result_seconds")
"""The ``[counter]`` keys ``config set`` may change; each applies without a restart."""


class ConfigSetArguments(Arguments):
    key: Literal["threshold", "terminal_id", "mode", "language", "result_seconds"]
    value: str = Field(max_length=64)


class PressArguments(Arguments):
    """Simulated hardware only: a button, and what the scanner and camera will see (image files).

    ``page`` is laid on the glass and stays there, as a page does until staff lift it; "" takes it
    away (an empty glass); None leaves the glass as it is."""

    button: Literal["start", "mode", "cancel"]
    page: str | None = Field(default=None, max_length=4096)
    frames: list[str] = Field(default_factory=list, max_length=30)
    wait: bool = False


COMMANDS: dict[str, type[Arguments]] = {
    "version": NoArguments,
    "status": NoArguments,
    "selftest": SelftestArguments,
    "camera_check": CameraCheckArguments,
    "print_test": NoArguments,
    "scan_test": NoArguments,
    "config_show": NoArguments,
    "config_set": ConfigSetArguments,
    "press": PressArguments,
}


def request(command: str, **arguments: Any) -> dict[str, Any]:
    return {"v": VERSION, "cmd": command, "args": arguments}


def parse_request(message: dict[str, Any]) -> tuple[str, Arguments]:
    """The command and its checked arguments; ProtocolError saying what is wrong otherwise."""
    extra = set(message) - {"v", "cmd", "args"}
    if extra:
        raise ProtocolError("bad_request", f"unknown keys {sorted(extra)}")
    if message.get("v") != VERSION:
        raise ProtocolError("version", f"protocol version {message.get('v')!r}; this daemon speaks {VERSION}")
    command = message.get("cmd")
    if not isinstance(command, str) or command not in COMMANDS:
        raise ProtocolError("bad_request", f"unknown command {command!r}; known: {', '.join(COMMANDS)}")
    arguments = message.get("args", {})
    if not isinstance(arguments, dict):
        raise ProtocolError("bad_request", "args must be an object")
    try:
        return command, COMMANDS[command].model_validate(arguments)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, item['loc'])) or 'args'}: {item['msg']}" for item in error.errors()
        )
        raise ProtocolError("bad_request", f"{command}: {problems}") from None


# --- answers ---

_SCALARS = (str, int, float, bool, type(None))


def _plain(annotation: Any, *, in_collection: bool = False) -> bool:
    """Whether ``annotation`` is a scalar or an Answer; a list of words or of Answers; or a map
    from words to scalars. A list of numbers is refused: it is what a descriptor or landmarks are."""
    if annotation in (str, type(None)) or (annotation in _SCALARS and not in_collection):
        return True
    if isinstance(annotation, type) and issubclass(annotation, Answer):
        return True
    origin, parts = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        return all(_plain(part, in_collection=in_collection) for part in parts)
    if origin is list and not in_collection:
        return _plain(parts[0], in_collection=True)
    if origin is dict and not in_collection:
        value = parts[1]
        choices = typing.get_args(value) if typing.get_origin(value) in (Union, types.UnionType) else (value,)
        return parts[0] is str and all(choice in _SCALARS for choice in choices)
    return False


class Answer(BaseModel):
    """What a command answers. A subclass with any field that is not plain data fails to define."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        for name, field in cls.model_fields.items():
            if not _plain(field.annotation):
                raise TypeError(f"{cls.__name__}.{name}: {field.annotation!r} is not plain data")


Scalar = str | int | float | bool | None


class VersionAnswer(Answer):
    version: str
    python: str
    models: dict[str, str]
    """Each model file and its SHA-256, as verified when the daemon loaded it."""


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
    clock: str
    clock_ok: bool
    clock_note: str
    watchdog_s: float | None
    heartbeat_age_s: float | None
    seccomp_filter: bool
    seccomp_mode: int
    no_new_privs: bool


class CheckAnswer(Answer):
    name: str
    ok: bool
    detail: str


class SelftestAnswer(Answer):
    ok: bool
    checks: list[CheckAnswer]


class CameraCheckAnswer(Answer):
    seconds: int
    frames: int
    frames_with_face: int
    frame_size: str
    eye_distance_px: float | None
    sharpness: float | None
    brightness: float | None
    """Of the best frame, as the capture step measures them; the face box is shown on the LCD only."""


class PrintTestAnswer(Answer):
    printed: bool
    width_px: int


class ScanTestAnswer(Answer):
    width_px: int
    height_px: int
    dpi: int
    card_found: bool
    detail: str


class ConfigAnswer(Answer):
    path: str
    values: dict[str, Scalar]


class ConfigSetAnswer(Answer):
    key: str
    old: Scalar
    new: Scalar
    applied: bool
    audit_number: int


class PressAnswer(Answer):
    button: str
    last_transaction: int
    outcome: str | None
    threshold: int | None


def answer(data: Answer, *, waited: bool = False) -> dict[str, Any]:
    if not isinstance(data, Answer):
        raise TypeError(f"only an Answer may be sent, not {type(data).__name__}")
    return {"v": VERSION, "ok": True, "waited": waited, "data": data.model_dump(mode="json")}


def error(code: str, message: str) -> dict[str, Any]:
    return {"v": VERSION, "ok": False, "error": {"code": code, "message": message[:2000]}}
