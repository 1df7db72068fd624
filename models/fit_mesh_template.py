"""Fit mesh_chip_template.json: where each of the 468 face-mesh points belongs on dlib's 150x150 chip.

dlib's descriptor was trained on chips aligned on dlib's landmarks. Our landmarks are MediaPipe's
face mesh, so the chip is aligned on where the mesh's points fall on dlib's chips, measured on faces:

1. Seed: the five mesh points that match dlib's 5-point annotation (mesh 263, 362, 33, 133, 2) sit
   where dlib's 5-point predictor puts its points, moved by ``SEED_OFFSET_ON_CHIP``: the median
   offsets measured with both landmark sets on the same 745 LFW images (identities
   AJ_Lamas..Bill_Lerach), dlib 20.0.1's `shape_predictor_5_face_landmarks.dat`. The mesh marks
   the outer eye corners about 2 px wider, the inner ones 1 px narrower and the nose 2 px higher.
2. Every face is aligned on those five points; each mesh point's median position over all faces is
   its place on the chip, and its median distance from there (its spread) says how steady it is.
3. Every face is aligned again on all 468 points, each weighted by 1/spread^2, and step 2 is
   repeated on those chips. The result is the template and weights the engine aligns with.

No identity labels are used: only where landmarks fall. The engine only reads the JSON. Run from the
repository root (about 2 minutes on 2 cores for LFW's 13,233 images or its 7,701 pair images):

    python models/fit_mesh_template.py --images ../shared/data/lfw/images
"""

from __future__ import annotations

import argparse
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from madoguchi import paths
from madoguchi.bench.accuracy import read_rgb
from madoguchi.engine import models
from madoguchi.engine.align import CHIP_POINTS, similarity
from madoguchi.engine.detect import BlazeFace, FaceDetector
from madoguchi.engine.landmarks import DLIB_FIVE, FaceMesh
from madoguchi.engine.runtime import TfliteModel

HERE = Path(__file__).resolve().parent
SEED_OFFSET_ON_CHIP = np.array([[1.85, -0.26], [-0.89, -0.59], [-1.83, -0.28], [0.83, -0.62], [-0.10, -2.08]])
SEED_CHIP_POINTS = CHIP_POINTS + SEED_OFFSET_ON_CHIP


class MeshReader:
    """Runs in each worker: the mesh of the face nearest the image centre (LFW centres its subject)."""

    detector: FaceDetector
    mesh: FaceMesh

    @classmethod
    def start(cls, directory: Path) -> None:
        cv2.setNumThreads(1)

        def model(name: str) -> TfliteModel:
            return TfliteModel(models.verified(directory, name))

        cls.detector = FaceDetector(
            BlazeFace.full_range(model(models.DETECTOR)), BlazeFace.short_range(model(models.SHORT_DETECTOR))
        )
        cls.mesh = FaceMesh(model(models.MESH))

    @classmethod
    def read(cls, path: Path) -> np.ndarray | None:
        rgb = read_rgb(path)
        detections = cls.detector.detect(rgb)
        if not detections:
            return None
        centre = np.array([rgb.shape[1], rgb.shape[0]]) / 2
        nearest = min(detections, key=lambda d: float(np.linalg.norm((d.box[:2] + d.box[2:]) / 2 - centre)))
        return cls.mesh.locate(rgb, nearest).points


def on_chips(
    meshes: np.ndarray, template: np.ndarray, weights: np.ndarray | None, on: list[int]
) -> np.ndarray:
    """Every mesh moved onto the chip by the similarity that takes its points ``on`` to ``template``."""
    moved = np.empty_like(meshes, dtype=np.float64)
    for i, mesh in enumerate(meshes):
        to_chip = similarity(mesh[on], template, weights)
        moved[i] = mesh @ to_chip[:, :2].T + to_chip[:, 2]
    return moved


def placed(chips: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median position of each point over all chips, and its median distance from there."""
    centre = np.median(chips, axis=0)
    return centre, np.median(np.linalg.norm(chips - centre, axis=2), axis=0)


def fit(meshes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    seed_points, seed_spread = placed(on_chips(meshes, SEED_CHIP_POINTS, None, list(DLIB_FIVE)))
    every = list(range(meshes.shape[1]))
    points, spread = placed(on_chips(meshes, seed_points, 1 / seed_spread**2, every))
    return points, 1 / spread**2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--images", type=Path, default=paths.lfw() / "images", help="face photos, as <name>/*.jpg"
    )
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    images = sorted(args.images.glob("*/*.jpg"))
    if not images:
        raise SystemExit(f"no images in {args.images}: the template is fitted on LFW (../shared/data/lfw)")
    with ProcessPoolExecutor(args.jobs, initializer=MeshReader.start, initargs=(args.out,)) as pool:
        found = [mesh for mesh in pool.map(MeshReader.read, images, chunksize=32) if mesh is not None]
    points, weights = fit(np.array(found, np.float64))
    template = {
        "about": "face-mesh point positions on dlib's 150x150 chip (padding 0.25) and their weights",
        "fitted_on": f"{len(found)} faces in {len(images)} images of {args.images.name}/ (LFW)",
        "points": [[round(float(x), 4), round(float(y), 4)] for x, y in points],
        "weights": [round(float(w), 5) for w in weights],
    }
    target = args.out / models.CHIP_TEMPLATE
    target.write_text(json.dumps(template, indent=None) + "\n", encoding="utf-8")
    print(f"{target.name}: {len(found)} faces, sha256 {models.record(args.out, models.CHIP_TEMPLATE)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
