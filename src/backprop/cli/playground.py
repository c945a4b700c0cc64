"""`backprop playground`: the browser playground (backprop.learn.playground serves it)."""

from ..learn.playground.command import register, run

__all__ = ["register", "run"]
