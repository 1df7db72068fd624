#!/usr/bin/env bash
# Turn a stock Debian-family root file system (Raspberry Pi OS Lite, Debian arm64, Jetson L4T) into
# a madoguchi box. Every image flavour calls this one script (rpi-image-gen layer, pi-gen stage,
# Jetson, `make image-check`).
#   apply.sh [--stage-only] ROOT
# ROOT is the target's root directory ("/" when already inside its chroot). Without --stage-only,
# ROOT must be a working chroot (proc, sys, dev mounted; apt reaching its archive): packages are
# installed in it and madoguchi's venv is built from the wheelhouse. --stage-only lays the files,
# users and unit links only (no chroot, no network), which is what CI checks.
# Environment:
#   MADOGUCHI_WHEELHOUSE      wheelhouse built by image-build/wheelhouse.sh (required unless --stage-only)
#   MADOGUCHI_AUTHORIZED_KEYS file of technicians' SSH public keys for root (optional)
#   MADOGUCHI_CONFIG          config.toml to install when the box has none (default systemd/config.example.toml)
#   MADOGUCHI_BOOT_CONFIG     Raspberry Pi config.txt inside ROOT (default /boot/firmware/config.txt;
#                             "none" skips it; Jetson roots are recognised and skipped)
#   SOURCE_DATE_EPOCH         the image's build time, the clock check's floor (default: now)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
project="$(cd "$here/../.." && pwd)"
stage_only=0
if [ "${1:-}" = "--stage-only" ]; then stage_only=1; shift; fi
[ $# -eq 1 ] || { echo "usage: $0 [--stage-only] ROOT" >&2; exit 2; }
root="$(cd "$1" && pwd)"
config="${MADOGUCHI_CONFIG:-$project/systemd/config.example.toml}"
boot_config="${MADOGUCHI_BOOT_CONFIG:-/boot/firmware/config.txt}"

log() { echo "madoguchi layer: $*"; }

in_root() {
  if [ "$root" = / ]; then "$@"; else chroot "$root" "$@"; fi
}

lines_of() { grep -v -e '^#' -e '^$' "$1"; }

installed() { in_root dpkg-query -W -f="\${Status}" "$1" 2>/dev/null | grep -q "install ok installed"; }

# The optional packages the root lacks and its archive has (one apt-cache call).
optional_available() {
  local wanted=() package
  while read -r package; do
    installed "$package" || wanted+=("$package")
  done < <(lines_of "$here/packages-optional.txt")
  [ ${#wanted[@]} -gt 0 ] || return 0
  in_root apt-cache policy "${wanted[@]}" 2>/dev/null |
    awk '/^[^ ].*:$/ { name = substr($0, 1, length($0) - 1) } $1 == "Candidate:" && $2 != "(none)" { print name }'
}

# apt-get update only when something is to be installed or the root has no package lists: a root
# that has everything is left as it is, without the network.
install_packages() {
  local missing=() optional=() package updated=0
  export DEBIAN_FRONTEND=noninteractive
  while read -r package; do
    installed "$package" || missing+=("$package")
  done < <(lines_of "$here/packages.txt")
  if [ ${#missing[@]} -gt 0 ] || ! compgen -G "$root/var/lib/apt/lists/*_Packages*" >/dev/null; then
    in_root apt-get update -qq
    updated=1
  fi
  mapfile -t optional < <(optional_available)
  if [ ${#optional[@]} -gt 0 ] && [ $updated -eq 0 ]; then
    in_root apt-get update -qq
    mapfile -t optional < <(optional_available)
  fi
  if [ $((${#missing[@]} + ${#optional[@]})) -gt 0 ]; then
    log "installing ${missing[*]} ${optional[*]}"
    in_root apt-get install -y -qq --no-install-recommends "${missing[@]}" "${optional[@]}"
    in_root apt-get clean
  fi
}

lay_files() {
  tar -C "$here/overlay" --owner=0 --group=0 -cf - . | tar -C "$root" --no-same-owner -xf -
  install -D -m 0644 "$project/systemd/madoguchi.service" "$root/etc/systemd/system/madoguchi.service"
  install -d -m 0755 "$root/usr/lib/madoguchi" "$root/usr/share/madoguchi" "$root/usr/share/doc/madoguchi" \
    "$root/var/lib/madoguchi"
  install -m 0644 "$project/image-build/README.md" "$root/usr/share/doc/madoguchi/image-build.md"
  echo "${SOURCE_DATE_EPOCH:-$(date +%s)}" > "$root/usr/lib/madoguchi/build-epoch"
  # Overlay root: the SD card is never written at run time; /var/lib/madoguchi is its own partition.
  echo 'overlayroot="tmpfs:swap=0,recurse=0"' > "$root/etc/overlayroot.local.conf"
  # The models: those of the current release (a wheel with the models inside needs none).
  ln -sfn /opt/madoguchi/current/models "$root/usr/share/madoguchi/models"
  # The image ships no SSH host keys: each box makes its own at first boot.
  rm -f "$root"/etc/ssh/ssh_host_*
  if [ -n "${MADOGUCHI_AUTHORIZED_KEYS:-}" ]; then
    install -d -m 0700 "$root/root/.ssh"
    install -m 0600 "$MADOGUCHI_AUTHORIZED_KEYS" "$root/root/.ssh/authorized_keys"
  fi
}

users() {
  if [ $stage_only -eq 1 ]; then
    systemd-sysusers --root="$root" "$root/usr/lib/sysusers.d/madoguchi.conf"
  else
    in_root systemd-sysusers /usr/lib/sysusers.d/madoguchi.conf
  fi
  local gid
  gid=$(awk -F: '$1 == "madoguchi" { print $3 }' "$root/etc/group")
  install -d -m 0750 -o 0 -g "$gid" "$root/etc/madoguchi"
  if [ ! -e "$root/etc/madoguchi/config.toml" ]; then
    install -m 0640 -o 0 -g "$gid" "$config" "$root/etc/madoguchi/config.toml"
  fi
}

# Root read-only, the data partition at /var/lib/madoguchi, no swap line. The partition is in the
# image's layout (rpi-image-gen) or made at first boot (madoguchi-data-partition.service, ordered before
# the mount; the device timeout leaves it time for that).
fstab() {
  local file="$root/etc/fstab" data="LABEL=madoguchi-data /var/lib/madoguchi ext4"
  touch "$file"
  awk '
    $1 !~ /^#/ && $3 == "swap" { next }
    $1 !~ /^#/ && $2 == "/" && $4 !~ /(^|,)ro(,|$)/ { $4 = ($4 == "defaults" ? "ro" : $4 ",ro") }
    { print }
  ' "$file" > "$file.new"
  if ! awk '$1 !~ /^#/ && $2 == "/" { found = 1 } END { exit !found }' "$file.new"; then
    echo "LABEL=madoguchi-root / ext4 ro,noatime 0 1" >> "$file.new"
  fi
  if ! awk '$1 !~ /^#/ && $2 == "/var/lib/madoguchi" { found = 1 } END { exit !found }' "$file.new"; then
    echo "$data noatime,nodev,nosuid,noexec,nofail,x-systemd.device-timeout=60s 0 2" >> "$file.new"
  fi
  mv "$file.new" "$file"
}

boot() {
  [ "$boot_config" != none ] || return 0
  if [ -e "$root/etc/nv_tegra_release" ]; then
    log "Jetson root: no Raspberry Pi config.txt"
    return 0
  fi
  local file="$root$boot_config" cmdline
  cmdline="$(dirname "$file")/cmdline.txt"
  install -d "$(dirname "$file")"
  touch "$file"
  # No root resize at first boot (bookworm: raspberrypi-sys-mods' firstboot; trixie: `resize`): the
  # root is read-only, and the free space behind it becomes the data partition.
  if [ -f "$cmdline" ]; then
    sed -i -E -e 's# init=/usr/lib/raspberrypi-sys-mods/firstboot( |$)#\1#' -e 's# resize( |$)#\1#' "$cmdline"
  fi
  sed -i '/^# madoguchi begin/,/^# madoguchi end/d' "$file"
  cat >> "$file" <<'EOF'
# madoguchi begin
[all]
dtparam=spi=on
camera_auto_detect=1
dtoverlay=disable-wifi
dtoverlay=disable-bt
# madoguchi end
EOF
}

units() {
  local unit
  systemctl --root="$root" enable madoguchi.service madoguchi-clock-check.service \
    madoguchi-ssh-host-keys.service madoguchi-data-partition.service >/dev/null 2>&1
  for unit in nftables.service ssh.service; do
    if [ -e "$root/lib/systemd/system/$unit" ] || [ -e "$root/usr/lib/systemd/system/$unit" ]; then
      systemctl --root="$root" enable "$unit" >/dev/null 2>&1
    fi
  done
  # No swap of any kind, no zeroconf, no radio, no remote desktop.
  systemctl --root="$root" mask swap.target dphys-swapfile.service avahi-daemon.service \
    avahi-daemon.socket bluetooth.service hciuart.service >/dev/null 2>&1
  # Jetson: L4T grows its root (APP) partition over the free space at first boot (nvresizefs); that
  # space becomes the data partition instead.
  for dir in etc/systemd/system lib/systemd/system usr/lib/systemd/system; do
    if [ -f "$root/$dir/nvresizefs.service" ]; then
      systemctl --root="$root" disable nvresizefs.service >/dev/null 2>&1
      break
    fi
  done
  systemctl --root="$root" --global mask rpi-connect.service rpi-connect-wayvnc.service >/dev/null 2>&1
}

venv() {
  local wheelhouse="${MADOGUCHI_WHEELHOUSE:?set MADOGUCHI_WHEELHOUSE to a wheelhouse from image-build/wheelhouse.sh}"
  local staging="/var/tmp/madoguchi-wheelhouse" id
  rm -rf "$root$staging"
  cp -R "$wheelhouse" "$root$staging"
  id=$(in_root /usr/local/sbin/madoguchi-release install "$staging")
  in_root /usr/local/sbin/madoguchi-release switch "$id"
  rm -rf "$root$staging"
  log "release $id is current"
}

if [ $stage_only -eq 0 ]; then
  install_packages
fi
lay_files
users
fstab
boot
units
if [ $stage_only -eq 0 ]; then
  venv
  if compgen -G "$root/boot/initrd.img-*" >/dev/null; then
    in_root update-initramfs -u
  fi
fi
log "applied to $root"
