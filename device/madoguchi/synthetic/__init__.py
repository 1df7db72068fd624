"""Synthetic people, cards, forms and camera frames for the simulator, the benchmarks and the tests.

Nothing here runs on the device at a counter. One module a job:

- ``people``: faces (package sample images, LFW), ID-photo framing, pasting a face or a marker
  colour into a box;
- ``printscan``: what print, the scanner glass and the scanner do to a picture;
- ``cards``: ID cards (DocXPand templates or drawn, the simulator's sample card, a plain card);
- ``forms``: application forms (the benchmark's A4 form, the simulator's A5 sample);
- ``scans``: the print-and-scan benchmark's pages, each a pure function of its seed;
- ``frames``: camera frames (still, or visitors swaying at the counter);
- ``families``: the card generator families (one held out of all tuning);
- ``card_faces``: My Number card fronts with their printed text (the OCR benchmark's);
- ``heads``: a photo turned into a head that turns and blinks in 3-D (from the face mesh's depth);
- ``visitors``, ``attacks``, ``scenes``, ``pad_families``: capture sequences for the
  presentation-attack checks (visitors who sway, blink and turn; prints, phones, replayed videos;
  rooms and cameras; generator families with one held out).
"""
