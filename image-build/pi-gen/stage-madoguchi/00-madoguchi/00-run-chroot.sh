#!/bin/bash -e
# pi-gen, inside the image's root: apply the madoguchi layer to it, then drop the staging copy.
staging=/var/tmp/madoguchi-src
keys=""
if [ -f "${staging}/authorized_keys" ]; then
	keys="${staging}/authorized_keys"
fi
MADOGUCHI_WHEELHOUSE="${staging}/wheelhouse" MADOGUCHI_AUTHORIZED_KEYS="${keys}" \
	"${staging}/image-build/layer/apply.sh" /
rm -rf "${staging}"
