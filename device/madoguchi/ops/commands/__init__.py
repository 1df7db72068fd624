"""The technicians' commands, one module each (:class:`~.base.Command`), in the order ``--help`` lists them.

    madoguchi status | selftest | camera-check | print-test | scan-test | reprint | day-slip | report
              | config show|validate|set | logs | version | privacy-check
              | audit verify|tail|head|setup-key | press | show lcd   (the last two: simulated hardware)

:data:`COMMANDS` is the registry the command line and the daemon's control socket both read: a
command with a ``request`` is served by the daemon. (``madoguchi run``, the daemon itself, is the
command line's own: :mod:`madoguchi.cli.run`.)
"""

from __future__ import annotations

from madoguchi.ops.commands.audit import AUDIT_HEAD, AUDIT_SETUP_KEY, AUDIT_TAIL, AUDIT_VERIFY
from madoguchi.ops.commands.base import Command
from madoguchi.ops.commands.camera_check import CAMERA_CHECK
from madoguchi.ops.commands.config import CONFIG_SET, CONFIG_SHOW, CONFIG_VALIDATE
from madoguchi.ops.commands.day_slip import DAY_SLIP
from madoguchi.ops.commands.logs import LOGS
from madoguchi.ops.commands.press import PRESS
from madoguchi.ops.commands.print_test import PRINT_TEST
from madoguchi.ops.commands.privacy_check import PRIVACY_CHECK
from madoguchi.ops.commands.report import REPORT
from madoguchi.ops.commands.reprint import REPRINT
from madoguchi.ops.commands.scan_test import SCAN_TEST
from madoguchi.ops.commands.selftest import SELFTEST
from madoguchi.ops.commands.show_lcd import SHOW_LCD
from madoguchi.ops.commands.status import STATUS
from madoguchi.ops.commands.version import VERSION

COMMANDS: tuple[Command, ...] = (
    STATUS,
    SELFTEST,
    CAMERA_CHECK,
    PRINT_TEST,
    SCAN_TEST,
    REPRINT,
    DAY_SLIP,
    REPORT,
    CONFIG_SHOW,
    CONFIG_VALIDATE,
    CONFIG_SET,
    LOGS,
    VERSION,
    PRIVACY_CHECK,
    AUDIT_VERIFY,
    AUDIT_TAIL,
    AUDIT_HEAD,
    AUDIT_SETUP_KEY,
    PRESS,
    SHOW_LCD,
)

SERVED: dict[str, Command] = {command.request: command for command in COMMANDS if command.request}
"""The commands the daemon serves, by their name on the socket."""
