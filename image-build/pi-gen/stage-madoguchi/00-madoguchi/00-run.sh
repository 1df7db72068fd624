#!/bin/bash -e
# pi-gen, on the build host: put the layer, the unit, the config example and the wheelhouse where
# 00-run-chroot.sh finds them inside the root. MADOGUCHI_SRC (the checkout) and MADOGUCHI_WHEELHOUSE
# come from pi-gen's config file.
: "${MADOGUCHI_SRC:?set MADOGUCHI_SRC in the pi-gen config to the madoguchi checkout}"
: "${MADOGUCHI_WHEELHOUSE:?set MADOGUCHI_WHEELHOUSE to a wheelhouse from image-build/wheelhouse.sh}"
staging="${ROOTFS_DIR}/var/tmp/madoguchi-src"
rm -rf "${staging}"
mkdir -p "${staging}"
cp -R "${MADOGUCHI_SRC}/image-build" "${MADOGUCHI_SRC}/systemd" "${staging}/"
cp -R "${MADOGUCHI_WHEELHOUSE}" "${staging}/wheelhouse"
if [ -f files/authorized_keys ]; then
	cp files/authorized_keys "${staging}/authorized_keys"
fi
