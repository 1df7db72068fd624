#!/usr/bin/env bash
# `make image-check`: build a Debian 12 arm64 root file system with mmdebstrap under qemu-user,
# apply the madoguchi layer, run madoguchi and the system's own checkers inside it, then apply the
# Ansible fleet playbook to it twice through the chroot connection (the second run must change
# nothing). A benchmark-style check (tens of minutes the first time), not CI.
#   image-build/check/image-check.sh [OUT]     (default out/image-check; run as root)
# Caches, so that a rerun takes minutes: the base root fs (OUT/base-bookworm-arm64-KEY, KEY a hash of
# its package list, so a changed packages.txt rebuilds it), the wheelhouse (rebuilt when its inputs
# change) and the releases the last run installed (kept out of the old root; madoguchi-release reuses
# a venv whose wheels are the same). Delete OUT to start from the archive. Times of each step are printed as "time STEP: N s".
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
project="$(cd "$here/../.." && pwd)"
out="$(mkdir -p "${1:-$project/out/image-check}" && cd "${1:-$project/out/image-check}" && pwd)"
python="${PYTHON:-python3}"
ansible_playbook="${ANSIBLE_PLAYBOOK:-ansible-playbook}"
suite=bookworm
packages=$(grep -v -e '^#' -e '^$' "$project/image-build/layer/packages.txt" | paste -sd, -)
include="systemd-sysv,dbus,iproute2,kmod,$packages"
base_key=$(printf '%s\n' "$suite" "$include" | sha256sum | cut -c1-12)
base="$out/base-$suite-arm64-$base_key"
root="$out/root"
failures=()

[ "$(id -u)" -eq 0 ] || { echo "image-check: run as root (chroot, mounts)" >&2; exit 2; }

step_start=0
step() { step_start=$(date +%s); echo "== $*"; }
took() { echo "time $1: $(($(date +%s) - step_start)) s"; }
check() {
  local name="$1"
  shift
  if "$@"; then echo "PASS  $name"; else echo "FAIL  $name"; failures+=("$name"); fi
}

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
not_in() { ! grep -Eq "$2" "$1"; }
bind() { mount --bind "$1" "$2"; mounted+=("$2"); }

# qemu-user through binfmt_misc ("F": the interpreter works inside the chroot too).
mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
# XNNPACK (LiteRT) runs ~10x faster on this CPU model than on qemu's default.
export QEMU_CPU=cortex-a76

total_start=$(date +%s)
if [ ! -d "$base" ]; then
  step "base root fs: mmdebstrap $suite arm64 (cached in $base)"
  rm -rf "$out/base-$suite-arm64"*
  # The package lists stay: apply.sh then needs no `apt-get update` when nothing is missing.
  mmdebstrap --variant=apt --architectures=arm64 --skip=cleanup/apt/lists --include="$include" \
    "$suite" "$base.partial"
  mv "$base.partial" "$base"
  took "mmdebstrap"
fi

step "copy the cached base to $root"
# The last run's current and previous releases (venvs) move over when that root came from this base.
kept="$out/releases-kept"
rm -rf "$kept"
if [ "$(cat "$out/root.base" 2>/dev/null)" = "$base_key" ]; then
  for link in current previous; do
    release=$(readlink "$root/opt/madoguchi/$link" 2>/dev/null) || continue
    if [ -f "$root/opt/madoguchi/$release/.complete" ]; then
      mkdir -p "$kept"
      mv "$root/opt/madoguchi/$release" "$kept/"
    fi
  done
fi
rm -rf "$root"
cp -a "$base" "$root"
echo "$base_key" > "$out/root.base"
if [ -d "$kept" ]; then
  install -d -m 0755 "$root/opt/madoguchi"
  mv "$kept" "$root/opt/madoguchi/releases"
  echo "releases kept from the last run: $(cd "$root/opt/madoguchi/releases" && echo *)"
fi
took "copy"

step "wheelhouse for debian-bookworm (aarch64, Python 3.11)"
# Rebuilt when its inputs change: the package's source and models, the target, the script.
wheelhouse_key=$(cd "$project" && find device models pyproject.toml image-build/wheelhouse.sh \
  image-build/targets/debian-bookworm.env -type f ! -path '*/__pycache__/*' ! -path '*.egg-info/*' |
  LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)
if [ -d "$out/wheelhouse" ] && [ "$(cat "$out/wheelhouse.key" 2>/dev/null)" = "$wheelhouse_key" ]; then
  echo "wheelhouse $out/wheelhouse: unchanged inputs ($wheelhouse_key)"
else
  rm -f "$out/wheelhouse.key"
  PYTHON="$python" "$project/image-build/wheelhouse.sh" --with-simulate debian-bookworm "$out/wheelhouse"
  echo "$wheelhouse_key" > "$out/wheelhouse.key"
fi
took "wheelhouse"

mount -t proc proc "$root/proc"
mounted+=("$root/proc")
# qemu 7.2 shows the host's /proc/cpuinfo to the guest; LiteRT's CPU probe then crashes.
bind "$here/cpuinfo-arm64" "$root/proc/cpuinfo"
bind /dev "$root/dev"
bind /sys "$root/sys"
cp /etc/resolv.conf "$root/etc/resolv.conf"

step "apply the layer"
MADOGUCHI_WHEELHOUSE="$out/wheelhouse" "$project/image-build/layer/apply.sh" "$root"
took "layer"

in_root() { chroot "$root" "$@"; }
bin=/opt/madoguchi/venv/bin

step "madoguchi inside the arm64 root"
install -d -m 0750 -o madoguchi -g madoguchi "$root/var/lib/madoguchi" 2>/dev/null ||
  install -d -m 0750 "$root/var/lib/madoguchi"
cat > "$root/etc/madoguchi/check.toml" <<'EOF'
[counter]
municipality = "検査市"
terminal_id = "image-check"
threshold = 60

[hardware]
kind = "simulated"

[storage]
audit_path = "/var/lib/madoguchi/check/audit.jsonl"
EOF
check "madoguchi selftest" in_root "$bin/madoguchi" selftest --config /etc/madoguchi/check.toml
took "selftest"
step "madoguchi simulate"
check "madoguchi simulate" in_root "$bin/madoguchi" simulate --out /tmp/simulate --capture-seconds 0.5
took "simulate"

step "the system's own checkers"
units=(/etc/systemd/system/madoguchi.service)
while IFS= read -r unit; do units+=("${unit#"$root"}"); done < <(find "$root/usr/lib/systemd/system" -name 'madoguchi-*')
check "systemd-analyze verify ${units[*]}" in_root systemd-analyze verify "${units[@]}"
keydir=$(mktemp -d "$root/tmp/hostkey.XXXXXX")
in_root ssh-keygen -q -t ed25519 -N '' -f "${keydir#"$root"}/key"
install -d -m 0755 "$root/run/sshd"  # ssh.service's RuntimeDirectory on a booted box
check "sshd -t" in_root /usr/sbin/sshd -t -h "${keydir#"$root"}/key"
rm -rf "$keydir"
# qemu-user passes no netfilter netlink ("Protocol not supported"): the host's nft checks the same file.
if in_root nft -c -f /etc/nftables.conf; then
  echo "PASS  nft -c -f /etc/nftables.conf (inside)"
else
  check "nft -c -f ROOT/etc/nftables.conf (host's nft)" nft -c -f "$root/etc/nftables.conf"
fi
check "assembled tree" "$python" "$here/check_tree.py" "$root"
# The first-boot data partition, with the root's own sfdisk and mke2fs, on a card image (boot, root):
# made once, then found.
data_partition() {
  local card="$root/tmp/card.img"
  rm -f "$card"
  truncate -s 512M "$card"
  printf 'label: dos\nstart=8192, size=131072, type=c\nstart=139264, size=262144, type=83\n' | sfdisk -q "$card"
  in_root /usr/local/sbin/madoguchi-data-partition /tmp/card.img &&
    in_root /usr/local/sbin/madoguchi-data-partition /tmp/card.img | grep -q "already has madoguchi-data" &&
    blkid -p -O $((401408 * 512)) -o value -s LABEL "$card" | grep -qx madoguchi-data
  local status=$?
  rm -f "$card"
  return $status
}
check "data partition made on a card image, then found" data_partition
check "clock check" in_root /usr/local/sbin/madoguchi-clock-check
took "checkers"

step "Ansible: a new release and config through the chroot connection, twice; then a rollback"
inventory="$out/inventory.ini"
cat > "$inventory" <<EOF
[madoguchi]
$root ansible_connection=community.general.chroot ansible_python_interpreter=/usr/bin/python3
EOF
# The next release: the same wheels plus a note, so it installs as a release of its own.
rm -rf "$out/wheelhouse-next"
cp -R "$out/wheelhouse" "$out/wheelhouse-next"
echo "image-check $(date -u +%FT%TZ)" > "$out/wheelhouse-next/release-note.txt"
export ANSIBLE_CONFIG="$project/image-build/ansible/ansible.cfg"
# Each task's time in the logs (ansible.posix comes with the `ansible` package, the image extra).
export ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks
# No systemd runs in a chroot: the health gate is selftest alone, on simulated devices.
ansible_vars='{"madoguchi_check_config": "/etc/madoguchi/check.toml",
  "madoguchi_config": {"counter": {"municipality": "検査市", "terminal_id": "image-check-01", "threshold": 60},
                       "hardware": {"kind": "simulated"}}}'
playbook() {
  local log="$out/ansible-$1.log" book="$2" status=0
  shift 2
  "$ansible_playbook" -i "$inventory" "$book" -e madoguchi_service_running=false \
    -e "madoguchi_audit_heads_dir=$out/audit-heads" "$@" > "$log" 2>&1 || status=$?
  grep -A2 "PLAY RECAP" "$log" | sed 's/^/    /'
  return $status
}
fleet="$project/image-build/ansible/fleet.yml"
release="$project/image-build/layer/overlay/usr/local/sbin/madoguchi-release"
check "ansible run 1 (new release, config)" playbook 1 "$fleet" -e "$ansible_vars" \
  -e "madoguchi_wheelhouse=$out/wheelhouse-next"
check "ansible run 1 made the new release current" test \
  "$(in_root /usr/local/sbin/madoguchi-release current)" = "$("$release" id "$out/wheelhouse-next")"
check "ansible run 2" playbook 2 "$fleet" -e "$ansible_vars" -e "madoguchi_wheelhouse=$out/wheelhouse-next"
check "ansible run 2 changed=0" not_in "$out/ansible-2.log" 'changed=[1-9]|failed=[1-9]|unreachable=[1-9]'
check "ansible rollback test" playbook 3 "$project/image-build/ansible/roles/madoguchi/tests/test.yml"
took "ansible"

echo "time total: $(($(date +%s) - total_start)) s"
if [ ${#failures[@]} -gt 0 ]; then
  echo "image-check: ${#failures[@]} failed: ${failures[*]}"
  exit 1
fi
echo "image-check: all passed"
