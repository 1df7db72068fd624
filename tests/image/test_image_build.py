"""The OS image's fast checks (CI): shellcheck, Ansible lint and syntax, the layer laid into a scratch
tree and verified, systemd-analyze on the units, the clock check and the release switch.

The slow part (an arm64 root fs under qemu, madoguchi run inside it) is `make image-check`.
Each check skips when its tool is absent; `make setup` installs them (system-deps.sh, .[dev]).
"""

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from madoguchi.config import load

PROJECT = Path(__file__).resolve().parents[2]
IMAGE = PROJECT / "image-build"
LAYER = IMAGE / "layer"
ANSIBLE = IMAGE / "ansible"
SBIN = LAYER / "overlay/usr/local/sbin"
RELEASE = SBIN / "madoguchi-release"
CLOCK_CHECK = SBIN / "madoguchi-clock-check"
DATA_PARTITION = SBIN / "madoguchi-data-partition"
OUR_UNITS = (
    "madoguchi-clock-check.service",
    "madoguchi-ssh-host-keys.service",
    "madoguchi-data-partition.service",
)
# Raspberry Pi OS bookworm's cmdline.txt as pi-gen writes it: firstboot would grow the root.
PI_CMDLINE = (
    "console=tty1 root=PARTUUID=0c0ffee0-02 rootfstype=ext4 rootwait quiet"
    " init=/usr/lib/raspberrypi-sys-mods/firstboot\n"
)
BUILD_ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1764547200"}


def tool(name: str) -> str:
    """The tool's path, next to this Python first (the venv's ansible), else on PATH; skip if none."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (make setup installs it)")
    return found


def run(*command: str | Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)


def load_check_tree():
    spec = importlib.util.spec_from_file_location("check_tree", IMAGE / "check/check_tree.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scripts() -> list[Path]:
    found = []
    for path in sorted(IMAGE.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                first = handle.readline()
            if path.suffix == ".sh" or (first.startswith(b"#!") and b"sh" in first.split(b"/")[-1]):
                found.append(path)
    return found


def test_every_script_passes_shellcheck():
    found = scripts()
    assert RELEASE in found and IMAGE / "layer/apply.sh" in found
    result = run(tool("shellcheck"), "--external-sources", *found)
    assert result.returncode == 0, result.stdout + result.stderr


def test_playbooks_pass_syntax_check():
    playbook = tool("ansible-playbook")
    for book in ("fleet.yml", "roles/madoguchi/tests/test.yml"):
        result = run(playbook, "-i", "inventory.example.ini", "--syntax-check", book, cwd=ANSIBLE)
        assert result.returncode == 0, result.stdout + result.stderr


def test_ansible_lint_passes():
    result = run(tool("ansible-lint"), "--nocolor", cwd=ANSIBLE, env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def staged(tmp_path_factory) -> Path:
    """The layer laid into a scratch tree (no chroot, no network)."""
    if os.geteuid() != 0:
        pytest.skip("apply.sh --stage-only sets root ownership: run as root (CI does)")
    for name in ("systemd-sysusers", "systemctl"):
        tool(name)
    root = tmp_path_factory.mktemp("root")
    (root / "boot/firmware").mkdir(parents=True)
    (root / "boot/firmware/cmdline.txt").write_text(PI_CMDLINE)
    result = run(LAYER / "apply.sh", "--stage-only", root, env=BUILD_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def test_staged_tree_is_a_madoguchi_box(staged):
    assert load_check_tree().problems(staged) == []
    passwd = (staged / "etc/passwd").read_text()
    group = (staged / "etc/group").read_text()
    assert "madoguchi:" in passwd and "/usr/sbin/nologin" in passwd
    for name in ("gpio", "spi", "scanner", "lp", "video"):
        assert any(line.startswith(f"{name}:") and "madoguchi" in line for line in group.splitlines())
    boot = (staged / "boot/firmware/config.txt").read_text()
    for line in ("dtparam=spi=on", "dtoverlay=disable-wifi", "dtoverlay=disable-bt"):
        assert line in boot.splitlines()
    assert (staged / "usr/lib/madoguchi/build-epoch").read_text().strip() == "1764547200"
    cmdline = (staged / "boot/firmware/cmdline.txt").read_text()
    assert cmdline == PI_CMDLINE.replace(" init=/usr/lib/raspberrypi-sys-mods/firstboot", "")
    wants = staged / "etc/systemd/system/var-lib-madoguchi.mount.wants"
    assert (wants / "madoguchi-data-partition.service").is_symlink()
    config = (staged / "etc/madoguchi/config.toml").stat()
    assert config.st_mode & 0o777 == 0o640 and config.st_uid == 0


def test_applying_twice_changes_nothing(staged, tmp_path):
    before = {p.relative_to(staged): p.read_bytes() for p in staged.rglob("*") if p.is_file()}
    result = run(LAYER / "apply.sh", "--stage-only", staged, env=BUILD_ENV)
    assert result.returncode == 0, result.stderr
    after = {p.relative_to(staged): p.read_bytes() for p in staged.rglob("*") if p.is_file()}
    changed = sorted(str(p) for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    assert changed == []


def test_tree_check_names_what_is_wrong(tmp_path):
    """The tree check can fail: an unprotected tree gets every problem named."""
    root = tmp_path / "root"
    (root / "etc/systemd/system/multi-user.target.wants").mkdir(parents=True)
    (root / "etc/systemd/journald.conf.d").mkdir()
    (root / "etc/madoguchi").mkdir()
    (root / "etc/ssh").mkdir()
    (root / "etc/fstab").write_text("/dev/root / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n")
    (root / "etc/systemd/system/multi-user.target.wants/madoguchi.service").symlink_to("/nowhere")
    (root / "etc/systemd/system/madoguchi.service").write_text("[Service]\nStateDirectory=madoguchi\n")
    (root / "etc/systemd/journald.conf.d/madoguchi.conf").write_text("[Journal]\nStorage=persistent\n")
    (root / "etc/madoguchi/config.toml").write_text("")
    (root / "etc/ssh/ssh_host_ed25519_key").write_text("")
    assert_problems_named(
        root,
        "fstab swap line",
        "swap.target is not masked",
        "madoguchi-clock-check.service is not enabled",
        "root file system is not read-only",
        "overlayroot is not configured",
        "on no data partition",
        "fstab mounts no ext4 LABEL=madoguchi-data",
        "host key shipped",
        "journald is not volatile",
    )


def test_tree_check_wants_the_data_partition_made_before_its_mount(staged, tmp_path):
    """A tree whose data partition service is not enabled for, or ordered before, the mount is named."""
    root = tmp_path / "root"
    shutil.copytree(staged, root, symlinks=True)
    (root / "etc/systemd/system/var-lib-madoguchi.mount.wants/madoguchi-data-partition.service").unlink()
    unit = root / "usr/lib/systemd/system/madoguchi-data-partition.service"
    unit.write_text(unit.read_text().replace("Before=var-lib-madoguchi.mount", "Before=local-fs.target"))
    (root / "boot/firmware/cmdline.txt").write_text("root=/dev/mmcblk0p2 rootwait resize\n")
    assert_problems_named(
        root,
        "madoguchi-data-partition.service is not enabled for var-lib-madoguchi.mount",
        "does not run before var-lib-madoguchi.mount",
        "cmdline.txt grows the root at first boot: resize",
    )


def assert_problems_named(root: Path, *expected: str) -> None:
    """The tree check on ``root`` names each of ``expected`` (part of a problem's text)."""
    found = "\n".join(load_check_tree().problems(root))
    for problem in expected:
        assert problem in found


def test_units_pass_systemd_analyze_verify(staged):
    """Our units and the daemon's drop-in, verified in the staged root (the host's targets copied in)."""
    analyze = tool("systemd-analyze")
    units = staged / "usr/lib/systemd/system"
    for target in Path("/usr/lib/systemd/system").glob("*.target"):
        if not (units / target.name).exists():
            shutil.copy(target, units / target.name)
    venv = staged / "opt/madoguchi/venv/bin"
    venv.mkdir(parents=True, exist_ok=True)
    (venv / "madoguchi").write_text("#!/bin/sh\n")
    (venv / "madoguchi").chmod(0o755)
    paths = [units / name for name in OUR_UNITS] + [staged / "etc/systemd/system/madoguchi.service"]
    result = run(analyze, "verify", f"--root={staged}", *paths)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruleset_passes_nft_check():
    if os.geteuid() != 0:
        pytest.skip("nft -c needs CAP_NET_ADMIN: run as root (CI does)")
    result = run(tool("nft"), "-c", "-f", LAYER / "overlay/etc/nftables.conf")
    assert result.returncode == 0, result.stderr


def test_ruleset_lets_in_only_ssh():
    rules = (LAYER / "overlay/etc/nftables.conf").read_text()
    for chain in ("input", "forward", "output"):
        assert f"hook {chain} priority filter; policy drop;" in rules
    accepted_new = [line.strip() for line in rules.splitlines() if "ct state new accept" in line]
    assert accepted_new == ["tcp dport 22 ct state new accept"]


def clock_check(tmp_path: Path, build_epoch: str) -> tuple[int, str]:
    (tmp_path / "epoch").write_text(build_epoch)
    env = {
        **os.environ,
        "MADOGUCHI_CLOCK_DIR": str(tmp_path / "run"),
        "MADOGUCHI_BUILD_EPOCH": str(tmp_path / "epoch"),
    }
    result = run(CLOCK_CHECK, env=env)
    status = tmp_path / "run/status"
    return result.returncode, status.read_text().strip() if status.exists() else ""


def test_clock_check_says_ok_for_a_plausible_clock(tmp_path):
    assert clock_check(tmp_path, "1700000000\n") == (0, "ok")


def test_clock_check_flags_a_clock_before_the_build(tmp_path):
    code, status = clock_check(tmp_path, "4000000000")
    assert code == 0 and status.startswith("implausible: ") and "before the image was built" in status


def test_clock_check_flags_a_clock_far_after_the_build(tmp_path):
    code, status = clock_check(tmp_path, "1")
    assert code == 0 and "years after the image was built" in status


def test_clock_check_refuses_without_a_build_time(tmp_path):
    assert clock_check(tmp_path, "garbage")[0] == 2


def fake_wheelhouse(directory: Path, version: str) -> Path:
    """A wheelhouse of one tiny madoguchi wheel: enough to build, switch and roll back releases."""
    directory.mkdir()
    name = f"madoguchi-{version}"
    with zipfile.ZipFile(directory / f"{name}-py3-none-any.whl", "w") as wheel:
        wheel.writestr("madoguchi_fake/__init__.py", f"VERSION = {version!r}\n")
        metadata = f"Metadata-Version: 2.1\nName: madoguchi\nVersion: {version}\n"
        wheel.writestr(f"{name}.dist-info/METADATA", metadata)
        tags = "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        wheel.writestr(f"{name}.dist-info/WHEEL", tags)
        wheel.writestr(f"{name}.dist-info/RECORD", "")
    (directory / "requirements.txt").write_text("")
    (directory / "constraints.txt").write_text("")
    (directory / "target.env").write_text('OS_PROVIDES="numpy"\n')
    return directory


def test_release_install_switch_and_rollback(tmp_path):
    env = {**os.environ, "MADOGUCHI_PREFIX": str(tmp_path / "opt")}
    ids = []
    for version in ("1.0", "2.0"):
        wheelhouse = fake_wheelhouse(tmp_path / f"wh-{version}", version)
        named = run(RELEASE, "id", wheelhouse, env=env).stdout.strip()
        installed = run(RELEASE, "install", wheelhouse, env=env)
        assert installed.returncode == 0, installed.stderr
        assert installed.stdout.strip() == named and named.startswith(f"{version}-")
        assert run(RELEASE, "switch", named, env=env).returncode == 0
        ids.append(named)
    prefix = tmp_path / "opt"
    current = run(prefix / "venv/bin/python", "-c", "import madoguchi_fake; print(madoguchi_fake.VERSION)")
    assert current.stdout.strip() == "2.0"
    assert run(RELEASE, "current", env=env).stdout.strip() == ids[1]
    assert run(RELEASE, "rollback", env=env).returncode == 0
    assert run(RELEASE, "current", env=env).stdout.strip() == ids[0]
    assert (prefix / "venv").resolve() == (prefix / "releases" / ids[0] / "venv").resolve()
    refused = run(RELEASE, "switch", "9.9-notinstalled", env=env)
    assert refused.returncode == 1 and "not installed" in refused.stderr


def test_fleet_config_template_renders_a_config_madoguchi_accepts(tmp_path):
    jinja2 = pytest.importorskip("jinja2")
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(ANSIBLE / "roles/madoguchi/templates"))
    environment.filters["to_json"] = json.dumps
    values = {
        "counter": {
            "terminal_id": "counter-03",
            "municipality": '○○市 "本庁"',
            "threshold": 65,
            "mode_button": False,
        },
        "hardware": {"kind": "real", "printer": {"usb_product": 3605, "profile": "TM-T20II"}},
    }
    path = tmp_path / "config.toml"
    path.write_text(environment.get_template("config.toml.j2").render(madoguchi_config=values))
    config = load(path)
    assert config.counter.terminal_id == "counter-03" and config.counter.municipality == '○○市 "本庁"'
    assert config.counter.threshold == 65 and config.counter.mode_button is False
    printer = config.hardware.printer
    assert (printer.driver, printer.usb_product, printer.profile) == ("usb", 3605, "TM-T20II")


def disk_image(path: Path, label: str, partitions: list[tuple[int, int, str]], mib: int = 512) -> Path:
    """A sparse disk image file with a partition table of (start, size, type) in sectors."""
    sfdisk = tool("sfdisk")
    with path.open("wb") as disk:
        disk.truncate(mib << 20)
    lines = [f"label: {label}"] + [f"start={a}, size={n}, type={t}" for a, n, t in partitions]
    result = run(sfdisk, "--quiet", path, input="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    return path


def table(disk: Path) -> list[tuple[int, int]]:
    dump = json.loads(run(tool("sfdisk"), "--json", disk).stdout)["partitiontable"]
    return [(p["start"], p["size"]) for p in dump["partitions"]]


def probe(disk: Path, start: int, size: int) -> dict[str, str]:
    """What blkid finds at a partition's place on the disk image."""
    result = run(tool("blkid"), "-p", "-O", str(start * 512), "-S", str(size * 512), "-o", "export", disk)
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def region_digest(disk: Path, start: int, size: int) -> str:
    with disk.open("rb") as handle:
        handle.seek(start * 512)
        return hashlib.sha256(handle.read(size * 512)).hexdigest()


def mkfs_data(disk: Path, start: int, blocks: int) -> None:
    """An ext4 labelled madoguchi-data at sector START of the disk image, of BLOCKS 4 KiB blocks."""
    args = ("-q", "-F", "-t", "ext4", "-b", "4096", "-L", "madoguchi-data", "-E", f"offset={start * 512}")
    made = run(tool("mke2fs"), *args, disk, str(blocks))
    assert made.returncode == 0, made.stderr


def make_data_partition(disk: Path) -> subprocess.CompletedProcess:
    for name in ("sfdisk", "mke2fs", "blkid"):
        tool(name)
    return run(DATA_PARTITION, disk)


# A Raspberry Pi OS card: boot (FAT) and root (Linux); on GPT the same two.
PI_LAYOUT = [(8192, 131072, "c"), (139264, 262144, "83")]
GPT_LAYOUT = [(8192, 131072, "U"), (139264, 262144, "L")]


@pytest.mark.parametrize(("label", "layout"), [("dos", PI_LAYOUT), ("gpt", GPT_LAYOUT)])
def test_data_partition_is_appended_in_the_free_space_and_formatted(tmp_path, label, layout):
    disk = disk_image(tmp_path / "card.img", label, layout)
    root_start, root_size = layout[1][:2]
    with disk.open("r+b") as handle:  # something on the root partition that must survive
        handle.seek(root_start * 512)
        handle.write(b"root file system" * 4096)
    before = table(disk)
    root_digest = region_digest(disk, root_start, root_size)
    result = make_data_partition(disk)
    assert result.returncode == 0, result.stderr
    after = table(disk)
    assert after[:2] == before and len(after) == 3
    start, size = after[2]
    assert start >= root_start + root_size and start % 2048 == 0
    assert (start + size) * 512 > (512 << 20) - (1 << 20)  # up to the end of the disk (less GPT's tail)
    found = probe(disk, start, size)
    assert (found.get("TYPE"), found.get("LABEL")) == ("ext4", "madoguchi-data")
    assert region_digest(disk, root_start, root_size) == root_digest


def test_data_partition_second_run_changes_nothing(tmp_path):
    disk = disk_image(tmp_path / "card.img", "dos", PI_LAYOUT)
    assert make_data_partition(disk).returncode == 0
    first = hashlib.sha256(disk.read_bytes()).hexdigest()
    again = make_data_partition(disk)
    assert again.returncode == 0 and "already has madoguchi-data" in again.stdout
    assert hashlib.sha256(disk.read_bytes()).hexdigest() == first


def test_data_partition_found_where_the_image_has_it(tmp_path):
    """An image with the partition in its layout (rpi-image-gen) is left exactly as it is."""
    disk = disk_image(tmp_path / "card.img", "dos", [*PI_LAYOUT, (401408, 262144, "83")])
    mkfs_data(disk, 401408, 32768)
    before = hashlib.sha256(disk.read_bytes()).hexdigest()
    result = make_data_partition(disk)
    assert result.returncode == 0, result.stderr
    assert hashlib.sha256(disk.read_bytes()).hexdigest() == before


def test_data_partition_never_takes_an_existing_partition(tmp_path):
    """A third partition without the label (the technician's, or a root grown over the card) stays."""
    for layout in ([*PI_LAYOUT, (401408, 647168, "83")], [(8192, 131072, "c"), (139264, 909312, "83")]):
        disk = disk_image(tmp_path / "card.img", "dos", layout)
        before = hashlib.sha256(disk.read_bytes()).hexdigest()
        result = make_data_partition(disk)
        assert result.returncode == 1 and "no free space at the end" in result.stderr
        assert hashlib.sha256(disk.read_bytes()).hexdigest() == before
        disk.unlink()


def test_data_partition_after_a_power_cut_before_the_table_write(tmp_path):
    """A file system made in the free space whose partition entry was never written: done again."""
    disk = disk_image(tmp_path / "card.img", "dos", PI_LAYOUT)
    mkfs_data(disk, 401408, 8192)
    assert len(table(disk)) == 2
    result = make_data_partition(disk)
    assert result.returncode == 0, result.stderr
    start, size = table(disk)[2]
    assert probe(disk, start, size).get("LABEL") == "madoguchi-data"


def test_rpi_image_gen_layout_has_the_data_partition(staged, tmp_path):
    """The rpi-image-gen card layout: genimage makes the labelled data partition, fstab mounts it."""
    layout = IMAGE / "rpi-image-gen/image/madoguchi"
    env = {
        **os.environ,
        "IGconf_image_name": "madoguchi-test",
        "IGconf_image_suffix": "img",
        "IGconf_image_boot_part_size": "200%",
        "IGconf_image_root_part_size": "300%",
        "IGconf_image_data_part_size": "1G",
        "IGconf_device_sector_size": "512",
    }
    (tmp_path / "genimage").mkdir()
    made = run(layout / "pre-image.sh", tmp_path / "fs", tmp_path / "genimage", cwd=layout, env=env)
    assert made.returncode == 0, made.stderr
    config = (tmp_path / "genimage/genimage.cfg").read_text()
    assert "<" not in config
    data = config[config.index("image data.ext4 {") :]
    for line in ('label = "madoguchi-data"', 'mountpoint = "/var/lib/madoguchi"', "size = 1G"):
        assert line in data
    assert "partition data {" in config and "image = data.ext4" in config

    root = tmp_path / "root"
    shutil.copytree(staged / "etc", root / "etc", symlinks=True)
    (root / "cmdline.txt").write_text("console=tty1 root=PARTUUID=0c0ffee0-02 rootfstype=ext4 rootwait\n")
    for part in ("ROOT", "BOOT"):
        done = run(layout / "setup.sh", part, env={**env, "IMAGEMOUNTPATH": str(root)})
        assert done.returncode == 0, done.stderr
    fstab = [line.split() for line in (root / "etc/fstab").read_text().splitlines()]
    assert ["LABEL=madoguchi-root", "/", "ext4", "ro,noatime", "0", "1"] in fstab
    assert [e[:3] for e in fstab if e[1] == "/var/lib/madoguchi"] == [
        ["LABEL=madoguchi-data", "/var/lib/madoguchi", "ext4"]
    ]
    assert (root / "cmdline.txt").read_text().split()[1] == "root=LABEL=madoguchi-root"


def test_data_partition_on_a_disk_in_use(tmp_path):
    """On a block device whose root partition is mounted: the kernel learns of the new partition."""
    if os.geteuid() != 0:
        pytest.skip("loop devices need root")
    disk = disk_image(tmp_path / "card.img", "dos", PI_LAYOUT)
    mkfs = run(tool("mke2fs"), "-q", "-F", "-t", "ext4", "-E", f"offset={139264 * 512}", disk, "32768")
    assert mkfs.returncode == 0, mkfs.stderr
    attached = run(tool("losetup"), "--find", "--show", "--partscan", disk)
    if attached.returncode != 0:
        pytest.skip(f"no loop device here: {attached.stderr.strip()}")
    loop = attached.stdout.strip()
    mounted = tmp_path / "root"
    mounted.mkdir()
    try:
        run(tool("partx"), "--update", loop)
        assert run("mount", "-o", "ro", f"{loop}p2", mounted).returncode == 0
        result = make_data_partition(Path(loop))
        assert result.returncode == 0, result.stderr
        found = run(tool("blkid"), "-o", "export", f"{loop}p3").stdout
        assert "LABEL=madoguchi-data" in found.splitlines() and "TYPE=ext4" in found.splitlines()
        again = make_data_partition(Path(loop))
        assert again.returncode == 0 and "already has madoguchi-data" in again.stdout
    finally:
        run("umount", mounted)
        run(tool("losetup"), "--detach", loop)
