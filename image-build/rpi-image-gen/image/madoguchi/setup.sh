#!/bin/bash
# genimage exec-pre (IMAGEMOUNTPATH: the partition's content): the root and the boot partition by the
# labels genimage.cfg.in gives them. fstab keeps the data partition's line from the madoguchi layer;
# the root is read-only (overlayroot) and the root= label needs the initramfs the layout installs.
set -eu
case "$1" in
  ROOT)
    fstab="$IMAGEMOUNTPATH/etc/fstab"
    {
      echo "LABEL=madoguchi-root / ext4 ro,noatime 0 1"
      echo "LABEL=BOOT /boot/firmware vfat defaults,noatime 0 2"
      awk '$1 !~ /^#/ && $2 == "/var/lib/madoguchi"' "$fstab"
    } > "$fstab.new"
    mv "$fstab.new" "$fstab"
    ;;
  BOOT)
    sed -i -E "s#(^| )root=[^ ]*#\\1root=LABEL=madoguchi-root#" "$IMAGEMOUNTPATH/cmdline.txt"
    ;;
esac
