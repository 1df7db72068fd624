"""Pure-Python reader for dlib's face-recognition ResNet (``dlib_face_recognition_resnet_model_v1.dat``).

The file is dlib's binary serialization of the network declared in dlib's
``examples/dnn_face_recognition_ex.cpp`` (``anet_type``).  dlib writes a network outside-in: the
loss layer, then one version number per wrapper layer down to the input layer, then each layer's
parameters inside-out.  The stream does not name the wrappers (``tag``/``skip``) nor which tag a
layer refers to, so this reader parses the stream and checks it, layer by layer, against that
architecture (kinds, filter counts, kernel sizes, strides, paddings).  Anything else fails with a
:class:`DatFormatError` saying where and what was expected.

Only numpy is needed.  Layers are returned outside-in, as dlib numbers them (``layer<0>`` is the
loss, the last one is the input).  Convolution weights keep dlib's (out, in, rows, cols) order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "DatFormatError",
    "Layer",
    "face_recognition_architecture",
    "read_face_recognition_model",
    "summarize",
]


class DatFormatError(ValueError):
    """The file is not the dlib face-recognition network this reader understands."""


@dataclass
class Layer:
    """One layer as dlib numbers it.

    ``kind`` is one of ``loss_metric``, ``fc``, ``avg_pool``, ``max_pool``, ``relu``, ``add_prev``,
    ``tag``, ``skip``, ``con``, ``affine``, ``input``.  ``attrs`` holds hyper-parameters (``stride``,
    ``padding``, ``size``, ``tag``, ...), ``weights`` the float32 arrays (``filters``, ``bias``,
    ``gamma``, ``beta``, ``weights``).
    """

    index: int
    kind: str
    attrs: dict[str, Any] = field(default_factory=dict)
    weights: dict[str, np.ndarray] = field(default_factory=dict, repr=False)


# ----------------------------------------------------------------------------------------------
# The architecture (dnn_face_recognition_ex.cpp), outside-in.  Each entry: (kind, attrs).


def _block(n: int, stride: int) -> list[tuple[str, dict[str, Any]]]:
    # BN<con<N,3,3,1,1,relu<BN<con<N,3,3,stride,stride,SUBNET>>>>>, with BN = affine.
    return [
        ("affine", {}),
        ("con", {"filters": n, "size": (3, 3), "stride": (1, 1)}),
        ("relu", {}),
        ("affine", {}),
        ("con", {"filters": n, "size": (3, 3), "stride": (stride, stride)}),
    ]


def _ares(n: int) -> list[tuple[str, dict[str, Any]]]:
    # relu<add_prev1<block<N,affine,1,tag1<SUBNET>>>>
    return [("relu", {}), ("add_prev", {"tag": 1}), *_block(n, 1), ("tag", {"tag": 1})]


def _ares_down(n: int) -> list[tuple[str, dict[str, Any]]]:
    # relu<add_prev2<avg_pool<2,2,2,2,skip1<tag2<block<N,affine,2,tag1<SUBNET>>>>>>>
    return [
        ("relu", {}),
        ("add_prev", {"tag": 2}),
        ("avg_pool", {"size": (2, 2), "stride": (2, 2)}),
        ("skip", {"tag": 1}),
        ("tag", {"tag": 2}),
        *_block(n, 2),
        ("tag", {"tag": 1}),
    ]


def face_recognition_architecture() -> list[tuple[str, dict[str, Any]]]:
    """dlib's ``anet_type`` (dnn_face_recognition_ex.cpp), outside-in: 132 layers."""
    spec: list[tuple[str, dict[str, Any]]] = [
        ("loss_metric", {}),
        ("fc", {"outputs": 128, "bias": False}),
        ("avg_pool", {"size": (0, 0), "stride": (1, 1)}),
    ]
    spec += _ares_down(256)  # alevel0
    spec += _ares(256) + _ares(256) + _ares_down(256)  # alevel1
    spec += _ares(128) + _ares(128) + _ares_down(128)  # alevel2
    spec += _ares(64) + _ares(64) + _ares(64) + _ares_down(64)  # alevel3
    spec += _ares(32) + _ares(32) + _ares(32)  # alevel4
    spec += [
        ("max_pool", {"size": (3, 3), "stride": (2, 2)}),
        ("relu", {}),
        ("affine", {}),
        ("con", {"filters": 32, "size": (7, 7), "stride": (2, 2)}),
        ("input", {"size": (150, 150)}),
    ]
    return spec


def _default_padding(size: tuple[int, int], stride: tuple[int, int]) -> tuple[int, int]:
    """dlib's default padding for con_/max_pool_/avg_pool_: 0 when strided (or global), else size/2."""
    return tuple(0 if s != 1 or k == 0 else k // 2 for k, s in zip(size, stride, strict=True))


# ----------------------------------------------------------------------------------------------
# dlib's primitive encodings (dlib/serialize.h, dlib/cuda/tensor.h).


class _Stream:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def fail(self, what: str) -> DatFormatError:
        return DatFormatError(f"offset {self.pos}: {what}")

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise self.fail(f"file ends early (wanted {n} bytes)")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def peek(self) -> int:
        if self.pos >= len(self.data):
            raise self.fail("file ends early")
        return self.data[self.pos]

    def int(self) -> int:
        """Integer: control byte (bit 7 = negative, low nibble = byte count) then little-endian bytes."""
        ctrl = self.take(1)[0]
        size = ctrl & 0x0F
        if ctrl & 0x70 or not 1 <= size <= 8:
            self.pos -= 1
            raise self.fail(f"bad integer control byte 0x{ctrl:02x}")
        value = int.from_bytes(self.take(size), "little")
        return -value if ctrl & 0x80 else value

    def float(self) -> float:
        """Float: int64 mantissa then int16 exponent (value = mantissa * 2**exponent)."""
        if self.peek() & 0x70:
            raise self.fail("old ASCII float encoding is not supported")
        mantissa, exponent = self.int(), self.int()
        special = {32000: math.inf, 32001: -math.inf, 32002: math.nan}
        return special[exponent] if exponent in special else math.ldexp(mantissa, exponent)

    def bool(self) -> bool:
        ch = self.take(1)
        if ch not in (b"0", b"1"):
            self.pos -= 1
            raise self.fail(f"expected a bool ('0'/'1'), found {ch!r}")
        return ch == b"1"

    def str(self) -> str:
        n = self.int()
        if not 0 <= n <= 256:
            raise self.fail(f"implausible string length {n}")
        raw = self.take(n)
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError as exc:
            raise self.fail(f"non-ASCII string {raw!r}") from exc

    def tensor(self) -> np.ndarray:
        """resizable_tensor: version 2, then n, k, nr, nc, then n*k*nr*nc little-endian float32."""
        version = self.int()
        if version != 2:
            raise self.fail(f"unexpected tensor version {version}")
        shape = tuple(self.int() for _ in range(4))
        if any(d < 0 for d in shape):
            raise self.fail(f"bad tensor shape {shape}")
        count = int(np.prod(shape, dtype=np.int64))
        return np.frombuffer(self.take(4 * count), dtype="<f4").reshape(shape).astype(np.float32)

    def alias(self) -> tuple[int, int, int, int]:
        """alias_tensor: version 1, then n, k, nr, nc (no data)."""
        version = self.int()
        if version != 1:
            raise self.fail(f"unexpected alias_tensor version {version}")
        return tuple(self.int() for _ in range(4))  # type: ignore[return-value]


# ----------------------------------------------------------------------------------------------
# Layer payloads (dlib/dnn/layers.h, input.h, loss.h).


def _read_details(s: _Stream) -> tuple[str, dict[str, Any], dict[str, np.ndarray]]:
    at = s.pos
    name = s.str()
    attrs: dict[str, Any] = {}
    weights: dict[str, np.ndarray] = {}
    if name in ("con_4", "con_5", "con_6"):
        params = s.tensor()
        n_filters, nr, nc, sy, sx, py, px = (s.int() for _ in range(7))
        fshape, bshape = s.alias(), s.alias()
        for _ in range(4):  # learning-rate / weight-decay multipliers
            s.float()
        use_bias = s.bool() if name in ("con_5", "con_6") else True
        if name == "con_6":
            s.bool()  # use_relu (fused relu, unused here)
        flat = params.reshape(-1)
        nf = int(np.prod(fshape))
        if fshape[0] != n_filters or flat.size not in (nf, nf + n_filters):
            raise DatFormatError(f"offset {at}: con_ parameter sizes do not match {fshape}")
        weights["filters"] = flat[:nf].reshape(fshape).copy()
        if use_bias and flat.size == nf + n_filters:
            weights["bias"] = flat[nf:].reshape(bshape).reshape(-1).copy()
        attrs = {"filters": n_filters, "size": (nr, nc), "stride": (sy, sx), "padding": (py, px)}
        return "con", attrs, weights
    if name in ("affine_", "affine_2"):
        params = s.tensor()
        gshape, _bshape = s.alias(), s.alias()
        attrs["mode"] = s.int()
        if name == "affine_2" and s.bool():
            raise DatFormatError(f"offset {at}: disabled affine_ layers are not supported")
        flat = params.reshape(-1)
        k = int(np.prod(gshape))
        weights["gamma"], weights["beta"] = flat[:k].copy(), flat[k : 2 * k].copy()
        return "affine", attrs, weights
    if name == "bn_con2":
        # A trained bn_con read into an affine layer: dlib folds the running statistics in
        # (affine_(const bn_&) in layers.h): gamma' = gamma/sqrt(var+eps), beta' = beta - gamma'*mean.
        params = s.tensor()
        gshape, _bshape = s.alias(), s.alias()
        _means, _invstds = s.tensor(), s.tensor()
        running_means, running_vars = s.tensor().reshape(-1), s.tensor().reshape(-1)
        s.int()  # num_updates
        s.float()  # running_stats_window_size
        for _ in range(4):
            s.float()
        eps = s.float()
        flat = params.reshape(-1)
        k = int(np.prod(gshape))
        gamma = flat[:k] / np.sqrt(running_vars + np.float32(eps))
        weights["gamma"] = gamma.astype(np.float32)
        weights["beta"] = (flat[k : 2 * k] - gamma * running_means).astype(np.float32)
        attrs["from_bn"] = True
        return "affine", attrs, weights
    if name in ("relu_", "relu_2"):
        if name == "relu_2" and s.bool():
            raise DatFormatError(f"offset {at}: disabled relu_ layers are not supported")
        return "relu", attrs, weights
    if name == "add_prev_":
        return "add_prev", attrs, weights
    if name in ("max_pool_2", "avg_pool_2"):
        nr, nc, sy, sx, py, px = (s.int() for _ in range(6))
        attrs = {"size": (nr, nc), "stride": (sy, sx), "padding": (py, px)}
        return name[:-2], attrs, weights
    if name in ("fc_2", "fc_3"):
        n_out, n_in = s.int(), s.int()
        params = s.tensor()
        wshape, _bshape = s.alias(), s.alias()
        bias_mode = s.int()  # 0 = FC_HAS_BIAS, 1 = FC_NO_BIAS
        for _ in range(4):
            s.float()
        if name == "fc_3":
            s.bool()  # use_bias
        flat = params.reshape(-1)
        nw = int(np.prod(wshape))
        weights["weights"] = flat[:nw].reshape(n_in, n_out).copy()  # y = x @ W
        if bias_mode == 0:
            weights["bias"] = flat[nw : nw + n_out].copy()
        attrs = {"outputs": n_out, "inputs": n_in, "bias": bias_mode == 0}
        return "fc", attrs, weights
    raise DatFormatError(f"offset {at}: unsupported layer type {name!r}")


def _read_input(s: _Stream) -> dict[str, Any]:
    name = s.str()
    if name != "input_rgb_image_sized":
        raise s.fail(f"expected input layer 'input_rgb_image_sized', found {name!r}")
    mean = (s.float(), s.float(), s.float())
    rows, cols = s.int(), s.int()
    return {"mean_rgb": mean, "size": (rows, cols), "scale": 1 / 256}


def _starts_input(s: _Stream) -> bool:
    """True if the stream is at the input layer's name (a string, not a wrapper's version number)."""
    save = s.pos
    try:
        n = s.int()
        return n > 5 and s.data[s.pos : s.pos + 5] == b"input"
    except DatFormatError:
        return False
    finally:
        s.pos = save


def _check(layer: Layer, expected: dict[str, Any]) -> None:
    want = dict(expected)
    if layer.kind in ("con", "max_pool", "avg_pool"):
        want["padding"] = _default_padding(want["size"], want["stride"])
    for key, value in want.items():
        got = layer.attrs.get(key)
        got = tuple(got) if isinstance(got, list) else got
        if key != "tag" and got != value:
            raise DatFormatError(f"layer<{layer.index}> ({layer.kind}): {key} is {got}, expected {value}")


def read_face_recognition_model(path: str | Path) -> list[Layer]:
    """Read ``dlib_face_recognition_resnet_model_v1.dat`` into dlib's 132 layers, outside-in.

    Raises :class:`DatFormatError` if the file is not that network in a format this reader knows.
    """
    try:
        return _read(Path(path).read_bytes())
    except DatFormatError as exc:
        raise DatFormatError(
            f"{path}: not dlib's face-recognition ResNet v1 as this reader knows it: {exc}"
        ) from None


def _read(data: bytes) -> list[Layer]:
    s = _Stream(data)
    spec = face_recognition_architecture()

    if s.int() != 1:
        raise s.fail("not a dlib add_loss_layer (version 1) stream")
    loss_name = s.str()
    if loss_name == "loss_metric_2":
        loss = {"margin": s.float(), "distance_threshold": s.float()}
    elif loss_name == "loss_metric_":
        loss = {"margin": 0.1, "distance_threshold": 0.75}
    else:
        raise s.fail(f"expected loss 'loss_metric_', found {loss_name!r}")

    # Wrapper versions, outside-in: add_layer writes 2 (or 3 right above the input), tag/skip 1.
    versions: list[int] = []
    while not _starts_input(s):
        versions.append(s.int())
        if len(versions) > 10_000:
            raise s.fail("no input layer found")
    body = spec[1:-1]
    if len(versions) != len(body):
        raise DatFormatError(
            f"{len(versions)} layers between loss and input, expected {len(body)} (not the dlib "
            "face-recognition ResNet v1)"
        )
    for i, ((kind, _), version) in enumerate(zip(body, versions, strict=True), start=1):
        ok = version == 1 if kind in ("tag", "skip") else version in (2, 3)
        if not ok:
            raise DatFormatError(f"layer<{i}>: wrapper version {version} does not fit a {kind} layer")
    input_attrs = _read_input(s)

    # Payloads, inside-out: add_layer -> details, 3 bools, 3 tensors (+ sample expansion factor
    # for an input-level add_layer of version 3); tag/skip layers write nothing here.
    layers: dict[int, Layer] = {}
    for i in range(len(body), 0, -1):
        kind, expected = body[i - 1]
        if kind in ("tag", "skip"):
            layers[i] = Layer(i, kind, {"tag": expected["tag"]})
            continue
        got_kind, attrs, weights = _read_details(s)
        if got_kind != kind:
            raise DatFormatError(f"layer<{i}>: found {got_kind}, expected {kind}")
        for _ in range(3):
            s.bool()
        for _ in range(3):
            s.tensor()
        if i == len(body) and versions[i - 1] == 3:
            s.int()
        if "tag" in expected:
            attrs["tag"] = expected["tag"]
        layers[i] = Layer(i, kind, attrs, weights)
        _check(layers[i], expected)

    if s.pos != len(data):
        raise s.fail(f"{len(data) - s.pos} unread bytes at the end of the file")
    out = [Layer(0, "loss_metric", loss)]
    out += [layers[i] for i in range(1, len(body) + 1)]
    out.append(Layer(len(body) + 1, "input", input_attrs))
    return out


def summarize(layers: list[Layer]) -> str:
    """One line per layer, like dlib's ``operator<<`` on a network (for eyeballing)."""
    lines = []
    for layer in layers:
        shapes = ", ".join(f"{k}{tuple(v.shape)}" for k, v in layer.weights.items())
        lines.append(f"layer<{layer.index}>\t{layer.kind}\t{layer.attrs}\t{shapes}")
    return "\n".join(lines)


def _main() -> None:
    import sys

    if len(sys.argv) > 1:
        path = sys.argv[1]
    else:
        import face_recognition_models

        path = face_recognition_models.face_recognition_model_location()
    layers = read_face_recognition_model(path)
    print(summarize(layers))
    n_params = sum(w.size for layer in layers for w in layer.weights.values())
    print(f"{len(layers)} layers, {n_params} parameters", file=sys.stderr)


if __name__ == "__main__":
    _main()
