"""The sealed state kept apart from the record: last number, head hash and key epoch.

It is rewritten atomically after every record, so a record file that goes missing, loses its tail
or is swapped for another no longer matches it. It is sealed under the current epoch's key, so with
the verification key a state that was rolled back to an older epoch is seen too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from madoguchi.audit.files import Files
from madoguchi.audit.record import (
    GENESIS,
    DamagedRecord,
    check_number,
    encode_body,
    parse_object,
    split_seal,
    with_seal,
)
from madoguchi.audit.seal import SealingKey, seal

_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class State:
    number: int
    """The last transaction number recorded (0 before the first)."""
    head: str
    """SHA-256 of the last record's line (GENESIS before the first)."""
    epoch: int | None
    """The epoch of the key the next record is sealed with; None while the record is not sealed."""
    seal: str | None = field(default=None, compare=False)

    def body(self) -> bytes:
        return encode_body({"number": self.number, "head": self.head, "epoch": self.epoch})

    def encode(self, key: SealingKey | None) -> bytes:
        return with_seal(self.body(), None if key is None else seal(key.key, self.body())) + b"\n"


def state_path(audit_path: Path) -> Path:
    return audit_path.with_name(audit_path.name + ".state")


def _is_hash(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def parse_state(content: bytes) -> State:
    line = content.removesuffix(b"\n")
    data = parse_object(line)
    if set(data) != {"number", "head", "epoch", "seal"}:
        raise DamagedRecord("not a state file")
    number = data["number"]
    if not (type(number) is int and number == 0):
        number = check_number(number)
    head, epoch, tag = data["head"], data["epoch"], data["seal"]
    if not _is_hash(head) or (number == 0) != (head == GENESIS):
        raise DamagedRecord(f"head is {head!r}")
    if epoch is not None:
        epoch = check_number(epoch, "epoch")
    if tag is not None and not (isinstance(tag, str) and len(tag) == 64 and set(tag) <= _HEX):
        raise DamagedRecord(f"seal is {tag!r}")
    state = State(number, head, epoch, tag)  # type: ignore[arg-type]
    if split_seal(line, tag) != state.body():
        raise DamagedRecord("not written by madoguchi")
    return state


def read_state(files: Files, path: Path) -> State | None:
    """The state at ``path``; None if there is none; DamagedRecord if it is not a state file."""
    try:
        with files.reader(path) as handle:
            content = handle.read(1024)
    except FileNotFoundError:
        return None
    except IsADirectoryError as error:
        raise DamagedRecord("a directory") from error
    return parse_state(content)


def write_state(files: Files, path: Path, state: State, key: SealingKey | None) -> None:
    files.write_atomic(path, state.encode(key))
