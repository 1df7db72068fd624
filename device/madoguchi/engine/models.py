"""Where the model files are, and proof they are the ones MODELS.md describes (models/manifest.json)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from madoguchi import paths
from madoguchi.errors import ModelError

DETECTOR = "face_detection_full_range.tflite"
SHORT_DETECTOR = "face_detection_short_range.tflite"
MESH = "face_landmark.tflite"
DESCRIPTOR = "face_descriptor.tflite"
FACERES = "faceres.tflite"
FUSION = "fusion.json"
FUSED_CALIBRATION = "fused_calibration.json"
CHIP_TEMPLATE = "mesh_chip_template.json"
CALIBRATION = "calibration.json"
MANIFEST = "manifest.json"


def models_dir(override: Path | None = None) -> Path:
    """``override``, else the models installed with the package (:func:`madoguchi.paths.models`)."""
    directory = paths.models(override)
    if not (directory / MANIFEST).is_file():
        raise ModelError(f"no {MANIFEST} in the models directory {directory}")
    return directory


def manifest(directory: Path) -> dict[str, str]:
    """Each model file in ``directory`` and its SHA-256, as its manifest lists them."""
    return json.loads((directory / MANIFEST).read_text(encoding="utf-8"))


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified(directory: Path, name: str) -> Path:
    """The path of model file ``name``, after checking its sha256 against the manifest."""
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    path = directory / name
    if name not in manifest:
        raise ModelError(f"{name} is not listed in {directory / MANIFEST}")
    if not path.is_file():
        raise ModelError(f"model file missing: {path}")
    if sha256(path) != manifest[name]:
        raise ModelError(f"{path} does not match its sha256 in {MANIFEST}: corrupt or replaced")
    return path


def record(directory: Path, name: str) -> str:
    """Write ``name``'s sha256 into the manifest (used by the build scripts in models/)."""
    manifest_path = directory / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    manifest[name] = sha256(directory / name)
    manifest_path.write_text(json.dumps(dict(sorted(manifest.items())), indent=2) + "\n", encoding="utf-8")
    return manifest[name]
