"""Presentation-attack checks during the capture: a photo or a screen held to the camera.

No model: only the face mesh the engine already runs, and the camera frames. Each check is a signal
with its own operating point (:mod:`madoguchi.pad.settings`), switched on or off by ``[pad]``:

- ``challenge`` (:mod:`~madoguchi.pad.challenge`): blink and turn left or right, in random order,
  when asked, within a time limit;
- ``planarity`` (:mod:`~madoguchi.pad.planarity`): the landmarks move by one homography;
- ``moire`` and ``banding`` (:mod:`~madoguchi.pad.screen`): a regular pattern over the face, a
  screen's backlight bands;
- ``frame_edges`` (:mod:`~madoguchi.pad.edges`): a print's or phone's straight edges around the face.

The capture makes one :class:`~.check.PadCheck` per visitor, shows and says its ``request``
while it is not None, feeds it every frame and, at the end, takes its :class:`~.check.PadVerdict`: pass or
suspect, which signals, and their figures. It is advice to staff; the verdict holds codes and
figures about the presentation, no face data. Landmarks kept between frames are zeroed by
``PadCheck.forget()`` (the capture calls it in its ``finally``).

    check = PadCheck(config.pad)
    for each frame at t seconds:
        check.observe(frame, face_or_None, t)
        show/say check.request (a code of madoguchi.pad.challenge.REQUESTS) when not None
        stop when check.done and the capture has a good frame
    verdict = check.verdict()
    verdict.codes()  # for the LCD and the slip
    verdict.audit()  # for the audit record
"""
