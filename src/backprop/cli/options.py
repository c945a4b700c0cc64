"""The command line's flags, built from the option specs (backprop.training.options): one --flag per field.

argparse lives in cli/ only; the specs say what a value may be, this module how a flag reads it.
"""

import argparse
from dataclasses import fields

from ..errors import ConfigError
from ..training.options import SAME, spec_of


def parse_value(spec, text):
    """A command-line string as a value the spec allows (argparse's type=); 'none' where None is allowed."""
    if spec.none and text.lower() == "none":
        return None
    try:
        value = {bool: _parse_bool, int: int, float: float}.get(spec.kind, str)(text)
        return spec.check("value", value)
    except (ValueError, ConfigError):
        raise argparse.ArgumentTypeError(f"must be {spec.describe()}, got {text!r}") from None


def _parse_bool(text):
    if text.lower() in ("true", "yes", "1", "on"):
        return True
    if text.lower() in ("false", "no", "0", "off"):
        return False
    raise ValueError(text)


def cli_default(f):
    """The command line's default of an option field: its own, or the spec's cli_default where that differs."""
    spec = spec_of(f)
    return f.default if spec.cli_default is SAME else spec.cli_default


def cli_defaults(options_class):
    """{name: the command line's default} for the fields of options_class."""
    return {f.name: cli_default(f) for f in fields(options_class)}


def add_arguments(parser, options_class, skip=()):
    """One --flag per field of options_class; defaults stay None (not given), the help says the real one."""
    for f in fields(options_class):
        if f.name not in skip:
            spec = spec_of(f)
            parser.add_argument("--" + f.name.replace("_", "-"), type=lambda text, spec=spec: parse_value(spec, text),
                                default=None, metavar="{" + ",".join(spec.choices) + "}" if spec.choices
                                else f.name.upper(), help=_help(spec, cli_default(f)))


def _help(spec, default):
    """The spec's help, its choices, what 'none' means, and the default in words."""
    if default is None:
        default_text = spec.none
    elif spec.kind is bool:
        default_text = "true" if default else "false"
    else:
        default_text = f"{default:g}" if isinstance(default, float) else str(default)
    choices = f"; {spec.describe()}" if spec.choices else ""
    none = "; 'none': " + spec.none if spec.none and default is not None else ""
    return f"{spec.help}{choices}{none} (default: {default_text})"
