"""The one place that imports an inference runtime: LiteRT (`ai-edge-litert`), else `tflite-runtime`.

Nothing else in madoguchi knows which one was found. TensorFlow is never imported on the device.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from madoguchi.errors import ModelError
from madoguchi.privacy import wipe

log = logging.getLogger(__name__)


def _interpreter_class() -> type:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter
        except ImportError as exc:
            raise ModelError(
                "no LiteRT runtime: install 'ai-edge-litert' (or 'tflite-runtime' on older systems)"
            ) from exc
        log.info("using tflite-runtime (ai-edge-litert is not installed)")
    return Interpreter


class TfliteModel:
    """A loaded ``.tflite`` model with one input, run on a fixed number of CPU threads."""

    def __init__(self, path: Path, *, threads: int = 1) -> None:
        if not path.is_file():
            raise ModelError(f"model file not found: {path}")
        try:
            self._interpreter: Any = _interpreter_class()(model_path=str(path), num_threads=threads)
            self._interpreter.allocate_tensors()
        except ValueError as exc:
            raise ModelError(f"cannot load model {path.name}: {exc}") from exc
        self.path = path
        (self._input,) = self._interpreter.get_input_details()
        self._outputs = self._interpreter.get_output_details()

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self._input["shape"])

    @property
    def input_dtype(self) -> np.dtype:
        return np.dtype(self._input["dtype"])

    def forget(self) -> None:
        """Run once on zeros, so no tensor in the interpreter's arena still holds the last face."""
        self.run(np.zeros(self.input_shape, self.input_dtype))

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        """Run one inference; outputs come back as copies, in the model's output order."""
        self._interpreter.set_tensor(self._input["index"], tensor.astype(self.input_dtype, copy=False))
        self._interpreter.invoke()
        return [self._interpreter.get_tensor(out["index"]).copy() for out in self._outputs]


def summed_output(model: TfliteModel, inputs: np.ndarray) -> np.ndarray:
    """``model``'s one output summed over ``inputs`` (one inference each, as a batch of one); each
    input tensor and output is zeroed once added, as a face's must be."""
    tensor = np.empty(model.input_shape, np.float32)
    total: np.ndarray | None = None
    try:
        for item in inputs:
            tensor[0] = item
            (output,) = model.run(tensor)
            if total is None:
                total = np.zeros(output.size, np.float32)
            total += output.reshape(-1)
            output.fill(0)
    finally:
        wipe(tensor)
    if total is None:
        raise ValueError("no inputs to run the model on")
    return total
