"""What ``madoguchi privacy-check`` checks: the kernel's own account of the running daemon, for an auditor.

Each promise of the box ("no face data is kept, nothing leaves") is checked against what Linux
reports of the daemon's process, not against our config: its seccomp state, capabilities, locked
memory and core dump limit (/proc/PID/status, /proc/PID/limits), swap (/proc/swaps), the file
systems it can write (/proc/PID/mountinfo), every socket it holds (/proc/PID/fd with the kernel's
socket tables of its network namespace), the unit's sandbox from systemd (``systemctl show``), and
every file it could have written, seen through its own mount view (/proc/PID/root), by content:
image formats by their magic numbers, NumPy arrays, blobs of float vectors, raw pixel buffers,
archives, and any other binary data. Run it as root (the daemon's /proc entries are root's only).
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import socket
import stat
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from madoguchi import seccomp
from madoguchi.language import Text
from madoguchi.ops.checks import Check

PROMISES = {
    "seccomp": Text(
        "カーネルがシステムコールを制限している（seccomp フィルター、権限の再取得なし）",
        "The kernel filters its system calls (seccomp) and it can never gain privileges",
    ),
    "own_filter": Text(
        "デーモン自身のフィルターで、ローカル以外の通信口は作れない",
        "Its own filter refuses every socket but local ones (AF_UNIX, AF_NETLINK)",
    ),
    "capabilities": Text(
        "特権（capability）を持たない（メモリをロックする権限を除く）",
        "It holds no privileges (capabilities), except perhaps the one to lock its memory",
    ),
    "memory_locked": Text(
        "メモリがロックされ、スワップに書き出されない", "Its memory is locked, so never written to swap"
    ),
    "core_dumps": Text(
        "異常終了しても、メモリの中身（コアダンプ）がディスクに残らない",
        "A crash leaves no copy of its memory (core dump) on disk",
    ),
    "swap": Text("スワップに顔データが書き出されることはない", "Nothing of it can be written to swap"),
    "mounts": Text(
        "ディスクに書き込めるのは、監査記録と設定の場所だけ",
        "On disk it can write only its audit record's and settings' places",
    ),
    "sockets": Text(
        "ネットワーク（インターネット）の通信口を一つも持たない",
        "It holds no network (internet) socket, only local ones",
    ),
    "systemd": Text("サービスの隔離設定（systemd）が有効", "The service's sandbox (systemd) is in force"),
    "files": Text(
        "書き込める場所に、顔画像も特徴量（数値ベクトル）も保存されていない",
        "No face image and no feature vector is stored anywhere it can write",
    ),
}

PSEUDO_FS = frozenset(
    {
        "proc",
        "sysfs",
        "devtmpfs",
        "devpts",
        "cgroup",
        "cgroup2",
        "mqueue",
        "debugfs",
        "tracefs",
        "securityfs",
        "pstore",
        "bpf",
        "configfs",
        "fusectl",
        "hugetlbfs",
        "binfmt_misc",
        "autofs",
        "efivarfs",
        "nsfs",
        "rpc_pipefs",
        "selinuxfs",
    }
)
"""Kernel interfaces, not storage: never scanned."""
MEMORY_FS = frozenset({"tmpfs", "ramfs"})
SOCKET_TABLES = {  # /proc/PID/net/<table>: the column holding the inode, and the family
    "unix": (6, "AF_UNIX"),
    "netlink": (9, "AF_NETLINK"),
    "tcp": (9, "AF_INET"),
    "udp": (9, "AF_INET"),
    "raw": (9, "AF_INET"),
    "udplite": (9, "AF_INET"),
    "tcp6": (9, "AF_INET6"),
    "udp6": (9, "AF_INET6"),
    "raw6": (9, "AF_INET6"),
    "udplite6": (9, "AF_INET6"),
    "packet": (8, "AF_PACKET"),
}
LOCAL_FAMILIES = frozenset({"AF_UNIX", "AF_NETLINK"})
UNIT_EXPECTED = {
    "PrivateNetwork": "yes",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "LimitCORE": "0",
    "MemorySwapMax": "0",
    "CapabilityBoundingSet": "",
    "RestrictAddressFamilies": "AF_UNIX AF_NETLINK",
}
CAP_IPC_LOCK = 1 << 14
"""Lets a process lock its memory (so never swapped): the one capability the promises allow, for a
system where LimitMEMLOCK=infinity cannot be given."""
MAX_FILES = 100_000
HEAD = 65536
TEXT_LIMIT = 16 << 20

# Magic numbers of image formats (and of containers that could hide them).
MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "JPEG image"),
    (b"\x89PNG\r\n\x1a\n", 0, "PNG image"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", 0, "JPEG 2000 image"),
    (b"\xff\x4f\xff\x51", 0, "JPEG 2000 codestream"),
    (b"II*\x00", 0, "TIFF image"),
    (b"MM\x00*", 0, "TIFF image"),
    (b"GIF87a", 0, "GIF image"),
    (b"GIF89a", 0, "GIF image"),
    (b"WEBP", 8, "WebP image"),
    (b"ftypheic", 4, "HEIF image"),
    (b"ftypavif", 4, "AVIF image"),
    (b"\x93NUMPY", 0, "NumPy array"),
    (b"\x1f\x8b", 0, "gzip archive (not inspected)"),
    (b"PK\x03\x04", 0, "zip archive (not inspected)"),
    (b"\xfd7zXZ\x00", 0, "xz archive (not inspected)"),
    (b"\x28\xb5\x2f\xfd", 0, "zstd archive (not inspected)"),
    (b"BZh", 0, "bzip2 archive (not inspected)"),
)
PIXEL_SIZES = (
    (640, 480),
    (1280, 720),
    (1280, 960),
    (1920, 1080),
    (2028, 1520),
    (4056, 3040),
    (112, 112),
    (150, 150),
    (192, 192),
    (224, 224),
    (256, 256),
)
BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{2048,}|data:image/")


@dataclass
class Report:
    """Each promise as a check named by its key in PROMISES (ok None: it could not be checked here,
    e.g. without systemd, which does not fail it)."""

    pid: int
    promises: list[Check]
    writable: list[str]
    sockets: list[dict[str, str]]
    files: list[dict[str, object]]

    @property
    def ok(self) -> bool:
        return all(promise.ok is not False for promise in self.promises)


# --- what the kernel says ---


def _status_fields(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def _core_limit(pid: int) -> str:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max core file size"):
            return line.split()[4]
    return "unknown"


def _swaps() -> list[str]:
    return [line.split()[0] for line in Path("/proc/swaps").read_text().splitlines()[1:] if line.strip()]


@dataclass(frozen=True)
class Mount:
    point: str
    fstype: str
    writable: bool


def mounts(pid: int) -> list[Mount]:
    found = []
    for line in Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        parts, rest = left.split(), right.split()
        point = parts[4].replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")
        options = set(parts[5].split(",")) | set(rest[2].split(",") if len(rest) > 2 else ())
        found.append(Mount(point, rest[0], "rw" in parts[5].split(",") and "ro" not in options))
    return found


def sockets(pid: int) -> list[dict[str, str]]:
    """Every socket ``pid`` holds, with its family from the kernel's tables ("unknown" if in none)."""
    inodes: dict[str, str] = {}
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes[target[8:-1]] = fd.name
    families: dict[str, str] = {}
    for table, (column, family) in SOCKET_TABLES.items():
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) > column:
                families.setdefault(parts[column], family)
    return [
        {"fd": fd, "inode": inode, "family": families.get(inode) or _family_of(pid, int(fd))}
        for inode, fd in sorted(inodes.items(), key=lambda item: int(item[1]))
    ]


PIDFD_GETFD = 438  # the same number on every architecture


def _family_of(pid: int, fd: int) -> str:
    """The family of a socket the kernel's tables do not list (e.g. never bound): asked of a copy
    of the daemon's descriptor (pidfd_getfd(2), Linux 5.6+, as root)."""
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return "unknown"
    try:
        copy = libc.syscall(PIDFD_GETFD, pidfd, fd, 0)
        if copy < 0:
            return "unknown"
        sock = socket.socket(fileno=copy)
        try:
            return socket.AddressFamily(sock.family).name
        except ValueError:
            return f"family {sock.family}"
        finally:
            sock.close()  # our copy only; the daemon's descriptor stays open
    finally:
        os.close(pidfd)


def unit_properties() -> dict[str, str] | None:
    """The unit's sandbox as systemd applies it; None when systemd is not running here."""
    systemctl = shutil.which("systemctl")
    if systemctl is None or not Path("/run/systemd/system").is_dir():
        return None
    command = [systemctl, "show", "madoguchi.service", *(f"--property={key}" for key in UNIT_EXPECTED)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return None
    return dict(line.partition("=")[::2] for line in result.stdout.splitlines() if "=" in line)


def systemd_main_pid() -> int | None:
    systemctl = shutil.which("systemctl")
    if systemctl is None or not Path("/run/systemd/system").is_dir():
        return None
    result = subprocess.run(
        [systemctl, "show", "madoguchi.service", "--property=MainPID", "--value"],
        capture_output=True,
        text=True,
        check=False,
    )
    value = result.stdout.strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


# --- what the files hold ---


def _floats(data: bytes, dtype: type) -> bool:
    """Whether ``data`` reads as plausible floating-point vectors (like a face descriptor)."""
    values = np.frombuffer(data, dtype=dtype)
    if values.size == 0 or not np.all(np.isfinite(values)) or not np.any(values):
        return False
    magnitude = np.abs(values[values != 0])
    return bool(np.mean((magnitude > 1e-8) & (magnitude < 1e4)) > 0.95)


def kind_of(path: Path) -> tuple[str, bool]:
    """What a file holds, and whether that may be there (False: an image, vectors, unknown binary)."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return "symbolic link (not followed)", True
    if stat.S_ISSOCK(info.st_mode):
        return "socket", True
    if stat.S_ISFIFO(info.st_mode):
        return "pipe", True
    if not stat.S_ISREG(info.st_mode):
        return "device node", True
    if info.st_size == 0:
        return "empty", True
    with path.open("rb") as handle:
        head = handle.read(HEAD)
    for magic, offset, name in MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return name, False
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return _pickle_kind(path)
    if head[:2] == b"BM" and len(head) >= 6 and int.from_bytes(head[2:6], "little") == info.st_size:
        return "BMP image", False
    if re.match(rb"P[1-7][ \t\r\n]", head[:3]):
        return "PNM image", False
    try:
        head.decode("utf-8")
        text = b"\x00" not in head
    except UnicodeDecodeError as error:
        text = error.start >= len(head) - 3 and b"\x00" not in head  # a character cut at the end
    if text:
        return _text_kind(path, info.st_size)
    if info.st_size % (128 * 4) == 0 and info.st_size <= (1 << 20):
        data = path.read_bytes()
        if _floats(data, np.float32):
            return f"float32 vectors ({info.st_size // 4} values)", False
        if info.st_size % (128 * 8) == 0 and _floats(data, np.float64):
            return f"float64 vectors ({info.st_size // 8} values)", False
    for width, height in PIXEL_SIZES:
        for channels in (1, 3, 4):
            if info.st_size == width * height * channels:
                return f"raw pixels? ({width}x{height}x{channels} bytes)", False
    return f"binary data of unknown kind ({info.st_size} bytes)", False


def _pickle_kind(path: Path) -> tuple[str, bool]:
    """A Python pickle (python-escpos keeps its printer profiles in one, in the private /tmp):
    allowed unless it refers to an array or image type."""
    data = path.read_bytes()
    if any(name in data for name in (b"numpy", b"ndarray", b"PIL", b"array")):
        return "Python pickle holding arrays or images", False
    return "Python pickle (no arrays or images)", True


def _text_kind(path: Path, size: int) -> tuple[str, bool]:
    with path.open("rb") as handle:
        read = 0
        while read < min(size, TEXT_LIMIT):
            chunk = handle.read(1 << 20)
            if not chunk:
                break
            read += len(chunk)
            if BASE64_RUN.search(chunk):
                return "text holding a long base64 run or an embedded image", False
    return "text", True


def files_under(root: Path, skip: set[Path]) -> Iterator[Path]:
    """Every entry under ``root`` (not under ``skip``: other mounts, listed on their own)."""
    for directory, subdirectories, names in os.walk(root, onerror=None, followlinks=False):
        here = Path(directory)
        subdirectories[:] = [name for name in subdirectories if here / name not in skip]
        for name in names:
            yield here / name


# --- the check ---


DISK_WRITABLE = ("/var/lib/madoguchi", "/etc/madoguchi", "/tmp", "/var/tmp")
"""Where the unit lets it write on disk: the audit record, the settings (config set), its private
temporary directories (PrivateTmp=, removed at stop)."""


def check(pid: int, own_filter: bool | None, *, audit_dir: str | None = None) -> Report:
    """Every promise for the daemon ``pid``; ``own_filter``: what it says of its own seccomp filter
    (None: it could not be asked); ``audit_dir``: where its audit record is, if not the default."""
    promises: list[Check] = []

    def promise(key: str, test: Callable[[], Check]) -> None:
        try:
            promises.append(test())
        except PermissionError as error:
            promises.append(Check(key, False, f"cannot read {error.filename} (run as root)"))
        except OSError as error:
            promises.append(Check(key, False, f"cannot read: {error}"))

    fields = _status_fields(pid)
    kernel = seccomp.status(pid)
    promise(
        "seccomp",
        lambda: Check(
            "seccomp",
            kernel.mode == 2 and kernel.no_new_privs,
            f"Seccomp={kernel.mode} (2 = filter), {kernel.filters} filters, "
            f"NoNewPrivs={int(kernel.no_new_privs)}",
        ),
    )
    said = {
        True: "the daemon reports its socket filter installed",
        False: "the daemon reports its socket filter NOT installed",
        None: "the daemon could not be asked over its control socket",
    }
    promises.append(Check("own_filter", own_filter is True, said[own_filter]))
    capabilities = int(fields.get("CapEff", "0"), 16) & ~CAP_IPC_LOCK
    promise(
        "capabilities", lambda: Check("capabilities", capabilities == 0, f"CapEff={fields.get('CapEff')}")
    )
    locked = fields.get("VmLck", "0 kB")
    promise(
        "memory_locked",
        lambda: Check(
            "memory_locked", int(locked.split()[0]) > 0, f"VmLck={locked}, VmRSS={fields.get('VmRSS')}"
        ),
    )
    promise(
        "core_dumps",
        lambda: Check("core_dumps", _core_limit(pid) == "0", f"core file size limit {_core_limit(pid)}"),
    )
    units = unit_properties()
    swaps = _swaps()
    promise(
        "swap",
        lambda: Check(
            "swap",
            not swaps
            or (units is not None and units.get("MemorySwapMax") == "0")
            or int(locked.split()[0]) > 0,
            "no swap device"
            if not swaps
            else f"swap on {', '.join(swaps)}; locked pages are never swapped out",
        ),
    )

    mounted = mounts(pid)
    writable = [m for m in mounted if m.writable and m.fstype not in PSEUDO_FS]
    on_disk = [m for m in writable if m.fstype not in MEMORY_FS]
    allowed = (*DISK_WRITABLE, audit_dir) if audit_dir else DISK_WRITABLE
    wrong = [
        m.point for m in on_disk if not any(m.point == a or m.point.startswith(a + "/") for a in allowed)
    ]
    promise(
        "mounts",
        lambda: Check(
            "mounts",
            not wrong,
            "writable on disk: "
            + (", ".join(f"{m.point} ({m.fstype})" for m in on_disk) or "nothing")
            + "; in memory: "
            + (", ".join(m.point for m in writable if m.fstype in MEMORY_FS) or "nothing"),
            [f"can write {point} on disk" for point in wrong],
        ),
    )

    held: list[dict[str, str]] = []

    def socket_promise() -> Check:
        held.extend(sockets(pid))
        bad = [s for s in held if s["family"] not in LOCAL_FAMILIES]
        families = sorted({s["family"] for s in held})
        return Check(
            "sockets",
            not bad,
            f"{len(held)} sockets: {', '.join(families) or 'none'}",
            [f"fd {s['fd']}: {s['family']} socket (inode {s['inode']})" for s in bad],
        )

    promise("sockets", socket_promise)
    if units is None:
        promises.append(
            Check("systemd", None, "systemd is not running here (the daemon was started by hand)")
        )
    else:
        differ = [
            f"{key}={units.get(key)!r} (expected {value!r})"
            for key, value in UNIT_EXPECTED.items()
            if units.get(key) != value
        ]
        promises.append(Check("systemd", not differ, "; ".join(f"{k}={v}" for k, v in units.items()), differ))

    files: list[dict[str, object]] = []

    def file_promise() -> Check:
        root = Path(f"/proc/{pid}/root")
        points = {Path(m.point) for m in mounted}
        bad: list[str] = []
        for mount in writable:
            if mount.point in wrong:
                continue  # not scanned: that promise already fails, and it may be the whole disk
            base = Path(mount.point)
            skip = {
                root / point.relative_to("/") for point in points if point != base and base in point.parents
            }
            for path in files_under(root / base.relative_to("/"), skip):
                if len(files) >= MAX_FILES:
                    return Check("files", False, f"more than {MAX_FILES} files: not all checked", bad)
                shown = "/" + str(path.relative_to(root))
                try:
                    kind, allowed = kind_of(path)
                except OSError as error:
                    kind, allowed = f"unreadable: {error.strerror}", False
                files.append({"path": shown, "kind": kind, "ok": allowed})
                if not allowed:
                    bad.append(f"{shown}: {kind}")
        unscanned = f"; not scanned, writable as a whole: {', '.join(wrong)}" if wrong else ""
        return Check(
            "files", not bad, f"{len(files)} entries checked in {len(writable)} places{unscanned}", bad
        )

    promise("files", file_promise)
    return Report(pid, promises, [m.point for m in writable], held, files)
