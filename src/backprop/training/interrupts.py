"""Ctrl-C, SIGTERM and SIGHUP during training: noted at once, acted on between steps."""

import signal
from contextlib import contextmanager

SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(KeyboardInterrupt):
    """Training stopped on a signal; .signal is its number (exit status 128 + signal, by convention)."""

    def __init__(self, signum=signal.SIGINT):
        super().__init__(signal.Signals(signum).name)
        self.signal = int(signum)


@contextmanager
def deferred_signals():
    """Hold SIGINT, SIGTERM and SIGHUP until the current step ends; yields a function raising Interrupted if one came.

    Outside the main thread signals cannot arrive here; the handlers are then left alone.
    """
    received = []
    previous = {}
    try:
        for signum in SIGNALS:
            previous[signum] = signal.signal(signum, lambda number, frame: received.append(number))
    except ValueError:  # not the main thread
        pass

    def check():
        if received:
            raise Interrupted(received[0])

    try:
        yield check
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    check()  # one that came after the last step (during validation, a checkpoint) is not lost


@contextmanager
def raising_signals():
    """SIGTERM and SIGHUP raise Interrupted, as SIGINT raises KeyboardInterrupt, so cleanup code runs.

    Yields the list of signals received: a handler that ran inside a __del__ or a weakref callback has its
    exception swallowed by Python ("Exception ignored in ..."), so the caller checks the list at the end.
    """
    received = []

    def interrupt(number, frame):
        received.append(number)
        raise Interrupted(number)
    previous = {}
    try:
        for signum in SIGNALS[1:]:
            previous[signum] = signal.signal(signum, interrupt)
    except ValueError:  # not the main thread
        pass
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
