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

**A file changed under the running log.** Every append (before the line and after it is durable),
:meth:`AuditLog.probe` and :meth:`AuditLog.check_file` (for the counter, before a slip) check that
the path still names the file the log holds (device, inode, link count) at the size it wrote. A
record deleted, replaced, truncated or grown by another writer raises
:class:`~madoguchi.errors.AuditFileChanged` saying what was seen, and nothing is written until
:meth:`AuditLog.recover`: what was at the path is kept aside, a file only the log still held is
copied out, and a new file at the path begins with the transaction in flight and an ``audit_lost``
record; numbering goes on after the highest number given.

**What the box alone can and cannot prove.** Everything above is evidence kept on the box, and a
box can be wiped. Alone it proves: that no line was edited, removed or reordered in the middle
(chain), that the tail was not cut or the file swapped while the state or the key survived (state,
key epoch), that no line was resealed (seals, with the verification key, which is not on the box),
and, with the install marker (:mod:`.marker`, outside the data partition), that the record, state
and key were not all wiped together: the log then refuses to start (:class:`~madoguchi.errors.AuditWiped`)
until ``audit setup-key --reinstall`` puts the reinstall on record. It cannot prove that a whole
record is the one it had when someone with root removed record, state, key and marker, or
rewrote them all from a fresh key: such a box looks newly installed. Only what left the box shows
that: the verification key on the setup slip (``verify --key`` fails when nothing in the record is
sealed with it) and the heads the fleet collects (``audit head``), which ``verify --expect-head
NUMBER:HEAD`` requires the record to hold, so an emptied, cut or restarted record fails there. A
change made in place without changing the file's size is seen by ``verify``, not by the running log.

Only the fields of :class:`AuditRecord` can be written: numbers, codes and times (``RECORD_KEYS``
adds the chain and seal fields). There is no field for an image, a descriptor, a face box or
anything else biometric, and :func:`verify` flags any line that has a key outside that list.
Staff's decision on a score and a slip printed again are records of their own (outcome ``decision``
or ``reprint``, ``about`` the transaction's number): a number, a code and a time, never the score again.
"""

from madoguchi.audit.chain import ChainReport, parse_head, verify
from madoguchi.audit.files import Files
from madoguchi.audit.log import RESERVE_BYTES, AuditLog
from madoguchi.audit.marker import DEFAULT_MARKER, default_marker
from madoguchi.audit.record import AUDIT_LOST, DECISION, DECISIONS, GENESIS, RECORD_KEYS, REPRINT, AuditRecord
from madoguchi.audit.seal import key_path, parse_verification_key, qr_text, setup_key
from madoguchi.errors import AuditFileChanged, AuditUnavailable, AuditWiped

__all__ = [
    "AUDIT_LOST",
    "DECISION",
    "DECISIONS",
    "DEFAULT_MARKER",
    "GENESIS",
    "RECORD_KEYS",
    "REPRINT",
    "RESERVE_BYTES",
    "AuditFileChanged",
    "AuditLog",
    "AuditRecord",
    "AuditUnavailable",
    "AuditWiped",
    "ChainReport",
    "Files",
    "default_marker",
    "key_path",
    "parse_head",
    "parse_verification_key",
    "qr_text",
    "setup_key",
    "verify",
]
