#!/bin/bash
# shellcheck disable=SC2154  # IGconf_*: set by rpi-image-gen
# rpi-image-gen, before genimage: write genimage.cfg for this build from genimage.cfg.in.
set -eu
genimage_dir=$2
sed -e "s|<IMAGE_NAME>|$IGconf_image_name|g" \
  -e "s|<IMAGE_SUFFIX>|$IGconf_image_suffix|g" \
  -e "s|<BOOT_SIZE>|$IGconf_image_boot_part_size|g" \
  -e "s|<ROOT_SIZE>|$IGconf_image_root_part_size|g" \
  -e "s|<DATA_SIZE>|$IGconf_image_data_part_size|g" \
  -e "s|<SECTOR_SIZE>|$IGconf_device_sector_size|g" \
  -e "s|<SETUP>|'$(readlink -ef setup.sh)'|g" \
  genimage.cfg.in > "$genimage_dir/genimage.cfg"
