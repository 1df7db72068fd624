#!/usr/bin/env bash
# Build the offline wheelhouse a box installs madoguchi from, on the build host, for aarch64.
#   image-build/wheelhouse.sh [--with-simulate] TARGET OUT
# TARGET names image-build/targets/TARGET.env (Python version, extras, what the OS provides).
# OUT gets: madoguchi's wheel, every dependency as an aarch64 wheel, requirements.txt (what the box
# installs from here), constraints.txt (versions the box's own packages fix), target.env, and
# models/ while the wheel does not carry them.
# --with-simulate adds scikit-image and matplotlib, whose sample images `madoguchi simulate` uses.
set -euo pipefail

usage() { echo "usage: $0 [--with-simulate] TARGET OUT" >&2; exit 2; }
simulate=0
if [ "${1:-}" = "--with-simulate" ]; then simulate=1; shift; fi
[ $# -eq 2 ] || usage
here="$(cd "$(dirname "$0")" && pwd)"
project="$(dirname "$here")"
target_file="$here/targets/$1.env"
out="$2"
[ -f "$target_file" ] || { echo "no target $1 ($target_file)" >&2; exit 2; }
python="${PYTHON:-python3}"

PYTHON_VERSION="" EXTRAS="" OS_PROVIDES="" CONSTRAINTS=""
# shellcheck source=/dev/null
. "$target_file"

rm -rf "$out.partial"
mkdir -p "$out.partial"
# A fixed zip time makes the same source give the same wheel, so the same release ID (madoguchi-release):
# a rebuilt wheelhouse of unchanged code installs nothing new on a box.
SOURCE_DATE_EPOCH=315532800 "$python" -m pip wheel --quiet --no-deps --wheel-dir "$out.partial" "$project"
rm -rf "$project/build"
wheel=$(find "$out.partial" -maxdepth 1 -name 'madoguchi-*.whl' | head -n 1)

# madoguchi's requirements with the chosen extras, less what the OS provides.
"$python" - "$wheel" "$EXTRAS" "$OS_PROVIDES" "$simulate" > "$out.partial/requirements.txt" <<'PY'
import re
import sys
import zipfile
from email.parser import Parser

wheel, extras, provided, simulate = sys.argv[1], set(sys.argv[2].split()), sys.argv[3].split(), sys.argv[4]
with zipfile.ZipFile(wheel) as archive:
    name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
    metadata = Parser().parsestr(archive.read(name).decode())
skip = {re.sub(r"[-_.]+", "-", p).lower() for p in provided}
lines = []
for requirement in metadata.get_all("Requires-Dist") or []:
    spec, _, marker = requirement.partition(";")
    extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
    if extra and extra.group(1) not in extras:
        continue
    marker = re.sub(r"\s*(and\s+)?extra\s*==\s*['\"][^'\"]+['\"]", "", marker).strip()
    project = re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", spec.strip()).group()).lower()
    if project not in skip:
        lines.append(spec.strip() + (f"; {marker}" if marker else ""))
if simulate == "1":
    lines += ["scikit-image", "matplotlib"]
print("\n".join(lines))
PY
read -ra constraints <<< "$CONSTRAINTS"
printf '%s\n' "${constraints[@]}" > "$out.partial/constraints.txt"
cp "$target_file" "$out.partial/target.env"

"$python" -m pip download --quiet --dest "$out.partial" \
  --platform manylinux2014_aarch64 --platform "manylinux_2_28_aarch64" --platform "manylinux_2_17_aarch64" \
  --implementation cp --python-version "$PYTHON_VERSION" --only-binary=:all: \
  --requirement "$out.partial/requirements.txt" --constraint "$out.partial/constraints.txt"

# Until the wheel carries the models as package data, they travel beside it.
models_in_wheel=$("$python" -c 'import sys, zipfile
print(sum(n.endswith(".tflite") for n in zipfile.ZipFile(sys.argv[1]).namelist()))' "$wheel")
if [ "$models_in_wheel" -eq 0 ]; then
  mkdir "$out.partial/models"
  cp "$project"/models/*.tflite "$project"/models/*.json "$out.partial/models/"
fi

rm -rf "$out"
mv "$out.partial" "$out"
echo "wheelhouse $out: $(find "$out" -name '*.whl' | wc -l) wheels for $1 (Python $PYTHON_VERSION, aarch64)"
