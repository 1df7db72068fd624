"""Run vsmartcard's ePass emulation (vicc's own BAC and secure messaging) with our data groups.

Run by Debian's /usr/bin/python3 (vicc's interpreter), not by madoguchi's venv. Debian's vicc builds
its ePass by prompting for an MRZ and a picture path (CardGenerator.__generate_ePass, which calls
Python 2's raw_input); this script builds the same file system — the LDS application DF
A0000002471001 with EF.COM 011E, EF.DG1 0101, EF.DG2 0102, EF.SOD 010D — from files given on stdin
as JSON {"011E": hex, ...}, hands it to vicc's PassportSAM and Iso7816OS, and runs vicc's VirtualICC
loop against vpcd. Nothing here implements BAC or secure messaging.

Debian's vicc 0.8 (bookworm) still has Python 2 code on the ePass path. ``PYTHON3_FIXES`` patches
exactly those lines, in memory, at import (a missing line fails loudly rather than silently
testing something else). Besides: Debian ships pycryptodome as ``Cryptodome`` while vicc imports
``Crypto``; and vicc's ``inttostring`` drops the leading zero bytes of the send sequence counter,
which is 8 bytes in Doc 9303-11 §9.8.2, so 1 session in 256 would fail its MAC for no fault of ours.
"""

import importlib.util
import json
import logging
import os
import sys

import Cryptodome

sys.modules.setdefault("Crypto", Cryptodome)

PYTHON3_FIXES = {
    "virtualsmartcard.CryptoUtils": [
        (
            "result.append(chr(op(ord(string1[i]), ord(string2[i]))))",
            "result.append(op(string1[i], string2[i]))",
        ),
        ('return "".join(result)', "return bytes(result)"),
        ("data = inttostring(ssc) + data", "data = inttostring(ssc, 8) + data"),
    ],
    "virtualsmartcard.TLVutils": [('return b"".join(result)', "return result")],
    "virtualsmartcard.SEutils": [
        ('return_data = ["", ]', 'return_data = [b"", ]'),
        ('data="".join(return_data))', 'data=b"".join(return_data))'),
        ("padding_indicator = stringtoint(value[0])", "padding_indicator = value[0]"),
        ('return_data = ""\n', 'return_data = b""\n'),
        ('if result != "":', 'if result != b"":'),
        ('encrypted = "\\x01" + encrypted', 'encrypted = b"\\x01" + encrypted'),
    ],
}


def _load_fixed(name: str, fixes: list[tuple[str, str]]) -> None:
    spec = importlib.util.find_spec(name)
    source = spec.loader.get_source(name)
    for old, new in fixes:
        if old not in source:
            raise SystemExit(f"vicc changed: {name} has no {old!r}")
        source = source.replace(old, new)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    exec(compile(source, spec.origin, "exec"), module.__dict__)


for _name, _fixes in PYTHON3_FIXES.items():
    _load_fixed(_name, _fixes)

from virtualsmartcard.cards.ePass import PassportSAM  # noqa: E402
from virtualsmartcard.SmartcardFilesystem import DF, MF, TransparentStructureEF  # noqa: E402
from virtualsmartcard.VirtualSmartcard import Iso7816OS, VirtualICC  # noqa: E402

LDS_AID = bytes.fromhex("A0000002471001")


def main() -> None:
    if sys.argv[1] == "--check":  # the imports and fixes above worked
        return
    port = int(sys.argv[1])
    files = json.load(sys.stdin)
    mf = MF()
    lds = DF(parent=mf, fid=4, dfname=LDS_AID, bertlv_data=[])
    for fid, data in files.items():
        lds.append(
            TransparentStructureEF(parent=lds, fid=int(fid, 16), filedescriptor=0, data=bytes.fromhex(data))
        )
    mf.append(lds)
    level = logging.INFO if os.environ.get("CHIP_DEBUG") else logging.CRITICAL
    icc = VirtualICC(None, "iso7816", "localhost", port, logginglevel=level)
    icc.os = Iso7816OS(mf, PassportSAM(mf))
    icc.run()


if __name__ == "__main__":
    main()
