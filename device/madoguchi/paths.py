"""Where madoguchi finds its models and the evaluation data.

The models are package data: they travel inside the wheel (``madoguchi/models``; in a checkout a
link to the top-level ``models/``), and ``[models] dir`` in the config overrides them. Evaluation
data (LFW, ID-card templates) is never installed: it is read from ``$MADOGUCHI_SHARED/data``, else
from ``../shared/data`` beside the checkout.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

SHARED_ENV = "MADOGUCHI_SHARED"
_CHECKOUT = Path(__file__).resolve().parents[2]


def models(override: Path | None = None) -> Path:
    """``override`` (``[models] dir``, ``--models``), else the models installed with the package."""
    return override or Path(str(resources.files("madoguchi") / "models"))


def shared_data() -> Path:
    """``$MADOGUCHI_SHARED/data``, else ``../shared/data`` beside the checkout."""
    shared = os.environ.get(SHARED_ENV)
    return (Path(shared) if shared else _CHECKOUT.parent / "shared") / "data"


def lfw() -> Path:
    """Labeled Faces in the Wild: ``pairs.txt`` and ``images/NAME/NAME_0001.jpg``."""
    return shared_data() / "lfw"


def card_templates() -> Path:
    """DocXPand's ID-card fronts, ``NAME/front.png``."""
    return shared_data() / "id-card-templates"
