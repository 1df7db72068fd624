"""What the counter says aloud to the visitor, by code, in Japanese and English.

Codes are the guidance codes the capture step already shows on the LCD: the live quality advice of
:mod:`madoguchi.document.quality` (``look_at_camera``, ``move_closer``, ...), the capture's own
``step_in_front`` and ``one_person_only``, and the presentation-attack challenge's requests
(:data:`madoguchi.pad.challenge.REQUESTS`: ``pad_blink``, ``pad_turn_left``, ``pad_turn_right``,
``pad_face_front``). ``capture_start`` and ``capture_done`` open and close the capture.

The sentences are spoken, not read: short, polite, one request each, and addressed to the visitor
(staff's LCD says "too dark"; the visitor is asked to face the light).
"""

from __future__ import annotations

from madoguchi.language import Text

PROMPTS: dict[str, Text] = {
    "capture_start": Text("カメラの方を見てください", "Please look at the camera"),
    "capture_done": Text("ありがとうございました。撮影が終わりました", "Thank you. That is all"),
    # --- the capture's own guidance ---
    "step_in_front": Text("カメラの正面に立ってください", "Please stand in front of the camera"),
    "one_person_only": Text("お一人だけカメラに映るようにしてください", "Only one person at the camera"),
    # --- the quality gate's live advice ---
    "look_at_camera": Text("カメラの方を向いてください", "Please face the camera"),
    "move_closer": Text("もう少しカメラに近づいてください", "Please come a little closer to the camera"),
    "move_back": Text("少し後ろに下がってください", "Please step back a little"),
    "hold_still": Text("そのまま動かないでください", "Please hold still"),
    "face_covered": Text(
        "マスクなどを外して、お顔が見えるようにしてください",
        "Please take off your mask so that your face can be seen",
    ),
    "remove_glare": Text(
        "眼鏡に光が反射しています。少しだけ顔の向きを変えてください",
        "Your glasses reflect the light. Please tilt your head slightly",
    ),
    "too_dark": Text("明るい方に顔を向けてください", "Please turn towards the light"),
    "too_bright": Text("まぶしい光を背にしないでください", "Please keep bright lights out of the back"),
    # --- the presentation-attack challenge ---
    "pad_blink": Text("ゆっくりまばたきをしてください", "Please blink slowly"),
    "pad_turn_left": Text("顔をゆっくり左に向けてください", "Please turn your head slowly to your left"),
    "pad_turn_right": Text("顔をゆっくり右に向けてください", "Please turn your head slowly to your right"),
    "pad_face_front": Text("正面を向いてください", "Now face the camera again"),
}
