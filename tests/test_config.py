"""config.toml: the example validates, typos and bad values are reported by key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from madoguchi.cli import main
from madoguchi.config import load, parse
from madoguchi.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[1] / "systemd" / "config.example.toml"
MINIMAL = '[counter]\nmunicipality = "テスト市"\nterminal_id = "test-01"\nthreshold = 60\n'


def test_example_validates():
    config = load(EXAMPLE)
    assert config.counter.threshold == 60
    settings = config.hardware.settings()
    assert (settings.kind, settings.printer_width_px, settings.buttons_start) == ("real", 576, 5)


def test_minimal_config_takes_defaults(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(MINIMAL)
    config = load(path)
    assert config.counter.mode == "card" and config.counter.language == "ja"
    assert config.storage.audit_path == Path("/var/lib/madoguchi/audit.jsonl")
    assert config.hardware.settings().kind == "auto"


def test_each_problem_names_key_and_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        MINIMAL.replace("threshold = 60", "threshold = 160\nthreshhold = 60")
        + '\n[hardware.camera]\nsorce = "1"\n\n[storage]\naudit_path = "audit.jsonl"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load(path)
    lines = str(caught.value).splitlines()[1:]
    assert lines == [
        "counter.threshold: Input should be less than or equal to 100 (line 4)",
        "counter.threshhold: unknown key (check the spelling) (line 5)",
        "hardware.camera.sorce: unknown setting (line 8)",
        "storage.audit_path: must be an absolute path, not audit.jsonl (line 11)",
    ]


def test_missing_section_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="counter: Field required"):
        parse({})
    path = tmp_path / "config.toml"
    path.write_text("[counter\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load(tmp_path / "absent.toml")


def test_validate_config_command(tmp_path, capsys):
    assert main(["run", "--validate-config", "--config", str(EXAMPLE)]) == 0
    assert "valid" in capsys.readouterr().out
    bad = tmp_path / "config.toml"
    bad.write_text(MINIMAL + "colour = 1\n")
    assert main(["run", "--validate-config", "--config", str(bad)]) == 1
    assert "colour: unknown key" in capsys.readouterr().err


def test_device_settings_are_type_checked():
    with pytest.raises(ConfigError) as caught:
        parse(
            {
                "counter": {"municipality": "X", "terminal_id": "t", "threshold": 60},
                "hardware": {"camera": {"width": "wide"}, "printer": {"driver": "serial"}},
            },
            text='[hardware.camera]\nwidth = "wide"\n[hardware.printer]\ndriver = "serial"\n',
        )
    width, driver = str(caught.value).splitlines()[1:]
    assert width.startswith("hardware.camera.width: Input should be a valid integer")
    assert width.endswith("(line 2)")
    assert driver == "hardware.printer.driver: Input should be 'usb' or 'file' (line 4)"


def test_chip_section_is_typed_and_the_chip_mode_needs_it():
    base = {"counter": {"municipality": "市", "terminal_id": "t", "threshold": 60}}
    config = parse(base | {"chip": {"enabled": True, "jlis_keys": "/etc/madoguchi/jlis.pem"}})
    assert config.chip.enabled and config.chip.card_timeout == 20.0
    for bad, key in (
        ({"chip": {"jlis_keys": "jlis.pem"}}, "chip.jlis_keys"),
        ({"chip": {"card_timeout": 0}}, "chip.card_timeout"),
        ({"chip": {"enabeld": True}}, "chip.enabeld"),
        ({"counter": base["counter"] | {"mode": "chip"}}, "counter.mode"),
    ):
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            parse(base | bad)
