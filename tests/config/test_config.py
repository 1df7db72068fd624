"""config.toml: the example validates, typos and bad values are reported by key and line."""

from __future__ import annotations

import re
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from madoguchi.cli.main import main
from madoguchi.config import Config, load, parse
from madoguchi.config.hardware import HardwareConfig
from madoguchi.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "systemd" / "config.example.toml"
MINIMAL = '[counter]\nmunicipality = "テスト市"\nterminal_id = "test-01"\nthreshold = 60\n'


def test_example_validates():
    config = load(EXAMPLE)
    assert config.counter.threshold == 60
    hardware = config.hardware
    assert (hardware.kind, hardware.printer.width_px, hardware.buttons.start) == ("real", 576, 5)
    assert (hardware.camera.driver, hardware.display.driver, hardware.printer.driver) == (
        "auto",
        "st7789",
        "usb",
    )


def test_example_documents_every_driver_and_key():
    text = EXAMPLE.read_text()
    for device in ("camera", "scanner", "display", "printer", "buttons"):
        table = text.split(f"[hardware.{device}]\n", 1)[1].split("\n[", 1)[0]
        for section in typing.get_args(HardwareConfig.model_fields[device].annotation):
            assert f'"{section.model_fields["driver"].default}"' in table, (device, section)
            for key in section.model_fields:
                assert re.search(rf"^(# )?{key} = ", table, re.MULTILINE), (device, key)


def sections(model) -> list:
    """``model`` and every section under it, each driver's included."""
    found = [model]
    for field in model.model_fields.values():
        for member in typing.get_args(field.annotation) or (field.annotation,):
            if isinstance(member, type) and issubclass(member, BaseModel):
                found += sections(member)
    return found


def test_every_key_has_a_title_a_description_and_bounds():
    for section in sections(Config):
        for key, field in section.model_fields.items():
            assert field.title and field.description, (section, key)
            if field.annotation in (int, float) and key != "spi_speed_hz":  # that one: a list of clocks
                bounds = {type(m).__name__ for m in field.metadata}
                assert {"Ge", "Gt"} & bounds and {"Le", "Lt"} & bounds, (section, key)


def test_minimal_config_takes_defaults(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(MINIMAL)
    config = load(path)
    assert config.counter.mode == "card" and config.counter.language == "ja"
    assert config.storage.audit_path == Path("/var/lib/madoguchi/audit.jsonl")
    assert config.hardware.kind == "auto"
    assert (config.hardware.display.width, config.hardware.display.height) == (240, 320)


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
        "hardware.camera.sorce: unknown key for driver 'auto' (check the spelling) (line 8)",
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
    assert main(["run", "--validate-config", "--config", str(bad)]) == 78  # EX_CONFIG
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
    assert driver == "hardware.printer.driver: must be one of 'usb', 'file', 'virtual', not 'serial' (line 4)"


def problems(tmp_path, extra: str) -> list[str]:
    path = tmp_path / "config.toml"
    path.write_text(MINIMAL + extra)
    with pytest.raises(ConfigError) as caught:
        load(path)
    return str(caught.value).splitlines()[1:]


# Each of these validated once and then crashed the daemon, or was taken for something else.
BAD = [
    (
        "[hardware.printer]\nwidth_px = 0\n",
        "hardware.printer.width_px: Input should be greater than or equal to 192",
    ),
    (
        "[hardware.printer]\nwidth_px = -1\n",
        "hardware.printer.width_px: Input should be greater than or equal",
    ),
    (
        "[hardware.printer]\nwidth_px = 8\n",
        "hardware.printer.width_px: Input should be greater than or equal",
    ),
    (
        "[hardware.printer]\nwidth_px = 100000\n",
        "hardware.printer.width_px: Input should be less than or equal",
    ),
    (
        "[hardware.printer]\nwidth_px = 580\n",
        "hardware.printer.width_px: must be a multiple of 8 (one byte per 8 dots), not 580",
    ),
    (
        '[hardware.printer]\nprofile = "TM-X"\n',
        "hardware.printer.profile: python-escpos has no printer profile",
    ),
    ("[hardware.display]\nwidth = -240\n", "hardware.display.width: Input should be greater than or equal"),
    ("[hardware.display]\nwidth = 480\n", "hardware.display.width: an ST7789 shows at most 240 x 320"),
    (
        "[hardware.display]\nrotation = 1\n",
        "hardware.display.rotation: an ST7789 shows at most 240 x 320 upright; 240 x 320 with rotation 1 is "
        "320 x 240",
    ),
    ("[hardware.display]\nrotation = true\n", "hardware.display.rotation: Input should be a valid integer"),
    ("[hardware.display]\nspi_speed_hz = 12345\n", "hardware.display.spi_speed_hz: must be one of 0.5, 1,"),
    (
        "[hardware.display]\ngpio_dc = 10\n",
        "hardware.display.gpio_dc: GPIO 10 is already the LCD's SPI0 MOSI",
    ),
    ("[hardware.camera]\nwidth = -5\n", "hardware.camera.width: Input should be greater than or equal"),
    (
        "[hardware.buttons]\nstart = 5\nmode = 5\n",
        "hardware.buttons.mode: GPIO 5 is already the start button",
    ),
    (
        "[hardware.buttons]\ncancel = 999\n",
        "hardware.buttons.cancel: Input should be less than or equal to 27",
    ),
    (
        "[hardware.buttons]\nbounce_s = -1\n",
        "hardware.buttons.bounce_s: Input should be greater than or equal",
    ),
    ("[hardware.buttons]\nstart = 25\n", "hardware.buttons.start: GPIO 25 is already the LCD's dc pin"),
    (
        '[hardware.printer]\ndriver = "file"\nusb_vendor = 0x04B8\n',
        "hardware.printer.usb_vendor: a key of driver 'usb', not of 'file'",
    ),
    (
        '[hardware.camera]\ndriver = "opencv"\nnumber = 1\n',
        "hardware.camera.number: a key of driver 'auto' or 'picamera2', not of 'opencv'",
    ),
    (
        '[hardware.scanner]\ndriver = "file"\ndevice = "x"\n',
        "hardware.scanner.device: a key of driver 'sane', not of 'file'",
    ),
    ('[storage]\naudit_path = "/"\n', "storage.audit_path: must name a file, and / is a directory"),
    ('[storage]\naudit_path = "/proc/self/audit"\n', "storage.audit_path: must be on a real file system"),
    ('[storage]\naudit_path = "/sys/audit.jsonl"\n', "storage.audit_path: must be on a real file system"),
    ('[storage]\naudit_path = "/dev/audit.jsonl"\n', "storage.audit_path: must be on a real file system"),
    ('[storage]\naudit_path = "/var/lib/a\\u0000b"\n', "storage.audit_path: must not hold a NUL character"),
    ('[models]\ndir = "/nonexistent/models"\n', "models.dir: /nonexistent/models is not a models directory"),
]


@pytest.mark.parametrize(("extra", "expected"), BAD, ids=[expected.split(":")[0] for _, expected in BAD])
def test_bad_values_name_their_key_and_line(tmp_path, extra, expected):
    (problem,) = problems(tmp_path, extra)
    assert problem.startswith(expected)
    assert problem.endswith(f"(line {MINIMAL.count(chr(10)) + extra.count(chr(10))})")


def test_threshold_must_be_an_integer_not_a_boolean(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(MINIMAL.replace("threshold = 60", "threshold = true"))
    with pytest.raises(ConfigError, match=r"counter\.threshold: Input should be a valid integer \(line 4\)"):
        load(path)


def test_audit_path_that_is_a_directory(tmp_path):
    (problem,) = problems(tmp_path, f'[storage]\naudit_path = "{tmp_path}"\n')
    assert problem == f"storage.audit_path: must name a file, and {tmp_path} is a directory (line 6)"


def test_font_must_exist_and_be_a_font(tmp_path):
    (missing,) = problems(tmp_path, f'font = "{tmp_path / "none.ttf"}"\n')
    assert missing.startswith(f"counter.font: configured font {tmp_path / 'none.ttf'} does not exist")
    text = tmp_path / "notes.ttf"
    text.write_text("not a font")
    (broken,) = problems(tmp_path, f'font = "{text}"\n')
    assert broken.startswith(f"counter.font: {text} is not a font FreeType can load") and "(line 5)" in broken


def test_models_dir_needs_its_manifest(tmp_path):
    (empty,) = problems(tmp_path, f'[models]\ndir = "{tmp_path}"\n')
    assert empty == f"models.dir: {tmp_path} is not a models directory: it has no manifest.json (line 6)"
    (tmp_path / "manifest.json").write_text("{}")
    path = tmp_path / "config.toml"
    path.write_text(MINIMAL + f'[models]\ndir = "{tmp_path}"\n')
    assert load(path).models.dir == tmp_path


@pytest.mark.parametrize("opening", ["[", "{x = "])
def test_deep_nesting_is_refused_with_its_line_before_tomllib(tmp_path, opening):
    closing = "]" if opening == "[" else "}"
    path = tmp_path / "config.toml"
    path.write_text(
        MINIMAL
        + '# a comment with [[[[ and {{{{\ns = "[[[["\n'
        + "deep = "
        + opening * 1000
        + "1"
        + closing * 1000
        + "\n"
    )
    with pytest.raises(ConfigError, match=r"line 7: arrays or tables nested deeper than 32"):
        load(path)


def test_moderate_nesting_and_brackets_in_strings_still_load(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        MINIMAL.replace('"テスト市"', '"[[[{{{ \\" ]]]"')
        + '[hardware.scanner.options]\nsource = """[[[\n{{{"""\n'
    )
    config = load(path)
    assert config.counter.municipality == '[[[{{{ " ]]]'
    assert config.hardware.scanner.options == {"source": "[[[\n{{{"}


def test_oversized_file_is_refused_unread(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(MINIMAL + "#" * (1 << 20))
    with pytest.raises(ConfigError, match="larger than"):
        load(path)


def test_daemon_start_exits_78_on_a_bad_config(tmp_path):
    bad = tmp_path / "config.toml"
    bad.write_text(MINIMAL + "[hardware.buttons]\nstart = 5\nmode = 5\n")
    daemon = subprocess.run(
        [sys.executable, "-m", "madoguchi", "run", "--config", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert daemon.returncode == 78  # EX_CONFIG: systemd does not restart it
    assert "hardware.buttons.mode: GPIO 5 is already the start button (line 7)" in daemon.stderr
    assert "Traceback" not in daemon.stderr


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
