#!/usr/bin/env bash
# Jetson Orin (JetPack 6, L4T r36, Ubuntu 22.04): apply the madoguchi layer to the L4T sample root fs
# before flashing. Run as root on an x86-64 host with qemu-user-static (binfmt), after NVIDIA's
# apply_binaries.sh (it adds NVIDIA's apt source, where JetPack's OpenCV comes from):
#   image-build/wheelhouse.sh jetson-jammy out/wheelhouse-jetson-jammy
#   sudo MADOGUCHI_WHEELHOUSE=out/wheelhouse-jetson-jammy image-build/jetson/apply-l4t.sh Linux_for_Tegra
#   then flash as NVIDIA documents (flash.sh / l4t_initrd_flash.sh).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 LINUX_FOR_TEGRA_DIR" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$1/rootfs" && pwd)"
[ -e "$root/etc/nv_tegra_release" ] || { echo "$root: no etc/nv_tegra_release; run apply_binaries.sh first" >&2; exit 2; }

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" || true; done
}
trap cleanup EXIT
mount -t proc proc "$root/proc" && mounted+=("$root/proc")
for dir in dev sys; do mount --bind "/$dir" "$root/$dir" && mounted+=("$root/$dir"); done
resolv="$root/etc/resolv.conf"
cp --remove-destination /etc/resolv.conf "$resolv"

"$here/../layer/apply.sh" "$root"
# The image's own resolver setup (systemd-resolved's stub) comes back.
ln -sfn ../run/systemd/resolve/stub-resolv.conf "$resolv"
