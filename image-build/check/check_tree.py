"""Check an assembled madoguchi root file system (or a --stage-only tree) from outside it.

    python3 image-build/check/check_tree.py ROOT

Prints each problem and exits 1 if there is any: swap enabled anywhere, a writable root in fstab, the
data partition not mounted where the unit writes or not made before its mount, a first-boot root
resize that would take its space, host keys shipped in the image, a service that should be off not
masked, a journal that would write to the card.
"""

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

MASKED = (
    "swap.target",
    "dphys-swapfile.service",
    "avahi-daemon.service",
    "avahi-daemon.socket",
    "bluetooth.service",
    "hciuart.service",
)
ENABLED = ("madoguchi.service", "madoguchi-clock-check.service", "madoguchi-ssh-host-keys.service")
DATA_LABEL = "madoguchi-data"
DATA_SERVICE = "madoguchi-data-partition.service"
# Raspberry Pi OS's first-boot root resize (bookworm: init=…firstboot; trixie: `resize`).
RESIZE = ("init=/usr/lib/raspberrypi-sys-mods/firstboot", "resize")
WANTED_WHERE_INSTALLED = ("nftables.service", "ssh.service")
UNIT_DIRS = ("usr/lib/systemd/system", "lib/systemd/system")


def fstab_entries(root: Path) -> list[list[str]]:
    lines = (root / "etc/fstab").read_text().splitlines()
    return [line.split() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def unit_values(path: Path, key: str) -> list[str]:
    values = []
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() == key:
            values += value.split()
    return values


def mount_unit(path: str) -> str:
    """systemd's unit name for a mount point (systemd-escape --path --suffix=mount)."""

    def escape(c: str) -> str:
        return c if (c.isascii() and c.isalnum()) or c in ":_." else f"\\x{ord(c):02x}"

    return "-".join("".join(map(escape, part)) for part in path.strip("/").split("/")) + ".mount"


def data_partition_problems(root: Path, entries: list[list[str]]) -> list[str]:
    """The data partition is the labelled ext4 one, made before its mount where the image lacks it."""
    found = []
    data = [e for e in entries if len(e) > 2 and e[0] == f"LABEL={DATA_LABEL}"]
    if not data or data[0][2] != "ext4":
        return [f"fstab mounts no ext4 LABEL={DATA_LABEL}"]
    mount = mount_unit(data[0][1])
    systemd = root / "etc/systemd/system"
    if not (systemd / f"{mount}.wants" / DATA_SERVICE).is_symlink():
        found.append(f"{DATA_SERVICE} is not enabled for {mount}")
    units = [root / lib / DATA_SERVICE for lib in UNIT_DIRS if (root / lib / DATA_SERVICE).is_file()]
    if not units:
        return [*found, f"{DATA_SERVICE} is not installed"]
    if mount not in unit_values(units[0], "Before"):
        found.append(f"{DATA_SERVICE} does not run before {mount}")
    if unit_values(units[0], "DefaultDependencies") != ["no"]:
        found.append(f"{DATA_SERVICE} waits for the mounts it comes before (DefaultDependencies)")
    cmdline = root / "boot/firmware/cmdline.txt"
    if cmdline.is_file():
        words = cmdline.read_text().split()
        found += [f"cmdline.txt grows the root at first boot: {w}" for w in RESIZE if w in words]
    return found


def problems(root: Path) -> list[str]:
    found = []
    entries = fstab_entries(root)
    found += [f"fstab swap line: {' '.join(e)}" for e in entries if len(e) > 2 and e[2] == "swap"]
    systemd = root / "etc/systemd/system"
    # Links into *.wants are read, not followed: they point into the root, not into this host.
    wanted = [link.name for wants in systemd.glob("*.wants") for link in wants.iterdir()]
    found += [f"swap unit enabled: {name}" for name in wanted if name.endswith(".swap")]
    for unit in MASKED:
        path = systemd / unit
        if not (path.is_symlink() and str(path.readlink()) == "/dev/null"):
            found.append(f"{unit} is not masked")
    for unit in ENABLED:
        if unit not in wanted:
            found.append(f"{unit} is not enabled")
    for unit in WANTED_WHERE_INSTALLED:
        installed = any(
            (root / lib / unit).exists() for lib in ("usr/lib/systemd/system", "lib/systemd/system")
        )
        if installed and unit not in wanted:
            found.append(f"{unit} is installed but not enabled")

    roots = [e for e in entries if len(e) > 3 and e[1] == "/"]
    if not roots or "ro" not in roots[0][3].split(","):
        found.append("the root file system is not read-only in fstab")
    overlay = root / "etc/overlayroot.local.conf"
    if not overlay.is_file() or "tmpfs" not in overlay.read_text():
        found.append("overlayroot is not configured (etc/overlayroot.local.conf)")

    unit = systemd / "madoguchi.service"
    state = [f"/var/lib/{name}" for name in unit_values(unit, "StateDirectory")]
    writable = set(unit_values(unit, "ReadWritePaths")) | set(state)
    data = [e[1] for e in entries if len(e) > 1 and e[1] != "/"]
    config = tomllib.loads((root / "etc/madoguchi/config.toml").read_text())
    audit = Path(config.get("storage", {}).get("audit_path", "/var/lib/madoguchi/audit.jsonl"))
    if not any(audit.is_relative_to(d) for d in data):
        found.append(f"the audit record {audit} is on no data partition (fstab: {data})")
    if not any(audit.is_relative_to(w) for w in writable):
        found.append(f"the unit cannot write the audit record {audit} (writable: {sorted(writable)})")

    found += data_partition_problems(root, entries)

    found += [f"host key shipped: {p.name}" for p in (root / "etc/ssh").glob("ssh_host_*")]
    journald = (root / "etc/systemd/journald.conf.d/madoguchi.conf").read_text()
    if "Storage=volatile" not in journald:
        found.append("journald is not volatile")
    return found


def main() -> int:
    root = Path(sys.argv[1])
    found = problems(root)
    for problem in found:
        print(f"tree: {problem}")
    print(f"tree {root}: {'ok' if not found else f'{len(found)} problems'}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
