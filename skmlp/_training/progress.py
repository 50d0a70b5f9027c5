"""Epoch progress bar, updated between the compiled epochs when ``verbose >= 2``.

tqdm (the ``progress`` extra) and IPython are imported only when a bar is
created, so importing skmlp stays cheap.
"""

from __future__ import annotations

import contextlib
import html
import sys
import time
from collections.abc import Callable
from typing import IO, Any

_BAR_WIDTH = 20  # cells of the built-in bar


def _format_time(seconds: float) -> str:
    """``m:ss`` below an hour, ``h:mm:ss`` above; ``?:??`` when unknown."""
    if not seconds >= 0 or seconds == float("inf"):  # also catches NaN
        return "?:??"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _format_value(value: float) -> str:
    # Fixed point keeps the redrawn line steady; very small or large losses
    # (unscaled regression targets) would lose their digits in it.
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4f}"
    return f"{value:.3e}"  # also "nan" and "inf"


def _in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel, without importing IPython."""
    try:  # fails when IPython is not imported, or is a stub we do not know
        shell = sys.modules.get("IPython").get_ipython()
    except Exception:
        return False
    # Look along the MRO: hosted notebooks (e.g. Colab) subclass the kernel shell.
    return any(cls.__name__ == "ZMQInteractiveShell" for cls in type(shell).__mro__)


class _Line:
    """What the notebook backend displays: the text line, or HTML with a bar."""

    def __init__(self, text: str, epoch: int, total: int) -> None:
        self.text, self.value, self.total = text, min(max(epoch, 0), total), total

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        bar = f'<progress value="{self.value}" max="{self.total}"></progress>'
        return f"{bar} <code>{html.escape(self.text)}</code>"


class EpochProgress:
    """Progress bar over the training epochs.

    The backend is chosen here: ``tqdm.auto.tqdm`` when tqdm can be imported;
    else, in a Jupyter kernel with no ``file`` given, one ``IPython.display``
    output updated in place (no ipywidgets needed); else a text bar on ``file``,
    redrawn with ``\\r`` on a terminal and one line per update otherwise.

    Parameters
    ----------
    total : int
        Number of epochs planned (``max_iter``); training may stop earlier.
    file : file-like, default=None
        Where the bar is written; ``sys.stderr`` when None.
    min_interval : float, default=0.1
        Seconds between two redraws; the first and final epochs, and the state
        left at :meth:`close`, are always shown.
    clock : callable, default=time.monotonic
        Returns the time in seconds; replaceable to test throttling and times.

    Notes
    -----
    Writing never raises: on a closed or broken file the bar turns itself off,
    so that training goes on.
    """

    def __init__(
        self,
        total: int,
        *,
        file: IO[str] | None = None,
        min_interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = max(int(total), 1)
        self.min_interval = float(min_interval)
        self._clock = clock
        self._start = clock()
        self._file: Any = file
        self._state: tuple[int, float, float | None, float] | None = None  # with its time
        self._shown = self._state  # the state last drawn
        self._last_draw = -float("inf")
        self._partial = 0  # length of a "\r" line left without its newline
        self._tty = self._closed = False
        self._bar: Any = None  # the tqdm bar
        self._handle: Any = None  # the notebook's display handle
        self._backend: str | None = "text"  # None: no output, or it failed
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            self._backend = "tqdm"
            # smoothing=0: the ETA from the mean epoch time, as the text bar does
            options = dict(desc="epoch", unit="epoch", leave=True, smoothing=0)
            with self._guard():  # tqdm draws at once, and may fail on a broken file
                self._bar = tqdm(total=self.total, file=file, mininterval=min_interval, **options)
        elif file is None and _in_notebook():
            self._backend = "notebook"
        else:
            self._file = sys.stderr if file is None else file  # may be None (pythonw)
            with self._guard():
                self._tty = bool(getattr(self._file, "isatty", bool)())  # bool() is False

    def update(self, epoch: int, loss: float, validation_score: float | None = None) -> None:
        """Record a completed epoch (counted from 1) and redraw if due.

        Parameters
        ----------
        epoch : int
            Number of epochs completed.
        loss : float
            Training loss of that epoch.
        validation_score : float or None, default=None
            Validation score of that epoch, with early stopping.
        """
        if self._closed or self._backend is None:
            return
        val = None if validation_score is None else float(validation_score)
        now = self._clock()
        self._state = (int(epoch), float(loss), val, now)
        if self._backend == "tqdm":
            postfix = {"loss": _format_value(float(loss))}
            if val is not None:
                postfix["val"] = _format_value(val)
            with self._guard():
                self._bar.set_postfix(postfix, refresh=False)
                self._bar.update(max(int(epoch) - self._bar.n, 0))
        elif epoch >= self.total or now - self._last_draw >= self.min_interval:
            self._draw()

    def write(self, message: str) -> None:
        """Print ``message`` on its own line, keeping the bar intact.

        The latest epoch is shown first, so that a message such as the
        reason training stopped follows the epoch it is about.
        """
        if self._backend == "tqdm":
            with self._guard():
                self._bar.write(message, file=self._file)
            return
        if self._backend is not None and self._state is not self._shown and not self._closed:
            self._draw()
        if self._backend == "notebook":
            print(message, flush=True)  # lands below the display, which stays live
            return
        self._emit(("\n" if self._partial else "") + message + "\n")
        self._partial = 0
        if self._tty and not self._closed and self._shown is not None:
            self._draw()  # the bar goes back under the message

    def close(self) -> None:
        """Show the final state and end the bar; calling it again does nothing."""
        if self._closed:
            return
        self._closed = True
        if self._backend == "tqdm":
            with self._guard():
                self._bar.close()
            return
        if self._backend is not None and self._state is not self._shown:
            self._draw()  # the last epochs may have been throttled away
        if self._partial:
            self._emit("\n")
            self._partial = 0

    def __enter__(self) -> EpochProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _line(self) -> str:
        epoch, loss, val, now = self._state
        elapsed = now - self._start
        left = elapsed / epoch * max(self.total - epoch, 0) if epoch > 0 else float("nan")
        filled = int(_BAR_WIDTH * min(max(epoch, 0) / self.total, 1.0))
        bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        text = f"epoch {epoch}/{self.total} [{bar}] loss {_format_value(loss)}"
        if val is not None:
            text += f" val {_format_value(val)}"
        return text + f" | {_format_time(elapsed)} elapsed, {_format_time(left)} left"

    def _draw(self) -> None:
        line = self._line()
        self._shown, self._last_draw = self._state, self._state[3]
        if self._backend == "notebook":
            shown = _Line(line, self._state[0], self.total)
            with self._guard():
                if self._handle is None:
                    from IPython.display import display

                    self._handle = display(shown, display_id=True)
                else:
                    self._handle.update(shown)
        elif self._tty:
            # Pad with spaces: a shorter line must hide the end of the last one.
            self._emit("\r" + line.ljust(self._partial))
            self._partial = len(line)
        else:
            self._emit(line + "\n")

    def _emit(self, text: str) -> None:
        if self._backend == "text":
            with self._guard():
                self._file.write(text)
                getattr(self._file, "flush", bool)()  # flush is optional on a file-like

    @contextlib.contextmanager
    def _guard(self):
        """Turn the bar off, never training, when its output fails (closed file...)."""
        try:
            yield
        except (AttributeError, ImportError, OSError, ValueError):
            self._backend = None


def progress_bar(verbose, total: int) -> EpochProgress | None:
    """The epoch progress bar of a fit with ``verbose >= 2`` (``total`` epochs), else None."""
    if isinstance(verbose, bool) or verbose < 2:
        return None
    return EpochProgress(total)
