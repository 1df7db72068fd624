"""The simulator's visitors: the camera sees another picture of the person than their ID photo."""

from __future__ import annotations

import numpy as np

from madoguchi.synthetic.people import Person, another_day, package_people


def picture(person: Person) -> np.ndarray:
    return np.asarray(person.image.convert("RGB"))


def test_another_day_is_the_same_person_and_not_a_copy(engine):
    """Seen on another day (turned, lit, another expression), the card holder is far from a copy's
    distance of 0 (more than a third of the way to a stranger's), and still nearer than the stranger."""
    holder, stranger = package_people()
    reference = picture(holder)
    reference_face = engine.find_one_face(reference, side="reference")

    def distance(person: Person) -> float:
        live = picture(person)
        live_face = engine.find_one_face(live, side="live")
        return engine.compare(reference, reference_face, live, live_face).distance

    try:
        to_stranger = distance(stranger)
        for seed in (0, 1, 5):
            seen = distance(another_day(holder, seed=seed))
            assert to_stranger / 3 < seen < to_stranger, (seed, seen, to_stranger)
    finally:
        engine.forget()
