"""Seeded junk for the fuzz tests: arrays of every shape, dtype and stride, and things that are not
arrays at all. Each input comes with a short description, so a failure names what broke.

``MADOGUCHI_FUZZ_EXAMPLES`` sets how many inputs each fuzz test tries (default: a CI-sized handful,
seconds in all); e.g. ``MADOGUCHI_FUZZ_EXAMPLES=5000 pytest -s tests/*/test_fuzz_*.py`` for the long
run, which prints the tally of errors by type. ``MADOGUCHI_FUZZ_LONG=1`` gives the harnesses that
have one their own long size instead (``make fuzz-long``).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator

import numpy as np

from madoguchi.errors import MadoguchiError

SIDES = (0, 1, 2, 5, 6, 31, 32, 33, 64, 130, 257, 480)
DTYPES = (np.uint8, np.int8, np.uint16, np.int32, np.float16, np.float32, np.float64, np.bool_, np.complex64)


def examples(default: int, long: int | None = None) -> int:
    """How many inputs: MADOGUCHI_FUZZ_EXAMPLES if set, else ``long`` under MADOGUCHI_FUZZ_LONG=1."""
    if long is not None and os.environ.get("MADOGUCHI_FUZZ_LONG") == "1":
        default = long
    return int(os.environ.get("MADOGUCHI_FUZZ_EXAMPLES", default))


def _values(rng: np.random.Generator, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    kind = np.dtype(dtype).kind
    if kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    if kind in "fc":
        values = rng.normal(0.5, 2.0, shape).astype(dtype)
        special = rng.random(shape) < 0.05
        values[special] = rng.choice([np.nan, np.inf, -np.inf], int(special.sum()))
        return values
    info = np.iinfo(dtype)
    return rng.integers(info.min, int(info.max) + 1, shape, dtype=dtype)


def noise_image(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Random blocks and noise: uint8 RGB, the right type with nothing in it."""
    image = np.full((height, width, 3), rng.integers(0, 256, 3), np.uint8)
    for _ in range(int(rng.integers(0, 6))):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        x1, y1 = x0 + int(rng.integers(1, width + 1)), y0 + int(rng.integers(1, height + 1))
        image[y0:y1, x0:x1] = rng.integers(0, 256, 3)
    noise = rng.normal(0, float(rng.choice([0, 3, 40])), image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def junk(
    rng: np.random.Generator, *, good: Callable[[np.random.Generator], np.ndarray]
) -> tuple[str, object]:
    """One input: mostly wrong arrays; ``good(rng)`` gives a fit image, which is then bent."""
    roll = rng.random()
    if roll < 0.05:
        return "not an array", rng.choice(np.array([None, "page", 3, [[1, 2, 3]], b"\x00"], dtype=object))
    if roll < 0.35:
        ndim = int(rng.integers(0, 5))
        shape = tuple(int(rng.choice(SIDES)) for _ in range(ndim))
        if ndim == 3 and rng.random() < 0.7:
            shape = (*shape[:2], int(rng.choice([1, 2, 3, 4, 5])))
        dtype = DTYPES[int(rng.integers(len(DTYPES)))]
        return f"{np.dtype(dtype).name} {shape}", _values(rng, shape, dtype)
    if roll < 0.45:
        side = int(rng.choice([40_000, 100_000, 2**20]))
        return f"huge {side}x{side} (zero strides)", np.broadcast_to(
            np.zeros((1, 1, 3), np.uint8), (side, side, 3)
        )
    if roll < 0.65:
        height, width = (int(rng.choice(SIDES[3:])) for _ in range(2))
        return f"noise {width}x{height}", noise_image(rng, height, width)
    image = good(rng)
    bend = int(rng.integers(0, 9))
    if bend == 0:
        return "every 2nd pixel", image[::2, ::2]
    if bend == 1:
        return "mirrored (negative strides)", image[::-1, ::-1]
    if bend == 2:
        return "transposed", image.transpose(1, 0, 2)
    if bend == 3:
        return "fortran order", np.asfortranarray(image)
    if bend == 4:
        image.setflags(write=False)
        return "read-only", image
    if bend == 5:
        return "grey", image[..., 1]
    if bend == 6:
        return "rgba", np.dstack([image, np.full(image.shape[:2], 255, np.uint8)])
    if bend == 7:
        return "float 0-1", image.astype(np.float32) / 255
    return "fit", image


class Tally:
    """Counts outcomes by type; an exception not in ``allowed`` (by default any madoguchi error) is a
    foreign exception, and with an invalid result a crash, kept with its input."""

    def __init__(
        self, allowed: type[BaseException] | tuple[type[BaseException], ...] = MadoguchiError
    ) -> None:
        self.allowed = allowed
        self.outcomes: Counter[str] = Counter()
        self.crashes: list[str] = []
        self.foreign = 0
        self.slowest = (0.0, "")

    def run(
        self,
        description: str,
        check: Callable[[object], bool],
        call: Callable,
        *args: object,
        **kwargs: object,
    ) -> None:
        """``call(*args, **kwargs)``: its result must pass ``check``, or it must raise an allowed error."""
        started = time.perf_counter()
        try:
            result = call(*args, **kwargs)
        except self.allowed as error:
            self.outcomes[type(error).__name__] += 1
        except Exception as error:  # the property under test: nothing else escapes
            self.foreign += 1
            self.crashes.append(f"{description}: {type(error).__name__}: {str(error)[:300]}")
        else:
            if check(result):
                self.outcomes["ok"] += 1
            else:
                self.crashes.append(f"{description}: invalid result {result!r:.200}")
        finally:
            took = time.perf_counter() - started
            if took > self.slowest[0]:
                self.slowest = (took, description)

    def summary(self, name: str) -> str:
        tried = sum(self.outcomes.values()) + len(self.crashes)
        counts = ", ".join(f"{kind} {n}" for kind, n in self.outcomes.most_common())
        return (
            f"{name}: {tried} inputs, crashes {len(self.crashes)} (foreign exceptions {self.foreign}); "
            f"{counts}; slowest {self.slowest[0] * 1000:.1f} ms ({self.slowest[1][:120]})"
        )


def seeds(count: int, base: int) -> Iterator[np.random.Generator]:
    for index in range(count):
        yield np.random.default_rng(base + index)
