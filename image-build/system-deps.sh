#!/usr/bin/env bash
# Debian packages madoguchi needs beside its Python dependencies: SANE (runtime, and headers to
# build python-sane), a Japanese font for the LCD and the slip, libseccomp for the daemon's own
# socket filter (pyseccomp), systemd for the unit and its checks (systemd-analyze), the PC/SC stack
# for the IC chip reader (pcscd; libpcsclite-dev and swig in case pyscard has to build), vsmartcard's
# vpcd/vpicc and pycryptodome (vicc's crypto), which the chip tests run against, and shellcheck and
# nft for CI's image-build checks, sfdisk and mke2fs for its data partition test; Tesseract with its
# Japanese and English data and the headers tesserocr builds against (g++, libtesseract-dev,
# libleptonica-dev, pkg-config), the Japanese fonts the OCR benchmark prints card faces with
# (fonts-ipaexfont-mincho, fonts-noto-cjk, fonts-vlgothic); any further packages named as arguments.
# Installs only what is missing. Used by `make setup` on a developer's machine or CI, and by `make image-check`.
set -euo pipefail

packages=(sane-utils libsane1 libsane-dev fonts-ipaexfont-gothic python3-venv python3-dev gcc
  libseccomp2 systemd pcscd libpcsclite-dev swig vsmartcard-vpcd vsmartcard-vpicc python3-pycryptodome
  shellcheck nftables fdisk e2fsprogs tesseract-ocr tesseract-ocr-jpn tesseract-ocr-eng libtesseract-dev
  libleptonica-dev pkg-config g++ fonts-ipaexfont-mincho fonts-noto-cjk fonts-vlgothic "$@")
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
