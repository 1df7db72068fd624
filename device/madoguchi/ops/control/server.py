"""The daemon's side of the control socket: an accepting thread, and one thread per connection.

The socket comes from systemd (``madoguchi.socket``: SocketGroup=madoguchi-tech, SocketMode=0660,
passed as fd 3 with LISTEN_FDS) or, for a daemon started by hand, is bound here. Each connection
carries one request, which must arrive whole within READ_TIMEOUT_S: a slow or silent peer is
answered and closed, and never holds up another, since each connection has its own thread and at
most MAX_CONNECTIONS are open at once (the next one is answered "busy" at once). The peer must be
root or in group ``madoguchi-tech``, as the kernel says (SO_PEERCRED, and SO_PEERGROUPS for its
supplementary groups: /proc/<peer> is hidden from the daemon by ProtectProc=invisible). The request
is checked (:mod:`~madoguchi.ops.control.protocol`) and handed to its command
(:data:`madoguchi.ops.commands.SERVED`), whose work runs on the counter's thread; the connection
waits, bounded, for the answer. A malformed request, a refusal or a failure is answered with an
error; nothing a peer sends can stop the server.
"""

from __future__ import annotations

import contextlib
import grp
import logging
import os
import pwd
import socket
import stat
import struct
import threading
from pathlib import Path

from madoguchi.counter.calls import Call
from madoguchi.errors import Busy, MadoguchiError, ProtocolError
from madoguchi.ops.appliance import Appliance
from madoguchi.ops.commands import SERVED
from madoguchi.ops.commands.base import Peer
from madoguchi.ops.control import TECH_GROUP, listen_path
from madoguchi.ops.control import protocol as p

log = logging.getLogger(__name__)

WAIT_S = 30.0
"""How long a request waits for a visitor's transaction to end before it is answered "busy"."""
READ_TIMEOUT_S = 5.0
"""A peer that does not send its whole request in this time is answered and dropped."""
MAX_CONNECTIONS = 16
"""Connections served at once; one more is answered "busy" and closed."""
SO_PEERGROUPS = getattr(socket, "SO_PEERGROUPS", 59)  # Linux 4.13+
SD_LISTEN_FDS_START = 3
_UCRED = struct.Struct("3i")
ARGUMENTS = {name: command.arguments for name, command in SERVED.items()}


def systemd_socket() -> socket.socket | None:
    """The listening socket systemd passed (sd_listen_fds(3)), if any; the variables are cleared."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()) or not os.environ.get("LISTEN_FDS", "").isdigit():
        return None
    count = int(os.environ["LISTEN_FDS"])
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(name, None)
    if count < 1:
        return None
    os.set_inheritable(SD_LISTEN_FDS_START, False)
    return socket.socket(fileno=SD_LISTEN_FDS_START)


def bind(path: Path, tech_gid: int | None) -> socket.socket:
    """A listening socket at ``path`` (by hand, not by systemd): mode 0660, group madoguchi-tech
    where that group exists and this process may give it (else only its owner and root connect)."""
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISSOCK(path.lstat().st_mode):
            path.unlink()  # left by a daemon that died
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        listener.bind(str(path))
        os.chmod(path, 0o660)
        if tech_gid is not None:
            try:
                os.chown(path, -1, tech_gid)
            except OSError as error:
                log.warning("control socket %s: cannot give it group %s: %s", path, TECH_GROUP, error)
        listener.listen(MAX_CONNECTIONS)
    except BaseException:
        listener.close()
        raise
    return listener


def tech_group_id() -> int | None:
    try:
        return grp.getgrnam(TECH_GROUP).gr_gid
    except KeyError:
        return None


def peer_of(connection: socket.socket) -> tuple[Peer, set[int]]:
    """Who is at the other end, and all their groups, from the kernel."""
    pid, uid, gid = _UCRED.unpack(connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size))
    groups = {gid}
    size = 256
    while size <= 65536 * 4:
        try:
            raw = connection.getsockopt(socket.SOL_SOCKET, SO_PEERGROUPS, size)
            groups |= set(struct.unpack(f"{len(raw) // 4}I", raw))
            break
        except OSError as error:  # ERANGE: more groups than fit
            if error.errno != 34:
                break
            size *= 4
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = f"uid {uid}"
    return Peer(pid=pid, uid=uid, gid=gid, user=user), groups


class ControlServer:
    """Serves the control socket for ``appliance`` until :meth:`close`.

    :param listener: a listening AF_UNIX stream socket (:func:`systemd_socket` or :func:`bind`).
    :param tech_gid: the technicians' group; None: root only.
    :param wait_seconds: how long a request waits for a visitor's transaction before "busy".
    """

    def __init__(
        self,
        appliance: Appliance,
        listener: socket.socket,
        *,
        tech_gid: int | None,
        wait_seconds: float = WAIT_S,
    ) -> None:
        self.appliance = appliance
        self.listener = listener
        self.tech_gid = tech_gid
        self.wait_seconds = wait_seconds
        self._stopping = threading.Event()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._thread = threading.Thread(target=self._accept, name="control", daemon=True)

    def start(self) -> None:
        self.listener.settimeout(1.0)  # to notice close()
        self._thread.start()

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=3.0)
        self.listener.close()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError as error:
                if self._stopping.is_set():
                    return
                log.error("control socket: accept failed: %s", error)
                continue
            if not self._slots.acquire(blocking=False):
                with connection, contextlib.suppress(OSError):
                    connection.settimeout(1.0)
                    p.send_frame(connection, p.error("busy", f"{MAX_CONNECTIONS} connections already open"))
                continue
            threading.Thread(target=self._serve, args=(connection,), name="control-peer", daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            with connection:
                self._converse(connection)
        except Exception as error:  # one peer's trouble never stops the socket
            log.warning("control socket: %s", error)
        finally:
            self._slots.release()

    def _converse(self, connection: socket.socket) -> None:
        peer, groups = peer_of(connection)
        if peer.uid != 0 and (self.tech_gid is None or self.tech_gid not in groups):
            log.warning(
                "control socket: refused %s (uid %d, pid %d): not in %s",
                peer.user,
                peer.uid,
                peer.pid,
                TECH_GROUP,
            )
            connection.settimeout(READ_TIMEOUT_S)
            p.send_frame(connection, p.error("refused", f"only root and members of {TECH_GROUP} may ask"))
            return
        try:
            command, arguments = p.parse_request(p.read_frame(connection, within=READ_TIMEOUT_S), ARGUMENTS)
        except ProtocolError as error:
            log.info("control socket: %s from %s: %s", error.code, peer.user, error)
            connection.settimeout(READ_TIMEOUT_S)
            p.send_frame(connection, p.error(error.code, str(error)))
            return
        except TimeoutError:
            connection.settimeout(READ_TIMEOUT_S)
            p.send_frame(connection, p.error("bad_request", f"no whole request within {READ_TIMEOUT_S:g} s"))
            return
        log.info("control socket: %s from %s (uid %d)", command, peer.user, peer.uid)
        reply = self._answer(command, arguments, peer)
        connection.settimeout(READ_TIMEOUT_S)
        p.send_frame(connection, reply)

    def _answer(self, command: str, arguments: p.Arguments, peer: Peer) -> dict:
        try:
            handle = SERVED[command].handle
            assert handle is not None
            work = handle(self.appliance, arguments, peer)
            if not isinstance(work, Call):
                return p.answer(work)
            self.appliance.counter.submit(work)
            answer = work.wait(self.wait_seconds)
            assert isinstance(answer, p.Answer)
            return p.answer(answer, waited=work.waited)
        except Busy as error:
            return p.error("busy", str(error))
        except ProtocolError as error:
            return p.error(error.code, str(error))
        except MadoguchiError as error:
            return p.error("failed", str(error))
        except Exception as error:  # a bug or a device fault in a check: said, not raised
            log.exception("control socket: %s failed", command)
            return p.error("failed", f"{type(error).__name__}: {error}")


def start_control(appliance: Appliance, *, simulated: bool = False) -> ControlServer | None:
    """The control socket for the daemon, or None (logged) when it cannot be opened: the counter
    serves visitors either way. ``simulated``: a PC's daemon, its socket in the user's runtime directory."""
    tech_gid = tech_group_id()
    try:
        listener = systemd_socket()
        where = "from systemd"
        if listener is None:
            path = listen_path(simulated=simulated)
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # a user's runtime directory
            listener, where = bind(path, tech_gid), str(path)
    except OSError as error:
        log.warning(  # the counter serves visitors all the same
            "control socket: cannot open it (%s); technicians' commands will not reach the daemon", error
        )
        return None
    server = ControlServer(appliance, listener, tech_gid=tech_gid)
    server.start()
    log.info("control socket: listening (%s), for root and group %s", where, TECH_GROUP)
    return server
