"""Staff's decision, ``madoguchi reprint`` and ``madoguchi day-slip`` through the real daemon on
simulated hardware (the visitor's page and frames are image files, pressed in over the socket)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from control_daemon import COUNTER, Daemon, start
from madoguchi.errors import Refused


def audit_records(daemon: Daemon) -> list[dict]:
    return [json.loads(line) for line in (daemon.box / "audit.jsonl").read_text().splitlines()]


def test_reprint_and_the_day_slip_through_the_daemon(daemon, visitor):
    nothing = daemon.cli("reprint", "--lang", "en")
    assert nothing.returncode == 1 and "no slip has been printed" in nothing.stdout
    assert audit_records(daemon) == []

    pressed, _ = daemon.ask("press", button="start", wait=True, **visitor)
    assert pressed["outcome"] == "scored"
    code, reprint = daemon.cli_json("reprint")
    assert code == 0, reprint
    data = reprint["data"]
    assert (data["transaction"], data["printed"], data["problem"]) == (
        pressed["last_transaction"],
        True,
        None,
    )
    record = audit_records(daemon)[-1]
    assert (record["number"], record["outcome"], record["about"]) == (
        data["record"],
        "reprint",
        data["transaction"],
    )
    assert record["score"] is None and record["slip_printed"] is True
    words = daemon.cli("reprint", "--lang", "ja").stdout
    assert f"処理番号 {data['transaction']:06d} の票を再発行しました" in words

    code, day = daemon.cli_json("day-slip")
    assert code == 0, day
    assert day["data"]["date"] == date.today().isoformat()
    assert (day["data"]["transactions"], day["data"]["at_or_above"], day["data"]["damaged"]) == (1, 1, 0)
    code, before = daemon.cli_json("day-slip", "--date", "2020-01-01")
    assert code == 0 and before["data"]["transactions"] == 0
    assert daemon.cli("day-slip", "--date", "2020-13-01").returncode == 2
    with pytest.raises(Refused) as refused:
        daemon.ask("day_slip", date="yesterday")
    assert refused.value.code == "bad_request"
    _, status = daemon.cli_json("status")
    assert status["data"]["outcomes_today"] == {"scored": 1}  # reprints are not transactions


def test_staff_decision_through_the_daemon(tmp_path, visitor):
    on = COUNTER.replace("decisions = false", "decisions = true").replace(
        "result_seconds = 1.0", "result_seconds = 600"
    )
    assert "decisions = true" in on
    daemon = start(tmp_path / "box", log=tmp_path / "daemon.log", counter=on)
    try:
        scored, _ = daemon.ask("press", button="start", wait=True, **visitor)
        acted, _ = daemon.ask("press", button="cancel", wait=True)  # acted on: the decision is recorded
        assert acted["last_transaction"] == scored["last_transaction"]  # no transaction: a decision
        decision = audit_records(daemon)[-1]
        assert (decision["outcome"], decision["about"], decision["decision"]) == (
            "decision",
            scored["last_transaction"],
            "refused",
        )
        following, _ = daemon.ask("press", button="start", wait=True, **visitor)  # on the confirmation
        assert following["last_transaction"] == decision["number"] + 1
    finally:
        daemon.stop()
