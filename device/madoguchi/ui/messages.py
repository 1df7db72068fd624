"""Every sentence the counter shows or prints, by code, in Japanese and English.

Codes are what the journal and the audit record keep; the text is only for people. Outcome and
error codes are the ``code`` of the exceptions in :mod:`madoguchi.errors`, as
:mod:`madoguchi.counter.faults` maps them; advice codes match :mod:`madoguchi.document.quality`.
Each reference source brings its own sentences (:data:`madoguchi.counter.sources.SOURCES`), and so
do the presentation-attack checks (:mod:`madoguchi.pad.texts`); they are merged in here.
"""

from __future__ import annotations

from madoguchi.counter.sources import SOURCES
from madoguchi.language import Language, Text
from madoguchi.pad.texts import TEXTS as PAD_TEXTS

MESSAGES: dict[str, Text] = {
    # --- idle and progress ---
    "title": Text("本人確認", "Identity check"),
    "idle": Text("開始ボタンを押してください", "Press START to begin"),
    "mode_hint": Text("切替ボタンで区分を変更できます", "Press MODE to switch"),
    "capturing": Text("撮影中です", "Capturing"),
    "capturing_hint": Text("カメラの正面でお待ちください", "Please look at the camera"),
    "scoring": Text("照合しています", "Comparing"),
    # --- an access code keyed in with the buttons (madoguchi.counter.keypad) ---
    "digits_keys": Text("切替: 数字　開始: 次へ　中止: やめる", "MODE: digit  START: next  CANCEL: stop"),
    "digits_confirm": Text(
        "開始ボタンで1回だけ送信します（切替で修正）", "START sends it once (MODE: correct it)"
    ),
    "digit_blank": Text("切替ボタンで数字を選んでください", "Choose the digit with MODE first"),
    "busy_press": Text(
        "処理中のため、ボタン操作は受け付けませんでした", "Busy: that button press was not taken"
    ),
    "cancel_hint": Text("中止ボタンで取り消せます", "Press CANCEL to stop"),
    "seconds_left": Text("残り{seconds}秒", "{seconds} s left"),
    # --- the result (a score against a threshold; the decision is the staff's) ---
    "score": Text("照合スコア", "Score"),
    "threshold": Text("基準値", "Threshold"),
    "at_or_above": Text("基準以上", "At or above threshold"),
    "below": Text("基準未満", "Below threshold"),
    "staff_decide": Text("最終的な判断は職員が行ってください", "Staff make the final decision"),
    "scored": Text("照合しました", "Compared"),
    "cancelled": Text("中止しました", "Cancelled"),
    "selftest": Text("動作確認（照合なし）", "Self-test (no comparison)"),
    "interrupted": Text("中断（電源断など）", "Interrupted (power lost?)"),
    # --- staff's decision on a score (madoguchi.counter.decision) ---
    "decision_keys": Text("開始:交付 切替:再確認 中止:交付せず", "START issue · MODE check · CANCEL refuse"),
    "decision_recorded": Text("職員の判断を記録しました", "Staff's decision recorded"),
    "decision_not_recorded": Text(
        "記録を保存できないため、判断は記録されていません", "Not recorded: no record can be kept"
    ),
    "issued": Text("交付", "Issued"),
    "second_check": Text("再確認", "Second check"),
    "refused": Text("交付せず", "Not issued"),
    "next_visitor": Text("開始ボタンで次の方の照合を始めます", "START begins the next visitor"),
    # --- the staff menu (madoguchi.counter.menu): CANCEL between visitors ---
    "staff_menu": Text("職員メニュー", "Staff menu"),
    "menu_keys": Text("切替：移動　開始：決定　中止：戻る", "MODE move · START choose · CANCEL back"),
    "menu_reprint": Text("直前の票を再印刷", "Reprint the last slip"),
    "menu_day": Text("本日の集計を印刷", "Print today's figures"),
    "menu_back": Text("戻る", "Back"),
    "nothing_to_reprint": Text("再印刷できる票がありません", "No slip to reprint"),
    "no_slip_yet": Text("まだ印刷していません", "none printed yet"),
    "reprinted": Text("票を再印刷しました", "Slip printed again"),
    "day_printed": Text("本日の集計を印刷しました", "Today's figures printed"),
    "figures_unreadable": Text("記録を読めないため集計できません", "The record cannot be read"),
    # --- the test slip, a reprint and the day slip (madoguchi.ui.slip, madoguchi.ui.day_slip) ---
    "test_slip_title": Text("テスト印刷", "Test print"),
    "test_slip_note": Text(
        "照合は行っていません。来庁者には渡さないでください", "No comparison was made: not for a visitor"
    ),
    "reprint": Text("再発行", "REPRINT"),
    "reprinted_at": Text("再発行日時", "Reprinted"),
    "day_slip_title": Text("集計票", "Day's figures"),
    "day": Text("対象日", "Day"),
    "printed_at": Text("印刷日時", "Printed"),
    "transactions_count": Text("照合件数", "Transactions"),
    "by_outcome": Text("結果別", "By outcome"),
    "by_source": Text("区分別", "By source"),
    "by_decision": Text("職員の判断（照合結果に対して）", "Staff's decisions (on scores)"),
    "undecided": Text("判断の記録なし", "No decision recorded"),
    "issued_below": Text("基準未満で交付", "Issued below threshold"),
    "refused_at_or_above": Text("基準以上で交付せず", "Refused at or above threshold"),
    "histogram": Text("スコア分布（10点刻み）", "Scores (10-point bins)"),
    "reprints": Text("再印刷", "Reprints"),
    "damaged_lines": Text("読めない記録行", "Unreadable record lines"),
    # --- the card photo or form ---
    "blank_page": Text("スキャナーに原稿がありません（白紙）", "The scan is blank"),
    "no_photo": Text("顔写真が見つかりません", "No ID photo found"),
    "several_photos": Text("顔写真が複数あります", "More than one photo found"),
    "photo_too_small": Text("顔写真が小さすぎます", "The ID photo is too small"),
    "photo_cut_off": Text("顔写真が読み取り範囲からはみ出しています", "The ID photo is cut off"),
    "photo_rotated": Text("原稿が傾いています", "The document is rotated"),
    "poor_photo_quality": Text("写真の画質が照合に足りません", "The ID photo is not fit to compare"),
    "unreadable_image": Text("画像を読み取れませんでした", "The image could not be read"),
    "no_face_reference": Text("写真から顔を検出できませんでした", "No face found in the ID photo"),
    "multiple_faces_reference": Text("写真に複数の顔があります", "Several faces in the ID photo"),
    # --- the camera ---
    "no_face_live": Text("カメラに顔が映っていません", "No face in front of the camera"),
    "multiple_faces_live": Text("カメラに複数の人が映っています", "More than one person at the camera"),
    # --- devices ---
    "camera_gone": Text("カメラが応答しません", "The camera is not responding"),
    "scanner_gone": Text("スキャナーが応答しません", "The scanner is not responding"),
    "printer_out_of_paper": Text("レシート用紙がありません", "The printer is out of paper"),
    "printer_error": Text("プリンターが応答しません", "The printer is not responding"),
    "internal_error": Text("予期しないエラーが発生しました", "Unexpected error"),
    # --- at start-up, a device of a real counter not found (kind = "real") ---
    "camera_missing": Text("カメラが見つかりません", "No camera found"),
    "scanner_missing": Text("スキャナーが見つかりません", "No scanner found"),
    "printer_missing": Text("プリンターが見つかりません", "No printer found"),
    "buttons_missing": Text("ボタンが見つかりません", "No buttons found"),
    "retrying": Text("接続を確認しています…", "Checking again…"),
    "clock_implausible": Text(
        "本機の時計が正しくない可能性があります（日時は参考値）",
        "The clock may be wrong: the time is unverified",
    ),
    # --- no audit record can be kept (a full or read-only disk): no score may be given ---
    "audit_unavailable": Text(
        "記録を保存できないため、照合を停止しています", "No record can be kept: comparisons are stopped"
    ),
    "audit_file_changed": Text(
        "記録ファイルの異常のため票を印刷しませんでした", "Slip not printed: the record's file was changed"
    ),
    "audit_recovered": Text(
        "記録ファイルの異常を検出し、新しいファイルで再開しました",
        "The record's file was changed: a new one was begun",
    ),
    # --- quality advice (camera guidance and notes on the slip) ---
    "rescan_600dpi": Text("600dpiで読み取り直してください", "Rescan at 600 dpi"),
    "remove_glare": Text("写真に光の反射があります", "Glare on the ID photo"),
    "look_at_camera": Text("カメラの方を向いてください", "Please face the camera"),
    "move_closer": Text("もう少し近づいてください", "Please come a little closer"),
    "move_back": Text("少し下がってください", "Please step back a little"),
    "too_dark": Text("照明が暗すぎます", "Too dark"),
    "too_bright": Text("逆光または照明が明るすぎます", "Too bright (backlight?)"),
    "hold_still": Text("そのまま動かないでください", "Please hold still"),
    "face_covered": Text("お顔が隠れないようにしてください", "Please uncover your face"),
    "step_in_front": Text("カメラの正面に立ってください", "Please stand in front of the camera"),
    "one_person_only": Text("お一人だけ映るようにしてください", "Only one person, please"),
    # --- slip labels ---
    "slip_title": Text("顔照合結果", "Face comparison"),
    "municipality": Text("自治体", "Municipality"),
    "terminal": Text("端末", "Terminal"),
    "date_time": Text("日時", "Date/time"),
    "transaction": Text("処理番号", "Transaction"),
    "mode": Text("区分", "Mode"),
    "comparison": Text("基準との比較", "Against threshold"),
    "outcome": Text("結果", "Outcome"),
    "notes": Text("備考", "Notes"),
    "key_slip_title": Text(
        "監査記録の検証鍵（設置時に一度だけ印刷）", "Audit record verification key (printed once)"
    ),
    "key_slip_keep": Text(
        "端末台帳に保管してください。この鍵は本機には残りません",
        "Keep it in the fleet record: the key is not kept on this box",
    ),
    "witness": Text("監査記録（直前）", "Audit record (previous)"),
    "no_biometrics": Text("画像・氏名・個人番号は記録していません", "No image, name or card number kept"),
}

# What staff should do next, for each outcome that is not a plain score.
ACTIONS: dict[str, Text] = {
    "cancelled": Text("もう一度始めるときは開始ボタンを押してください", "Press START to begin again"),
    "blank_page": Text(
        "カードは表面、申請書は写真面を下にして置き、もう一度開始してください",
        "Place the card or form face down, then press START again",
    ),
    "poor_photo_quality": Text(
        "下の点を直して読み取り直し、もう一度開始してください",
        "Fix what is listed below, then press START to scan again",
    ),
    "no_photo": Text(
        "原稿を置き直して、もう一度開始してください",
        "Place the document again and press START",
    ),
    "several_photos": Text(
        "スキャナーには原稿を1枚だけ置いてください",
        "Place only one document on the scanner",
    ),
    "photo_too_small": Text(  # shown after the automatic rescan at the highest resolution
        "写真の大きい書類（申請書など）で確認してください",
        "Use a document with a larger photo, such as the application form",
    ),
    "photo_cut_off": Text(
        "原稿をスキャナーの角に合わせて置き直してください",
        "Align the document with the scanner's corner and try again",
    ),
    "photo_rotated": Text(
        "原稿をまっすぐ置き直してください",
        "Place the document straight and try again",
    ),
    "unreadable_image": Text(
        "もう一度開始してください。繰り返す場合は目視で確認してください",
        "Press START again; if it repeats, check by eye",
    ),
    "no_face_reference": Text(
        "原稿を置き直してもう一度開始してください。解決しない場合は目視で確認してください",
        "Place the document again and retry; if it repeats, check by eye",
    ),
    "multiple_faces_reference": Text(
        "写真面だけが読み取られるよう置き直してください",
        "Place the document so only its ID photo is scanned",
    ),
    "no_face_live": Text(
        "来庁者にカメラの正面に立っていただき、もう一度開始してください",
        "Ask the visitor to stand in front of the camera, then press START",
    ),
    "multiple_faces_live": Text(
        "来庁者お一人だけが映るようにして、もう一度開始してください",
        "Make sure only the visitor is in view, then press START",
    ),
    "camera_gone": Text(
        "カメラのケーブルを確認してください。解決しない場合は担当者に連絡してください",
        "Check the camera cable; if it repeats, call the technician",
    ),
    "scanner_gone": Text(
        "スキャナーの電源とケーブルを確認してください",
        "Check the scanner's power and cable",
    ),
    "printer_out_of_paper": Text(
        "用紙を補充してください。結果は画面で確認できます",
        "Load paper; the result is on this screen",
    ),
    "printer_error": Text(
        "プリンターの電源とケーブルを確認してください。結果は画面で確認できます",
        "Check the printer; the result is on this screen",
    ),
    **dict.fromkeys(
        ("camera_missing", "scanner_missing", "printer_missing", "buttons_missing"),
        Text(
            "電源とケーブルを確認してください。つながると自動で始まります。解決しない場合は担当者に連絡してください",
            "Check its power and cable; the counter starts once it is found. If not, call the technician",
        ),
    ),
    "audit_file_changed": Text(
        "結果は画面で確認できます。担当者に連絡してください",
        "The result is on this screen; call the technician",
    ),
    "audit_recovered": Text("担当者に連絡してください", "Call the technician"),
    "audit_unavailable": Text(
        "担当者に連絡してください。記録を保存できるようになると自動で再開します",
        "Call the technician; the counter resumes by itself once the record can be written",
    ),
    "internal_error": Text(
        "もう一度開始してください。繰り返す場合は担当者に連絡してください",
        "Press START again; if it repeats, call the technician",
    ),
}


MESSAGES |= {code: text for kind in SOURCES.values() for code, text in kind.messages.items()}
MESSAGES |= PAD_TEXTS  # the presentation-attack checks' requests and results
ACTIONS |= {code: text for kind in SOURCES.values() for code, text in kind.actions.items()}


def say(code: str, language: Language, **values: object) -> str:
    """The text for ``code``; ``values`` fill its ``{placeholders}``. Unknown codes raise KeyError."""
    text = MESSAGES[code](language)
    return text.format(**values) if values else text


def action(code: str, language: Language) -> str | None:
    """What staff should do after outcome ``code``, or None when there is nothing to do."""
    entry = ACTIONS.get(code)
    return entry(language) if entry else None
