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
import time
import types
import typing
from collections.abc import Mapping
from typing import Any, Union

from pydantic import BaseModel, ConfigDict, ValidationError

from madoguchi.errors import ProtocolError

VERSION = 1
MAX_FRAME = 64 * 1024
MAX_NESTING = 16
"""No message needs more; json (which recurses) never sees a deeper one."""
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


# --- frames ---


def send_frame(sock: socket.socket, message: dict[str, Any]) -> None:
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
    if len(body) > MAX_FRAME:
        raise ProtocolError("too_large", f"message of {len(body)} bytes (at most {MAX_FRAME})")
    # MSG_NOSIGNAL: a peer gone early is an error here, not SIGPIPE (libsane may have reset its handler).
    sock.sendall(_HEADER.pack(len(body)) + body, socket.MSG_NOSIGNAL)


def _read_exactly(sock: socket.socket, size: int, deadline: float | None) -> bytes:
    """``size`` bytes, all before ``deadline`` (monotonic; None: the socket's own timeout per read)."""
    chunks, left = [], size
    while left:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no whole frame in time ({size - left} of {size} bytes)")
            sock.settimeout(remaining)
        chunk = sock.recv(min(left, 65536))
        if not chunk:
            raise ProtocolError(
                "bad_request", f"connection closed {size - left} bytes into a {size}-byte read"
            )
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(sock: socket.socket, *, within: float | None = None) -> dict[str, Any]:
    """One frame's JSON object, whole within ``within`` seconds if given (TimeoutError otherwise);
    ProtocolError for anything else (the body of an oversized frame is not read, a body nested
    deeper than MAX_NESTING is not parsed)."""
    deadline = None if within is None else time.monotonic() + within
    (size,) = _HEADER.unpack(_read_exactly(sock, _HEADER.size, deadline))
    if size > MAX_FRAME:
        raise ProtocolError("too_large", f"frame of {size} bytes (at most {MAX_FRAME})")
    body = _read_exactly(sock, size, deadline)
    if _nesting(body) > MAX_NESTING:
        raise ProtocolError("bad_request", f"JSON nested deeper than {MAX_NESTING}")
    try:
        message = json.loads(body.decode())
    except (UnicodeDecodeError, ValueError) as error:
        raise ProtocolError("bad_request", f"not JSON: {error}") from None
    if not isinstance(message, dict):
        raise ProtocolError("bad_request", "a message must be a JSON object")
    return message


def _nesting(body: bytes) -> int:
    """How deep arrays and objects nest in a JSON text, brackets inside strings not counted."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


# --- requests ---


class Arguments(BaseModel):
    """What a command takes over the socket; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class NoArguments(Arguments):
    pass


def request(command: str, **arguments: Any) -> dict[str, Any]:
    return {"v": VERSION, "cmd": command, "args": arguments}


def parse_request(message: dict[str, Any], commands: Mapping[str, type[Arguments]]) -> tuple[str, Arguments]:
    """The command and its checked arguments (``commands``: each command's arguments model);
    ProtocolError saying what is wrong otherwise."""
    extra = set(message) - {"v", "cmd", "args"}
    if extra:
        raise ProtocolError("bad_request", f"unknown keys {sorted(extra)}")
    if message.get("v") != VERSION:
        raise ProtocolError("version", f"protocol version {message.get('v')!r}; this daemon speaks {VERSION}")
    command = message.get("cmd")
    if not isinstance(command, str) or command not in commands:
        raise ProtocolError("bad_request", f"unknown command {command!r}; known: {', '.join(commands)}")
    arguments = message.get("args", {})
    if not isinstance(arguments, dict):
        raise ProtocolError("bad_request", "args must be an object")
    try:
        return command, commands[command].model_validate(arguments)
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


class CheckAnswer(Answer):
    """One check's result (:class:`madoguchi.ops.checks.Check`), as commands answer it."""

    name: str
    ok: bool | None
    detail: str


def answer(data: Answer, *, waited: bool = False) -> dict[str, Any]:
    if not isinstance(data, Answer):
        raise TypeError(f"only an Answer may be sent, not {type(data).__name__}")
    return {"v": VERSION, "ok": True, "waited": waited, "data": data.model_dump(mode="json")}


def error(code: str, message: str) -> dict[str, Any]:
    return {"v": VERSION, "ok": False, "error": {"code": code, "message": message[:2000]}}
