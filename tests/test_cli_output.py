"""What the command line prints: a line per epoch, numbers that never read as zero, help that states defaults."""

import argparse
import json
import re

import pytest
from conftest import run_cli

from backprop.cli import build_parser


@pytest.mark.slow
def test_per_epoch_lines_with_validation_and_quiet_prints_only_the_result(wine_run, tmp_path):
    _, result = wine_run
    lines = [l for l in result.stdout.splitlines() if l.startswith("epoch ")]
    assert lines and all("val_cost" in l and "val_acc" in l for l in lines)
    quiet = run_cli("train", "--data", "blobs", "--epochs", "2", "--out", "q", "--quiet", cwd=tmp_path)
    assert quiet.stdout.splitlines()[0].startswith("test accuracy") and len(quiet.stdout.splitlines()) == 2


@pytest.mark.parametrize("value", [1e-9, 3.2e-6, 0.000049, 0.5, 123.0, 0.0])
def test_numbers_never_show_zero_for_a_nonzero_value(value):
    from backprop.training.history import number

    text = number(value)
    assert (float(text) == 0) == (value == 0) and abs(float(text) - value) <= 1e-4 * max(abs(value), 1e-300) + 5e-6


# ---- 6. help ----------------------------------------------------------------------------------------
def _actions():
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, parser in sub.choices.items():
        for action in parser._actions:
            if action.option_strings and action.dest != "help":
                yield name, action


@pytest.mark.parametrize("command,action", list(_actions()), ids=lambda v: getattr(v, "dest", v))
def test_every_option_has_help_stating_its_default_once(command, action):
    text = action.help or ""
    assert text.count("(default") == 1 or "required" in text, (command, action.option_strings, text)
    assert "[None]" not in text and "%(default)" not in text


def test_help_text_defaults_are_the_real_ones():
    helps = {f"{c} {a.option_strings[0]}": (a.help, a.default) for c, a in _actions()}
    assert "(default: adam)" in helps["train --optimizer"][0]
    assert "(default: 30)" in helps["train --epochs"][0]
    for key, (text, default) in helps.items():
        stated = re.search(r"\(default: ([^)]*)\)", text or "")
        if stated and default not in (None, False) and isinstance(default, (int, float, str)):
            assert stated.group(1).startswith(f"{default:g}" if isinstance(default, float) else str(default)), key


@pytest.mark.slow
def test_explain_depth_json_is_json(tmp_path):
    result = run_cli("explain", "--depth", "3", "--format", "json", "--plot", "d.png", cwd=tmp_path)
    data = json.loads(result.stdout)
    assert data["depth"] == 3 and len(data["norms"]["sigmoid"]) == 3 and (tmp_path / "d.png").is_file()
