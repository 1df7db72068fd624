"""The forward-evolving sealing key: derive, seal, check, and the key file kept on the box.

Epoch ``e + 1``'s key is HKDF-SHA256 of epoch ``e``'s; a record of epoch ``e`` is sealed with
HMAC-SHA256 under epoch ``e``'s key. The box keeps only the current key, and overwrites it when it
moves on, so whoever takes the box holds no key to an epoch already used. The verification key is
epoch 0's: it derives every other, and it never stays on the box (see :func:`setup_key`).
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import qrcode
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from madoguchi.audit.files import Files
from madoguchi.audit.record import MAX_NUMBER, DamagedRecord

KEY_BYTES = 32
_INFO = b"madoguchi audit key chain v1"
PAYLOAD_PREFIX = "MADOGUCHI-AUDIT-KEY-V1:"
_KEY_LINE = re.compile(rb"madoguchi-audit-key 1 ([0-9a-f]{16}) ([0-9]{20}) ([0-9a-f]{64})\n")


def next_key(key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=_INFO).derive(key)


def seal(key: bytes, body: bytes) -> str:
    mac = HMAC(key, hashes.SHA256())
    mac.update(body)
    return mac.finalize().hex()


def sealed_by(key: bytes, body: bytes, tag: str) -> bool:
    try:
        expected = bytes.fromhex(tag)
    except ValueError:
        return False
    mac = HMAC(key, hashes.SHA256())
    mac.update(body)
    try:
        mac.verify(expected)
    except InvalidSignature:
        return False
    return True


def key_id(verification_key: bytes) -> str:
    """A name for a verification key that reveals nothing of it (kept on the box, printed at setup)."""
    return hashlib.sha256(b"madoguchi audit key id\0" + verification_key).hexdigest()[:16]


class EpochKeys:
    """The verifier's keys: every epoch's, derived forward from the verification key."""

    def __init__(self, verification_key: bytes) -> None:
        self.verification_key = verification_key
        self.id = key_id(verification_key)
        self._epoch, self._key = 0, verification_key

    def at(self, epoch: int) -> bytes:
        if epoch < self._epoch:
            self._epoch, self._key = 0, self.verification_key
        while self._epoch < epoch:
            self._epoch, self._key = self._epoch + 1, next_key(self._key)
        return self._key


@dataclass(frozen=True)
class SealingKey:
    """The box's current key: the one the next record is sealed with."""

    key_id: str
    epoch: int
    key: bytes = field(repr=False)

    def encode(self) -> bytes:
        return b"madoguchi-audit-key 1 %s %020d %s\n" % (
            self.key_id.encode(),
            self.epoch,
            self.key.hex().encode(),
        )

    def next(self) -> SealingKey:
        return SealingKey(self.key_id, self.epoch + 1, next_key(self.key))


def key_path(audit_path: Path) -> Path:
    """Where the sealing key lives: beside the record, ``<record>.key``, readable by the daemon only."""
    return audit_path.with_name(audit_path.name + ".key")


def _parse_key(content: bytes) -> SealingKey:
    match = _KEY_LINE.fullmatch(content)
    if match is None:
        raise DamagedRecord("not a sealing key file")
    ident, epoch, key = match.groups()
    if not 0 < int(epoch) <= MAX_NUMBER:
        raise DamagedRecord(f"sealing key at epoch {int(epoch)}")
    return SealingKey(ident.decode(), int(epoch), bytes.fromhex(key.decode()))


def _read_small(files: Files, path: Path, limit: int) -> bytes:
    with files.reader(path) as handle:
        return handle.read(limit)


def peek_sealing_key(files: Files, path: Path) -> SealingKey | None:
    """The key at ``path`` (or its whole ``.tmp``, which is newer), changing nothing; None if none.

    Raises DamagedRecord if the key file is not one.
    """
    for candidate in (path.with_name(path.name + ".tmp"), path):
        try:
            return _parse_key(_read_small(files, candidate, 256))
        except FileNotFoundError:
            continue
        except (DamagedRecord, IsADirectoryError) as error:
            if candidate != path:
                continue  # a move to the next epoch cut short: the old key is intact
            raise DamagedRecord(f"sealing key {path.name} damaged ({error})") from error
    return None


def read_sealing_key(files: Files, path: Path) -> SealingKey | None:
    """As :func:`peek_sealing_key`, finishing a move to the next epoch a crash cut short.

    A damaged key file is kept aside, then DamagedRecord is raised.
    """
    temporary = path.with_name(path.name + ".tmp")
    try:
        key = peek_sealing_key(files, path)
    except DamagedRecord:
        files.keep_aside(path, "not a sealing key")
        files.discard(temporary)
        raise
    if temporary.exists():
        if key is not None and _holds(files, temporary, key):
            files.replace(temporary, path)
            files.fsync_directory(path.parent)
        else:
            files.discard(temporary)
    return key


def _holds(files: Files, path: Path, key: SealingKey) -> bool:
    try:
        return _read_small(files, path, 256) == key.encode()
    except OSError:
        return False


def advance(files: Files, path: Path, current: SealingKey, steps: int = 1) -> SealingKey:
    """Move the key file on ``steps`` epochs, overwriting the current key's bytes on disk.

    The new key is first written whole to ``<key>.tmp``; then written over the old key in place
    (same length, so the old bytes are overwritten rather than left in a freed block, as far as the
    file system does so); then the temporary replaces the file. A crash at any point leaves a whole key.
    """
    new = current
    for _ in range(steps):
        new = new.next()
    files.write_atomic(path, new.encode(), 0o600, erase_old=True)
    return new


def setup_key(files: Files, path: Path) -> str:
    """Make a new key chain for the record whose key file is ``path``; the verification key's payload.

    The box keeps epoch 1's key; epoch 0's (the verification key) is only returned, to be printed for
    the fleet record, and is never written here. Refuses if ``path`` exists (records sealed with its
    chain could no longer be checked against a new key).
    """
    if path.exists():
        raise FileExistsError(f"{path} exists: this record already has a key")
    verification_key = secrets.token_bytes(KEY_BYTES)
    ident = key_id(verification_key)
    first = SealingKey(ident, 1, next_key(verification_key))
    files.mkdir(path.parent)
    files.write_atomic(path, first.encode(), mode=0o600)
    return PAYLOAD_PREFIX + verification_key.hex().upper()


def parse_verification_key(text: str) -> bytes:
    """The verification key from a setup slip's payload, or its 64 hex digits (spaces allowed)."""
    cleaned = re.sub(r"[\s-]", "", text.strip())
    if cleaned.upper().startswith(PAYLOAD_PREFIX.replace("-", "")):
        cleaned = cleaned[len(PAYLOAD_PREFIX.replace("-", "")) :]
    if not re.fullmatch(r"[0-9a-fA-F]{64}", cleaned):
        raise ValueError("a verification key is 64 hex digits (as on the setup slip)")
    return bytes.fromhex(cleaned)


def qr_text(payload: str) -> str:
    """``payload`` as a QR code drawn with text characters, for a terminal or a text slip."""
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(payload)
    code.make(fit=True)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    return out.getvalue()
