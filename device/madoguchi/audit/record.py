"""One audit record: its fields, its line on disk, and a bounded, strict reader for that line."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass

from madoguchi.counter.outcome import TransactionResult

GENESIS = "0" * 64
MAX_LINE = 16 * 1024
"""No record comes near this; a longer line is damage, and is never handed to the JSON parser."""
MAX_BRACKETS = 32
"""A record nests two deep; this many ``[``/``{`` bound the parser's recursion far below its limit."""
MAX_NUMBER = 10**12

# Outcome of the record that marks a lost log (see AuditLog.open); never a transaction's outcome.
AUDIT_LOST = "audit_lost"
CONFIG_CHANGED = "config_changed"
"""Outcome of the record that keeps a ``config set`` (who, old -> new)."""
DECISION = "decision"
"""Outcome of the record that keeps staff's decision (``decision``) on a scored transaction (``about``)."""
REPRINT = "reprint"
"""Outcome of the record that keeps a transaction's slip printed again (``about``)."""
DECISIONS = ("issued", "second_check", "refused")
"""What staff may decide after a score: 交付, 再確認, 交付せず."""


class DamagedRecord(ValueError):
    """A line or state file that is not what this module writes."""


@dataclass(frozen=True)
class AuditRecord:
    """Everything kept about one transaction, and all that may be."""

    number: int
    time: str
    terminal_id: str
    mode: str
    threshold: int
    outcome: str
    score: float | None
    at_or_above: bool | None
    messages: tuple[str, ...]
    slip_printed: bool | None
    """None when nobody knows: the transaction was cut off."""
    source: str | None = None
    """The reference source ("card", "form", "chip"); None in records written before it was kept."""
    chip_verified: bool | None = None
    """The chip photo's signature check (None: not a chip, or not checkable). Nothing from the chip."""
    pad: str | None = None
    """The presentation-attack checks' result (pass, suspect, undetermined); None: not run."""
    pad_signals: tuple[str, ...] | None = None
    """Each check's outcome as ``signal=outcome[:detail]`` codes; None: not run."""
    about: int | None = None
    """The transaction a decision or reprint record is about; None in every other record."""
    decision: str | None = None
    """Staff's decision (one of :data:`DECISIONS`) in a decision record; None in every other."""

    @classmethod
    def of(
        cls,
        result: TransactionResult,
        *,
        terminal_id: str,
        messages: tuple[str, ...],
        slip_printed: bool | None,
    ) -> AuditRecord:
        fields = cls(
            number=result.number,
            time=result.time.isoformat(timespec="seconds"),
            terminal_id=terminal_id,
            mode=result.mode,
            threshold=result.threshold,
            outcome=result.code,
            score=None if result.score is None else round(result.score, 2),
            at_or_above=result.at_or_above,
            messages=messages,
            slip_printed=slip_printed,
            source=result.mode,
        )
        return dataclasses.replace(fields, **result.detail.record, **result.presentation)


SEAL_KEYS = frozenset({"prev", "epoch", "seal"})
RECORD_KEYS = frozenset(f.name for f in dataclasses.fields(AuditRecord)) | SEAL_KEYS


def digest(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def encode_body(data: dict[str, object]) -> bytes:
    """Everything but the seal, as one compact JSON object with sorted keys."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def with_seal(body: bytes, seal: str | None) -> bytes:
    """``body`` with ``"seal"`` added as its last key, so the sealed bytes are ``split_seal``'s body."""
    return body[:-1] + b',"seal":' + json.dumps(seal).encode() + b"}"


def split_seal(line: bytes, seal: object) -> bytes:
    """The body that ``seal`` was computed over, or DamagedRecord if the line was not written so."""
    suffix = b',"seal":' + json.dumps(seal).encode() + b"}"
    if not line.endswith(suffix):
        raise DamagedRecord("the seal is not the last field")
    return line[: -len(suffix)] + b"}"


def encode_line(record: AuditRecord, prev: str, epoch: int | None) -> bytes:
    """The body of ``record``'s line (without newline and seal)."""
    return encode_body(dataclasses.asdict(record) | {"prev": prev, "epoch": epoch})


def _reject_constant(name: str) -> float:
    raise DamagedRecord(f"{name} is not a number here")


def parse_object(line: bytes) -> dict[str, object]:
    """Parse one line of at most :data:`MAX_LINE` bytes into a JSON object, or raise DamagedRecord."""
    if len(line) > MAX_LINE:
        raise DamagedRecord(f"line of {len(line)} bytes (at most {MAX_LINE})")
    if line.count(b"[") + line.count(b"{") > MAX_BRACKETS:
        raise DamagedRecord("nested too deeply")
    try:
        data = json.loads(line, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise DamagedRecord("not JSON") from error
    if not isinstance(data, dict):
        raise DamagedRecord("not a JSON object")
    return data


def _check(data: dict[str, object], key: str, *types: type, optional: bool = False) -> object:
    value = data.get(key)
    if value is None and optional and key in data:
        return None
    # bool is an int to Python; it is never a number here.
    if isinstance(value, bool) and bool not in types:
        raise DamagedRecord(f"{key} is {value!r}")
    if not isinstance(value, types):
        raise DamagedRecord(f"{key} is {value!r}" if key in data else f"{key} missing")
    return value


def check_number(value: object, name: str = "number") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_NUMBER:
        raise DamagedRecord(f"{name} is {value!r}")
    return value


def record_from(data: dict[str, object]) -> AuditRecord:
    """The record a parsed line holds, with every field's type checked; DamagedRecord otherwise."""
    extra = set(data) - RECORD_KEYS
    if extra:
        raise DamagedRecord(f"keys not allowed in the audit record: {sorted(extra)}")
    messages = _check(data, "messages", list)
    if not all(isinstance(message, str) for message in messages):  # type: ignore[union-attr]
        raise DamagedRecord("messages are not all text")
    score = _check(data, "score", int, float, optional=True)
    if score is not None and not math.isfinite(score):  # type: ignore[arg-type]
        raise DamagedRecord(f"score is {score!r}")
    return AuditRecord(
        number=check_number(data.get("number")),
        time=_check(data, "time", str),  # type: ignore[arg-type]
        terminal_id=_check(data, "terminal_id", str),  # type: ignore[arg-type]
        mode=_check(data, "mode", str),  # type: ignore[arg-type]
        threshold=_check(data, "threshold", int),  # type: ignore[arg-type]
        outcome=_check(data, "outcome", str),  # type: ignore[arg-type]
        score=None if score is None else float(score),  # type: ignore[arg-type]
        at_or_above=_check(data, "at_or_above", bool, optional=True),  # type: ignore[arg-type]
        messages=tuple(messages),  # type: ignore[arg-type]
        slip_printed=_check(data, "slip_printed", bool, optional=True),  # type: ignore[arg-type]
        # Absent from records written before they were kept: those lines still parse and verify.
        source=_check(data, "source", str, optional=True) if "source" in data else None,  # type: ignore[arg-type]
        chip_verified=(
            _check(data, "chip_verified", bool, optional=True) if "chip_verified" in data else None  # type: ignore[arg-type]
        ),
        pad=_check(data, "pad", str, optional=True) if "pad" in data else None,  # type: ignore[arg-type]
        pad_signals=_texts(data, "pad_signals") if "pad_signals" in data else None,
        about=None if data.get("about") is None else check_number(data["about"], "about"),
        decision=_decision(data),
    )


def _texts(data: dict[str, object], key: str) -> tuple[str, ...] | None:
    """An optional list of codes, checked to be text."""
    values = _check(data, key, list, optional=True)
    if values is None:
        return None
    if not all(isinstance(value, str) for value in values):  # type: ignore[union-attr]
        raise DamagedRecord(f"{key} are not all text")
    return tuple(values)  # type: ignore[arg-type]


def _decision(data: dict[str, object]) -> str | None:
    decision = data.get("decision")
    if decision is not None and decision not in DECISIONS:
        raise DamagedRecord(f"decision is {decision!r}")
    return decision  # type: ignore[return-value]
