"""What staff read of the presentation-attack checks, by code, in Japanese and English: the LCD's
guidance while the challenge runs, and the result on the LCD and the slip (:meth:`PadVerdict.codes`).

Advice, never a decision: a suspect result asks staff to look at what is held to the camera.
For the counter's message catalogue (:data:`madoguchi.ui.messages.MESSAGES`), which the capture's
screens and the slip read codes from.
"""

from __future__ import annotations

from madoguchi.language import Text

SUSPECT = "pad_suspect"
"""The checks' suspect result among a transaction's notes: drawn as an alert, as prominently as the score."""

TEXTS: dict[str, Text] = {
    # --- the challenge's requests, on the LCD while they are spoken ---
    "pad_blink": Text("まばたきをしてください", "Please blink"),
    "pad_turn_left": Text("顔を左に向けてください", "Turn your head to your left"),
    "pad_turn_right": Text("顔を右に向けてください", "Turn your head to your right"),
    "pad_face_front": Text("正面を向いてください", "Face the camera"),
    # --- the result, on the LCD and the slip ---
    "pad_pass": Text("なりすまし確認：異常なし", "Presentation check: nothing found"),
    SUSPECT: Text(
        "なりすまし確認：写真・画面の提示の疑い（職員が確認）",
        "Presentation check: photo or screen suspected — staff check",
    ),
    "pad_undetermined": Text("なりすまし確認：判定できず", "Presentation check: could not tell"),
    "pad_challenge": Text("指示された動作が確認できません", "The requested movement was not seen"),
    "pad_planarity": Text("顔の動きが平面的です", "The face moved like a flat picture"),
    "pad_moire": Text("画面・印刷の模様（モアレ）があります", "Screen or print pattern (moiré) seen"),
    "pad_banding": Text("画面のちらつき（縞）があります", "Screen flicker bands seen"),
    "pad_frame_edges": Text(
        "顔の周りに写真・端末の縁があります", "Edges of a photo or phone around the face"
    ),
    "pad_blink_timeout": Text("まばたきが確認できません", "No blink when asked"),
    "pad_turn_left_timeout": Text("左を向く動作が確認できません", "No turn to the left when asked"),
    "pad_turn_right_timeout": Text("右を向く動作が確認できません", "No turn to the right when asked"),
    "pad_no_face": Text("確認中に顔が映っていません", "No face during the check"),
    "pad_unfinished": Text("確認の途中で撮影が終わりました", "The capture ended during the check"),
}
