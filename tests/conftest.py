"""Settings every test module shares."""

import signal

import pytest


@pytest.fixture(autouse=True, scope="session")
def _ctrl_c_raises_keyboard_interrupt():
    """Make SIGINT raise KeyboardInterrupt for the tests that press Ctrl-C.

    Those tests press it with ``_thread.interrupt_main``. A process that a
    non-interactive shell starts in the background inherits SIGINT ignored,
    and Python then leaves it ignored: the simulated Ctrl-C would do nothing
    and those fits would run to ``max_iter``. The default handler is put back
    for the session, and the ignored disposition restored after it.
    """
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, previous)
