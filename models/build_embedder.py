"""Build ``face_descriptor.tflite``: dlib's face-recognition ResNet v1 as a quantized TFLite model.

Run from the repository root (build machine only; needs the ``models`` extra: TensorFlow, dlib-bin,
face-recognition-models, ai-edge-litert)::

    python models/build_embedder.py [--calibration-dir DIR] [--out models/]

Steps:

1. read ``dlib_face_recognition_resnet_model_v1.dat`` (face_recognition_models) with ``dlib_dat.py``;
2. rebuild the network in TensorFlow (NHWC).  dlib's input normalisation ((x - mean) / 256) and
   every ``affine`` layer are folded into the convolutions; both folds are exact (the first
   convolution has no padding, and each affine directly follows a convolution);
3. export a float TFLite, a dynamic-range int8 TFLite and a full-integer int8 TFLite (uint8 input,
   float32 output), the latter calibrated on dlib face chips;
4. compare every variant with dlib's own ``compute_face_descriptor`` on held-out face chips, time
   it on one thread, write the chosen one to ``<out>/face_descriptor.tflite`` and record its sha256
   in ``<out>/manifest.json``.  The other variants stay in a temporary directory.

Calibration chips: the first image of each of the first identities (sorted by directory name) of
``--calibration-dir`` in which dlib finds a face.  Verification chips: two images each of the
last identities (sorted by name) with at least two images, so the identity sets are disjoint.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from madoguchi import paths
from madoguchi.bench.accuracy import read_rgb
from madoguchi.engine import models
from madoguchi.engine.align import CHIP_SIZE
from madoguchi.engine.runtime import TfliteModel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dlib_dat import Layer, read_face_recognition_model

N_CALIBRATION = 400
N_VERIFY_IDENTITIES = 100  # x 2 images = 200 chips
MAX_BYTES = 6 * 1024 * 1024


# ----------------------------------------------------------------------------------------------
# Face chips made the way dlib / face_recognition make them.


class ChipMaker:
    """dlib's HOG detector + 5-point predictor + ``get_face_chip(size=150, padding=0.25)``."""

    def __init__(self) -> None:
        import dlib
        import face_recognition_models as frm

        self.dlib = dlib
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(frm.pose_predictor_five_point_model_location())

    def chip(self, rgb: np.ndarray) -> np.ndarray | None:
        """The chip of the largest face in ``rgb`` (uint8 HxWx3), or None if no face is found."""
        dets = self.detector(rgb, 1)
        if len(dets) == 0:
            return None
        det = max(dets, key=lambda r: r.area())
        shape = self.predictor(rgb, det)
        return np.asarray(self.dlib.get_face_chip(rgb, shape, size=CHIP_SIZE, padding=0.25), dtype=np.uint8)


@dataclass
class ChipSets:
    calibration: np.ndarray  # (N, 150, 150, 3) uint8
    verification: np.ndarray  # (M, 150, 150, 3) uint8
    verification_ids: list[str]
    description: str


def lfw_chips(root: Path, maker: ChipMaker) -> ChipSets:
    """Calibration and (disjoint) verification chips from an LFW-style ``root/NAME/*.jpg`` tree."""
    identities = sorted(p for p in root.iterdir() if p.is_dir())
    calibration: list[np.ndarray] = []
    used: list[str] = []
    for ident in identities:
        if len(calibration) >= N_CALIBRATION:
            break
        images = sorted(ident.glob("*.jpg"))
        chip = maker.chip(read_rgb(images[0])) if images else None
        if chip is not None:
            calibration.append(chip)
            used.append(ident.name)
    verification: list[np.ndarray] = []
    ids: list[str] = []
    for ident in reversed(identities):
        if len(ids) >= 2 * N_VERIFY_IDENTITIES:
            break
        if ident.name in used:
            continue
        images = sorted(ident.glob("*.jpg"))[:2]
        if len(images) < 2:
            continue
        chips = [maker.chip(read_rgb(p)) for p in images]
        if any(c is None for c in chips):
            continue
        verification += chips  # type: ignore[arg-type]
        ids += [ident.name] * 2
    desc = (
        f"calibration: first image of the first {len(calibration)} identities (sorted by name) of "
        f"{root} with a dlib-detected face ({used[0]} .. {used[-1]}); verification: first two images "
        f"of the last {len(ids) // 2} identities with >= 2 images ({ids[-1]} .. {ids[0]})"
    )
    return ChipSets(np.stack(calibration), np.stack(verification), ids, desc)


def astronaut_chips(maker: ChipMaker) -> ChipSets:
    """Fallback without LFW: chips of scikit-image's astronaut under flips, crops and scalings."""
    import cv2
    from skimage import data

    base = data.astronaut()
    rng = np.random.default_rng(0)
    chips: list[np.ndarray] = []
    for i in range(400):
        img = base[:, ::-1] if i % 2 else base
        h, w = img.shape[:2]
        x0, y0 = rng.integers(0, 60, size=2)
        crop = img[y0 : h - rng.integers(0, 200), x0 : w - rng.integers(0, 200)]
        scale = rng.uniform(0.5, 1.2)
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        gain = rng.uniform(0.7, 1.3)
        crop = np.clip(crop.astype(np.float32) * gain, 0, 255).astype(np.uint8)
        chip = maker.chip(np.ascontiguousarray(crop))
        if chip is not None:
            chips.append(chip)
    if len(chips) < 20:
        raise SystemExit("fallback calibration: dlib found too few faces in the astronaut variants")
    n_cal = (len(chips) * 2) // 3
    return ChipSets(
        np.stack(chips[:n_cal]),
        np.stack(chips[n_cal:]),
        ["astronaut"] * (len(chips) - n_cal),
        f"fallback (no LFW): {len(chips)} chips of skimage.data.astronaut() flipped/cropped/scaled, "
        f"{n_cal} for calibration and the rest for verification",
    )


# ----------------------------------------------------------------------------------------------
# The network in TensorFlow.


def fold_network(layers: list[Layer]) -> list[dict]:
    """Inside-out list of ops with affine layers and the input normalisation folded into convolutions."""
    inner = list(reversed(layers))  # input first
    assert inner[0].kind == "input" and inner[-1].kind == "loss_metric"
    mean = np.asarray(inner[0].attrs["mean_rgb"], dtype=np.float64)
    scale = float(inner[0].attrs["scale"])
    ops: list[dict] = []
    first_conv = True
    for layer in inner[1:-1]:
        if layer.kind == "con":
            w = layer.weights["filters"].astype(np.float64)  # (out, in, r, c)
            b = layer.weights.get("bias", np.zeros(w.shape[0])).astype(np.float64)
            if first_conv:
                # conv((x - mean) * scale) == conv'(x) with w' = w * scale, b' = b - sum(w' * mean);
                # exact only because this convolution does not pad.
                assert layer.attrs["padding"] == (0, 0)
                w = w * scale
                b = b - np.einsum("oirc,i->o", w, mean)
                first_conv = False
            ops.append({"op": "con", "w": w, "b": b, **layer.attrs})
        elif layer.kind == "affine":
            prev = ops[-1]
            if prev["op"] != "con":
                raise ValueError(f"layer<{layer.index}>: affine not directly after a convolution")
            g = layer.weights["gamma"].astype(np.float64)
            prev["w"] = prev["w"] * g[:, None, None, None]
            prev["b"] = prev["b"] * g + layer.weights["beta"].astype(np.float64)
        else:
            ops.append({"op": layer.kind, **layer.attrs, **layer.weights})
    return ops


def make_tf_model(layers: list[Layer]):
    """A ``tf.Module`` whose ``__call__`` maps (1, 150, 150, 3) float32 RGB 0..255 to (1, 128)."""
    import tensorflow as tf

    ops = fold_network(layers)
    for op in ops:
        if op["op"] == "con":
            op["w_tf"] = tf.constant(np.transpose(op["w"], (2, 3, 1, 0)).astype(np.float32))  # HWIO
            op["b_tf"] = tf.constant(op["b"].astype(np.float32))
        if op["op"] == "fc":
            op["w_tf"] = tf.constant(op["weights"].astype(np.float32))

    def pool_padding(op: dict) -> str:
        if op["padding"] != (0, 0):
            raise ValueError(f"pooling padding {op['padding']} not supported")
        return "VALID"

    def add_padded(a, b):
        # dlib's add_prev_: output has the larger of each dimension; the missing part is zeros.
        sa, sb = a.shape.as_list(), b.shape.as_list()
        target = [max(x, y) for x, y in zip(sa, sb, strict=True)]

        def pad(t, s):
            if s == target:
                return t
            return tf.pad(t, [[0, tt - ss] for ss, tt in zip(s, target, strict=True)])

        return pad(a, sa) + pad(b, sb)

    class DlibFaceResNet(tf.Module):
        @tf.function(
            input_signature=[tf.TensorSpec([1, CHIP_SIZE, CHIP_SIZE, 3], tf.float32, name="chip_rgb")]
        )
        def __call__(self, x):
            tags: dict[int, tf.Tensor] = {}
            for op in ops:
                kind = op["op"]
                if kind == "con":
                    (kr, kc), (py, px) = op["size"], op["padding"]
                    if (py, px) == (0, 0):
                        padding = "VALID"
                    elif (py, px) == (kr // 2, kc // 2) and op["stride"] == (1, 1):
                        padding = "SAME"
                    else:
                        raise ValueError(f"conv padding {op['padding']} not supported")
                    x = tf.nn.conv2d(x, op["w_tf"], strides=[1, *op["stride"], 1], padding=padding)
                    x = tf.nn.bias_add(x, op["b_tf"])
                elif kind == "relu":
                    x = tf.nn.relu(x)
                elif kind == "max_pool":
                    x = tf.nn.max_pool2d(x, op["size"], op["stride"], pool_padding(op))
                elif kind == "avg_pool":
                    if op["size"] == (0, 0):
                        x = tf.reduce_mean(x, axis=[1, 2])  # avg_pool_everything -> (1, k)
                    else:
                        x = tf.nn.avg_pool2d(x, op["size"], op["stride"], pool_padding(op))
                elif kind == "tag":
                    tags[op["tag"]] = x
                elif kind == "skip":
                    x = tags[op["tag"]]
                elif kind == "add_prev":
                    x = add_padded(x, tags[op["tag"]])
                elif kind == "fc":
                    x = tf.matmul(tf.reshape(x, [1, -1]), op["w_tf"])
                else:
                    raise ValueError(f"unsupported op {kind}")
            return tf.identity(x, name="descriptor")

    return DlibFaceResNet()


# ----------------------------------------------------------------------------------------------
# Conversion, evaluation.


def convert(module, calibration: np.ndarray, mode: str) -> bytes:
    """TFLite flatbuffer: mode ``float``, ``dynamic`` (int8 weights) or ``int8`` (full integer)."""
    import tensorflow as tf

    fn = module.__call__.get_concrete_function()
    conv = tf.lite.TFLiteConverter.from_concrete_functions([fn], module)
    if mode == "dynamic":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    elif mode == "int8":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]

        def representative():
            for chip in calibration:
                yield [chip[None].astype(np.float32)]

        conv.representative_dataset = representative
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.uint8  # the chip's own bytes; input scale 1, zero point 0
        conv.inference_output_type = tf.float32  # raw descriptor, as dlib gives it
    elif mode != "float":
        raise ValueError(mode)
    return conv.convert()


def raw_descriptor(model: TfliteModel, chip: np.ndarray) -> np.ndarray:
    """The model's raw 128-d output for one uint8 chip, whatever its input dtype."""
    return np.asarray(model.run(chip[None])[0][0], dtype=np.float64)


def time_ms(model: TfliteModel, chip: np.ndarray, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        raw_descriptor(model, chip)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def time_variants(files: list[Path], chip: np.ndarray, rounds: int = 10, per_round: int = 5) -> list[float]:
    """Median ms per invocation on one thread, variants timed in turn so load changes hit all alike."""
    loaded = [TfliteModel(f) for f in files]
    for model in loaded:
        time_ms(model, chip, 5)  # warm-up
    samples: list[list[float]] = [[] for _ in files]
    for _ in range(rounds):
        for model, out in zip(loaded, samples, strict=True):
            out += time_ms(model, chip, per_round)
    return [statistics.median(s) for s in samples]


def pair_distances(desc: np.ndarray) -> np.ndarray:
    iu = np.triu_indices(len(desc), k=1)
    d = np.linalg.norm(desc[:, None, :] - desc[None, :, :], axis=-1)
    return d[iu]


@dataclass
class Report:
    name: str
    path: Path
    max_abs: float
    mean_abs: float
    mean_ddist: float
    max_ddist: float
    genuine_ddist: float
    ms: float
    size: int

    def line(self) -> str:
        return (
            f"{self.name:8s} max|d|={self.max_abs:.2e} mean|d|={self.mean_abs:.2e} "
            f"mean|Δdist|={self.mean_ddist:.2e} max|Δdist|={self.max_ddist:.2e} "
            f"genuine mean|Δdist|={self.genuine_ddist:.2e} {self.ms:7.1f} ms "
            f"{self.size / 1e6:6.2f} MB ({self.size} B)"
        )


def evaluate(name: str, path: Path, chips: np.ndarray, ref: np.ndarray, ids: list[str]) -> Report:
    model = TfliteModel(path)
    ours = np.stack([raw_descriptor(model, c) for c in chips])
    diff = np.abs(ours - ref)
    dd = np.abs(pair_distances(ours) - pair_distances(ref))
    iu = np.triu_indices(len(ids), k=1)
    genuine = np.asarray(ids)[iu[0]] == np.asarray(ids)[iu[1]]
    return Report(
        name,
        path,
        float(diff.max()),
        float(diff.mean()),
        float(dd.mean()),
        float(dd.max()),
        float(dd[genuine].mean()) if genuine.any() else float("nan"),
        float("nan"),  # filled in by time_variants
        path.stat().st_size,
    )


def choose(reports: list[Report], ref_dist: float) -> Report:
    """The variant to ship.

    Candidates fit in MAX_BYTES and keep pair distances within 2% of the typical distance.  The most
    accurate candidate wins unless another is over 15% faster (so timing noise cannot flip the choice).
    """
    ok = [r for r in reports if r.size <= MAX_BYTES and r.mean_ddist <= 0.02 * ref_dist]
    if not ok:
        raise SystemExit("no variant is both small enough and accurate enough")
    accurate = min(ok, key=lambda r: r.mean_ddist)
    fastest = min(ok, key=lambda r: r.ms)
    return fastest if fastest.ms < 0.85 * accurate.ms else accurate


def ship(variant: Path, out: Path) -> Path:
    """Copy the chosen variant to ``out`` as the descriptor model and record its sha256 in the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / models.DESCRIPTOR
    target.write_bytes(variant.read_bytes())
    models.record(out, models.DESCRIPTOR)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calibration-dir", type=Path, default=paths.lfw() / "images")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--work-dir", type=Path, default=None, help="where the variants go (default: temp)")
    args = parser.parse_args(argv)

    import dlib
    import face_recognition_models as frm

    dat = Path(frm.face_recognition_model_location())
    layers = read_face_recognition_model(dat)
    print(f"read {dat.name}: {len(layers)} layers")

    maker = ChipMaker()
    if args.calibration_dir.is_dir():
        sets = lfw_chips(args.calibration_dir, maker)
    else:
        print(f"calibration dir {args.calibration_dir} not found: falling back to skimage astronaut")
        sets = astronaut_chips(maker)
    print(sets.description)
    print(f"{len(sets.calibration)} calibration chips, {len(sets.verification)} verification chips")

    facerec = dlib.face_recognition_model_v1(frm.face_recognition_model_location())
    ref = np.stack([np.asarray(facerec.compute_face_descriptor(c, num_jitters=0)) for c in sets.verification])
    ref_dist = float(pair_distances(ref).mean())
    print(f"dlib: mean pair distance on the verification chips {ref_dist:.4f}")

    module = make_tf_model(layers)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="face_descriptor_"))
    work.mkdir(parents=True, exist_ok=True)
    reports: list[Report] = []
    for mode in ("float", "dynamic", "int8"):
        t0 = time.time()
        path = work / f"face_descriptor_{mode}.tflite"
        path.write_bytes(convert(module, sets.calibration, mode))
        report = evaluate(mode, path, sets.verification, ref, sets.verification_ids)
        print(f"built {mode} in {time.time() - t0:.0f} s", flush=True)
        if mode == "float" and report.max_abs > 1e-4:
            raise SystemExit(f"float model differs from dlib by {report.max_abs:.2e}: architecture is wrong")
        reports.append(report)
    for report, ms in zip(
        reports, time_variants([r.path for r in reports], sets.verification[0]), strict=True
    ):
        report.ms = ms
        print(report.line())

    best = choose(reports, ref_dist)
    target = ship(best.path, args.out)
    print(f"chosen: {best.name} -> {target}")
    print(f"  sha256 {models.sha256(target)} (recorded in {models.MANIFEST}), {target.stat().st_size} bytes")
    shipped = TfliteModel(target)
    print(f"  input {shipped.input_shape} {shipped.input_dtype.name}")
    print(f"  variants left in {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
