"""Fuzzing the audit reader: no input crashes ``verify`` or start-up, and no good record is lost.

CI runs a few dozen examples per property; set MADOGUCHI_FUZZ_EXAMPLES (e.g. 5000) for a long run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_audit import cut_off, record

from madoguchi.audit import AuditLog, ChainReport, Files, key_path, setup_key, verify
from madoguchi.audit.seal import parse_verification_key
from madoguchi.audit.state import state_path

EXAMPLES = int(os.environ.get("MADOGUCHI_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize="MADOGUCHI_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _valid_files() -> tuple[bytes, bytes, bytes, bytes, bytes]:
    """A sealed record of four transactions with one pending: (log, pending, state, key file, key)."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "audit.jsonl"
        key = parse_verification_key(setup_key(Files(), key_path(path)))
        audit = AuditLog.open(path)
        for number in range(1, 5):
            audit.begin(cut_off(number))
            audit.append(record(number))
        audit.begin(cut_off(5))
        audit.close()
        return (
            path.read_bytes(),
            audit.pending_path.read_bytes(),
            state_path(path).read_bytes(),
            key_path(path).read_bytes(),
            key,
        )


LOG, PENDING, STATE, KEY_FILE, KEY = _valid_files()

mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(1, 255)),
    st.tuples(st.just("delete"), st.integers(0, 10**6), st.integers(1, 200)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.binary(max_size=64)),
    st.tuples(st.just("nest"), st.integers(0, 10**6), st.integers(1, 200_000)),
    st.tuples(st.just("truncate"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("duplicate"), st.integers(0, 10**6), st.integers(1, 400)),
)


def mutate(data: bytes, mutations: list[tuple]) -> tuple[bytes, int]:
    """``data`` mutated, and the offset of the first byte changed (len(data) if none)."""
    first = len(data)
    for kind, where, arg in mutations:
        where = where % (len(data) + 1)
        if kind == "flip" and where < len(data):
            data = data[:where] + bytes([data[where] ^ arg]) + data[where + 1 :]
        elif kind == "delete":
            data = data[:where] + data[where + arg :]
        elif kind == "insert":
            data = data[:where] + arg + data[where:]
        elif kind == "nest":
            data = data[:where] + b"[" * arg + data[where:]
        elif kind == "truncate":
            data = data[:where]
        elif kind == "duplicate":
            data = data[:where] + data[where : where + arg] + data[where:]
        first = min(first, where)
    return data, first


def start_and_serve(directory: Path) -> Path:
    """Start as the daemon does on whatever is in ``directory``, and serve one transaction."""
    path = directory / "audit.jsonl"
    for report in (verify(path), verify(path, KEY)):
        assert isinstance(report, ChainReport)
    audit = AuditLog.open(path)
    try:
        number = audit.next_number()
        audit.begin(cut_off(number))
        audit.append(record(number))
    finally:
        audit.close()
    after = verify(path)
    assert after.last_number == number
    return path


def complete_lines_before(data: bytes, offset: int) -> bytes:
    return data[: data.rfind(b"\n", 0, offset) + 1]


def lay_out(directory: Path, log: bytes | None, pending: bytes, state: bytes) -> None:
    if log is not None:
        (directory / "audit.jsonl").write_bytes(log)
    (directory / "audit.jsonl.open").write_bytes(pending)
    (directory / "audit.jsonl.state").write_bytes(state)
    (directory / "audit.jsonl.key").write_bytes(KEY_FILE)


@FUZZ
@given(log=st.binary(max_size=4096))
def test_random_bytes_as_the_record(log):
    with tempfile.TemporaryDirectory() as directory:
        lay_out(Path(directory), log, PENDING, STATE)
        start_and_serve(Path(directory))


@FUZZ
@given(mutations=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_record_keeps_its_good_prefix(mutations):
    damaged, first = mutate(LOG, mutations)
    good = complete_lines_before(damaged, first)
    with tempfile.TemporaryDirectory() as directory:
        lay_out(Path(directory), damaged, PENDING, STATE)
        path = start_and_serve(Path(directory))
        assert path.read_bytes().startswith(good)


@FUZZ
@given(
    pending=st.one_of(
        st.binary(max_size=512),
        st.lists(mutation, min_size=1, max_size=3).map(lambda m: mutate(PENDING, m)[0]),
    ),
    state=st.one_of(
        st.just(STATE),
        st.binary(max_size=256),
        st.lists(mutation, min_size=1, max_size=3).map(lambda m: mutate(STATE, m)[0]),
    ),
)
def test_mutated_pending_record_and_state(pending, state):
    with tempfile.TemporaryDirectory() as directory:
        lay_out(Path(directory), LOG, pending, state)
        path = start_and_serve(Path(directory))
        assert path.read_bytes().startswith(LOG)


@pytest.mark.parametrize("depth", [1_000, 100_000, 1_000_000])
def test_deep_nesting_everywhere(tmp_path, depth):
    deep = b"[" * depth
    lay_out(tmp_path, LOG + deep + b"\n" + LOG[: LOG.index(b"\n") + 1], deep, deep)
    start_and_serve(tmp_path)
