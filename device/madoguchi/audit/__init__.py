"""The audit record: one sealed JSON line per transaction, append-only, hash-chained, fsync'd.

Each line holds the SHA-256 of the line before it (``prev``), so an edited, removed or reordered
line breaks the chain, which ``madoguchi audit verify`` reports. A record is written with a single
``write`` on an ``O_APPEND`` descriptor and fsync'd before the transaction counts as done; a power
cut can at worst leave a torn last line, which :meth:`AuditLog.open` keeps aside and cuts off.

A transaction is recorded only when it ends, but its number is on the screen and the slip before
that. So :meth:`AuditLog.begin` first keeps, durably, the record the transaction would leave if it
were cut off (outcome ``"interrupted"``) in ``<record>.open``; :meth:`AuditLog.append` removes it.
If the daemon dies in between, the next :meth:`AuditLog.open` appends that record: every number
a visitor may have seen is in the chain, and none is given out twice.

The tail is protected three ways, after systemd-journald's Forward Secure Sealing and Certificate
Transparency's signed tree heads:

- **Forward-secure seal** (:mod:`.seal`). ``madoguchi audit setup-key`` draws a random 32-byte
  verification key K0, prints it once (text and QR code) for the fleet record, and keeps on the box
  only K1 = HKDF-SHA256(K0) in ``<record>.key`` (mode 0600). Each line carries ``epoch`` e and
  ``seal`` = HMAC-SHA256(K_e, the line's bytes without the seal); after the line is fsync'd the key
  file moves on to K_{e+1} = HKDF-SHA256(K_e), the old key's bytes overwritten in place. Epochs run
  1, 2, 3 … one per line, so whoever takes the box holds only a key for lines not yet written: they
  cannot re-seal an old line, and cannot drop lines from the end without a gap in the epochs or a
  key file ahead of the last line. ``verify --key K0`` derives every K_e and checks every seal.
- **Witnessed head** (:meth:`AuditLog.head`). The last number and the first 12 hex digits of the
  last line's SHA-256 go on every slip and out through ``madoguchi audit head`` to the fleet tools;
  a record rewritten after that no longer leads to the head they hold.
- **Sealed state** (:mod:`.state`). ``<record>.state`` holds the last number, the head and the key
  epoch, sealed with the current key and replaced atomically after every line. A record that is
  missing, shorter than the state, or whose line at the state's number does not hash to its head, is
  reported by ``verify``; at :meth:`AuditLog.open` an ``audit_lost`` record is appended (numbering
  continues after the state's number, or after the key's epoch if the state is gone too).

Every file read here is read bounded (:data:`.record.MAX_LINE`, nesting capped before the JSON
parser) with every field's type checked. A damaged pending, state or key file is renamed aside
(``<name>.damaged-<time>``) and logged, and start-up goes on; a damaged line in the middle of the
record stays where it is and is reported. All writes go through :class:`.files.Files`; if the disk
refuses (full, read-only, I/O error) :class:`~madoguchi.errors.AuditUnavailable` says why, nothing
half-written stays, no number is used, and the log recovers by itself once the disk works.

Only the fields of :class:`AuditRecord` can be written: numbers, codes and times (``RECORD_KEYS``
adds the chain and seal fields). There is no field for an image, a descriptor, a face box or
anything else biometric, and :func:`verify` flags any line that has a key outside that list.
"""

from madoguchi.audit.chain import ChainReport, verify
from madoguchi.audit.files import Files
from madoguchi.audit.log import RESERVE_BYTES, AuditLog
from madoguchi.audit.record import AUDIT_LOST, GENESIS, RECORD_KEYS, AuditRecord
from madoguchi.audit.seal import key_path, parse_verification_key, qr_text, setup_key
from madoguchi.errors import AuditUnavailable

__all__ = [
    "AUDIT_LOST",
    "GENESIS",
    "RECORD_KEYS",
    "RESERVE_BYTES",
    "AuditLog",
    "AuditRecord",
    "AuditUnavailable",
    "ChainReport",
    "Files",
    "key_path",
    "parse_verification_key",
    "qr_text",
    "setup_key",
    "verify",
]
