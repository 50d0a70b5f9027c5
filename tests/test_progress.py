"""The epoch progress bar: its text, tqdm and notebook backends.

Times come from a fake clock, so throttling and the time estimates are
checked exactly, without sleeping.
"""

import ast
import io
import sys
import types
from pathlib import Path

import pytest

from skmlp._training.progress import EpochProgress, _format_time


class FakeClock:
    """A clock that moves only when the test says so."""

    def __init__(self, t=100.0):
        self.t = t

    def __call__(self):
        return self.t


class TTY(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def no_tqdm(monkeypatch):
    """Make ``import tqdm.auto`` fail, as when tqdm is not installed."""
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)


def screen(text):
    """What a terminal shows for ``text``: ``\\r`` returns to column 0 and overwrites."""
    lines, line, col = [], [], 0
    for char in text:
        if char == "\r":
            col = 0
        elif char == "\n":
            lines.append("".join(line).rstrip())
            line, col = [], 0
        else:
            line[col : col + 1] = [char]
            col += 1
    return lines + ["".join(line).rstrip()]


# -- text backend, not a terminal ---------------------------------------------


def test_text_lines_show_epoch_loss_score_and_times(no_tqdm):
    clock, out = FakeClock(), io.StringIO()
    bar = EpochProgress(10, file=out, min_interval=0.0, clock=clock)
    for epoch, loss, score in [(1, 0.5, None), (2, 0.25, 0.9), (3, 0.1234, 0.9731)]:
        clock.t += 2.0
        bar.update(epoch, loss, score)
    bar.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert "\r" not in out.getvalue() and out.getvalue().endswith("\n")
    assert lines[0].startswith("epoch 1/10 [")
    assert "loss 0.5000" in lines[0] and "val" not in lines[0]
    assert "val 0.9000" in lines[1]
    # 3 epochs of 2 s: 6 s elapsed, 7 epochs left at 2 s each.
    assert (
        lines[2]
        == "epoch 3/10 [######--------------] loss 0.1234 val 0.9731 | 0:06 elapsed, 0:14 left"
    )


def test_text_throttles_and_close_shows_final_state(no_tqdm):
    clock, out = FakeClock(), io.StringIO()
    bar = EpochProgress(100, file=out, min_interval=1.0, clock=clock)
    for epoch in range(1, 11):  # an epoch every 0.25 s, lines at most every 1 s
        clock.t += 0.25
        bar.update(epoch, 1.0 / epoch)
    shown = [line.split()[1] for line in out.getvalue().splitlines()]
    assert shown == ["1/100", "5/100", "9/100"]
    bar.close()
    last = out.getvalue().splitlines()[-1]
    assert last.startswith("epoch 10/100 ") and "loss 0.1000" in last
    assert "| 0:02 elapsed, 0:22 left" in last  # 2.5 s for 10 epochs, 90 to go


def test_final_epoch_is_shown_at_once(no_tqdm):
    clock, out = FakeClock(), io.StringIO()
    bar = EpochProgress(3, file=out, min_interval=60.0, clock=clock)
    for epoch in (1, 2, 3):
        bar.update(epoch, 0.5)
    assert [line.split()[1] for line in out.getvalue().splitlines()] == ["1/3", "3/3"]
    assert "0:00 left" in out.getvalue().splitlines()[-1]
    bar.close()
    assert len(out.getvalue().splitlines()) == 2  # nothing left to show at close


def test_time_format():
    assert _format_time(0) == "0:00"
    assert _format_time(62.9) == "1:02"
    assert _format_time(3723) == "1:02:03"
    assert _format_time(float("nan")) == "?:??"


def test_long_run_shows_hours_and_odd_values(no_tqdm):
    clock, out = FakeClock(), io.StringIO()
    with EpochProgress(4, file=out, clock=clock) as bar:
        clock.t += 3723.0
        bar.update(1, float("nan"), 1.5e-6)
    line = out.getvalue().splitlines()[-1]
    assert "loss nan val 1.500e-06" in line
    assert "| 1:02:03 elapsed, 3:06:09 left" in line


def test_default_file_is_stderr(no_tqdm, monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    with EpochProgress(2) as bar:
        bar.update(1, 0.3)
        bar.write("a message")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "epoch 1/2 " in captured.err and "a message\n" in captured.err


# -- text backend on a terminal -----------------------------------------------


def test_tty_redraws_one_line_and_ends_with_newline(no_tqdm):
    clock, out = FakeClock(), TTY()
    bar = EpochProgress(10, file=out, min_interval=0.0, clock=clock)
    bar.update(1, 12345.678, 0.5)
    bar.update(2, 0.5)  # shorter than the line before it
    text = out.getvalue()
    assert text.count("\r") == 2 and "\n" not in text
    bar.close()
    assert out.getvalue().endswith("\n")
    # The padding hides the end of the longer first line.
    assert screen(out.getvalue()) == [
        "epoch 2/10 [####----------------] loss 0.5000 | 0:00 elapsed, 0:00 left",
        "",
    ]


def test_tty_throttles_but_shows_first_and_final(no_tqdm):
    clock, out = FakeClock(), TTY()
    bar = EpochProgress(5, file=out, min_interval=1.0, clock=clock)
    for epoch in range(1, 6):
        clock.t += 0.1
        bar.update(epoch, 0.5)
    drawn = [part.split()[1] for part in out.getvalue().split("\r") if part]
    assert drawn == ["1/5", "5/5"]


def test_tty_write_puts_message_on_its_own_line(no_tqdm):
    clock, out = FakeClock(), TTY()
    bar = EpochProgress(10, file=out, min_interval=1.0, clock=clock)
    bar.update(1, 0.5)
    clock.t += 0.5
    bar.update(2, 0.25)  # throttled: shown before the message about it
    bar.write("Training loss did not improve. Stopping.")
    bar.close()
    lines = screen(out.getvalue())
    assert lines[0].startswith("epoch 2/10 ")
    assert lines[1] == "Training loss did not improve. Stopping."
    assert lines[2].startswith("epoch 2/10 ")  # the bar is drawn again under it
    assert lines[3:] == [""]  # close ended that line


def test_write_after_close_still_prints(no_tqdm):
    out = TTY()
    bar = EpochProgress(3, file=out, clock=FakeClock())
    bar.update(1, 0.5)
    bar.close()
    bar.write("done")
    assert screen(out.getvalue())[1:] == ["done", ""]


# -- tqdm backend -------------------------------------------------------------


def test_tqdm_backend_shows_postfix():
    pytest.importorskip("tqdm")
    out = io.StringIO()
    with EpochProgress(10, file=out) as bar:
        bar.update(1, 0.5)
        bar.update(2, 0.25, 0.9)
        bar.update(3, 0.1234, 0.9731)
        bar.write("Stopping.")
    text = out.getvalue()
    assert "3/10" in text and "loss=0.1234" in text and "val=0.9731" in text
    assert "Stopping.\n" in text
    assert "[####" not in text  # not the built-in bar


def test_without_tqdm_the_text_bar_is_used(no_tqdm):
    out = io.StringIO()
    with EpochProgress(10, file=out) as bar:
        bar.update(3, 0.1234, 0.9731)
    assert out.getvalue().startswith("epoch 3/10 [")
    assert "loss=" not in out.getvalue()


# -- notebook backend ---------------------------------------------------------


class FakeHandle:
    def __init__(self, obj):
        self.shown = [obj]

    def update(self, obj):
        self.shown.append(obj)


def fake_ipython(monkeypatch, shell_name):
    """Install stand-ins for ``IPython`` and ``IPython.display``; return the displays."""
    shell = type(shell_name, (), {})()
    displays = []

    def display(obj, display_id=False):
        assert display_id is True
        handle = FakeHandle(obj)
        displays.append(handle)
        return handle

    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    display_module = types.ModuleType("IPython.display")
    display_module.display = display
    ipython.display = display_module
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_module)
    return displays


def test_notebook_displays_once_then_updates(no_tqdm, monkeypatch, capsys):
    displays = fake_ipython(monkeypatch, "ZMQInteractiveShell")
    clock = FakeClock()
    with EpochProgress(10, min_interval=1.0, clock=clock) as bar:
        for epoch in (1, 2, 3):
            clock.t += 2.0
            bar.update(epoch, 0.1234 * epoch, 0.97)
        clock.t += 0.5
        bar.update(4, 0.4)  # throttled: shown by the message or at close
        bar.write("Stopping.")
    assert len(displays) == 1
    shown = displays[0].shown
    assert [repr(obj).split()[1] for obj in shown] == ["1/10", "2/10", "3/10", "4/10"]
    assert "loss 0.3702 val 0.9700" in repr(shown[2])
    assert "0:06 elapsed, 0:14 left" in repr(shown[2])
    assert '<progress value="3" max="10">' in shown[2]._repr_html_()
    captured = capsys.readouterr()
    assert captured.out == "Stopping.\n" and captured.err == ""


def test_notebook_shows_final_state_at_close(no_tqdm, monkeypatch):
    displays = fake_ipython(monkeypatch, "ZMQInteractiveShell")
    bar = EpochProgress(10, min_interval=1.0, clock=FakeClock())
    bar.update(1, 0.5)
    bar.update(2, 0.25)
    assert len(displays[0].shown) == 1
    bar.close()
    assert repr(displays[0].shown[-1]).startswith("epoch 2/10 ")


def test_notebook_with_a_file_writes_text_there(no_tqdm, monkeypatch):
    displays = fake_ipython(monkeypatch, "ZMQInteractiveShell")
    out = io.StringIO()
    with EpochProgress(10, file=out) as bar:
        bar.update(1, 0.5)
    assert displays == [] and out.getvalue().startswith("epoch 1/10 ")


def test_terminal_ipython_uses_the_text_bar(no_tqdm, monkeypatch, capsys):
    displays = fake_ipython(monkeypatch, "TerminalInteractiveShell")
    with EpochProgress(10) as bar:
        bar.update(1, 0.5)
    assert displays == []
    assert "epoch 1/10 " in capsys.readouterr().err


# -- robustness ---------------------------------------------------------------


@pytest.fixture(params=["tqdm", "text"])
def either_backend(request, monkeypatch):
    """Run a test with tqdm, then with the text bar."""
    if request.param == "tqdm":
        pytest.importorskip("tqdm")
    else:
        monkeypatch.setitem(sys.modules, "tqdm", None)
        monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    return request.param


def test_closed_file_does_not_raise(either_backend):
    out = io.StringIO()
    bar = EpochProgress(5, file=out, clock=FakeClock())
    bar.update(1, 0.5)
    out.close()
    bar.update(2, 0.25)
    bar.write("Stopping.")
    bar.close()
    bar.close()


def test_closed_before_the_bar_does_not_raise(either_backend):
    out = io.StringIO()
    out.close()
    with EpochProgress(5, file=out, clock=FakeClock()) as bar:
        bar.update(1, 0.5)
        bar.write("message")


def test_failing_file_does_not_raise(either_backend):
    class Broken:
        def write(self, text):
            raise OSError("disk full")

        def flush(self):
            pass

    bar = EpochProgress(5, file=Broken(), clock=FakeClock())
    bar.update(1, 0.5)
    bar.write("message")
    bar.close()


def test_minimal_file(no_tqdm):

    class WriteOnly:  # no flush, no isatty
        def __init__(self):
            self.parts = []

        def write(self, text):
            self.parts.append(text)

    out = WriteOnly()
    with EpochProgress(5, file=out, clock=FakeClock()) as bar:
        bar.update(1, 0.5)
    assert "".join(out.parts).startswith("epoch 1/5 ")


def test_close_twice_and_context_manager(no_tqdm):
    out = io.StringIO()
    with EpochProgress(10, file=out, min_interval=1.0, clock=FakeClock()) as bar:
        bar.update(1, 0.5)
        bar.update(2, 0.25)  # throttled until the block ends
        assert "epoch 2/10" not in out.getvalue()
    assert "epoch 2/10" in out.getvalue()
    text = out.getvalue()
    bar.close()
    bar.update(3, 0.1)  # after close: ignored
    assert out.getvalue() == text


def test_module_imports_no_optional_dependency():
    # tqdm and IPython must be imported only when a bar is created.
    source = (Path(__file__).parents[1] / "skmlp" / "_training" / "progress.py").read_text()
    top_level = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import):
            top_level.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            top_level.add(node.module.split(".")[0])
    assert top_level <= {"__future__", "collections", "contextlib", "html", "sys", "time", "typing"}


# ----------------------------------------------------------------------------
# The estimators' verbose=2


def _digits():
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X[:300]), y[:300]


def _fit(capsys, **params):
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from skmlp import MLPClassifier

    X, y = _digits()
    est = MLPClassifier(hidden_layer_sizes=(16,), random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    out, err = capsys.readouterr()
    return est, out, err


@pytest.mark.parametrize("backend", ["tqdm", "text"])
def test_verbose_2_shows_a_bar_instead_of_the_epoch_lines(capsys, monkeypatch, backend):
    if backend == "tqdm":
        pytest.importorskip("tqdm")
    else:
        monkeypatch.setitem(sys.modules, "tqdm", None)
        monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    est, out, err = _fit(capsys, max_iter=6, tol=0.0, n_iter_no_change=100, verbose=2)
    assert "Iteration" not in out
    final = f"{est.loss_:.4f}"
    if backend == "tqdm":
        assert "6/6" in err and f"loss={final}" in err
    else:
        assert "epoch 6/6 [" in err and f"loss {final}" in err and "left" in err


def test_verbose_2_bar_shows_the_validation_score_and_the_stop_message(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    est, out, err = _fit(capsys, max_iter=500, early_stopping=True, n_iter_no_change=2, verbose=2)
    assert est.n_iter_ < 500
    last = f"epoch {est.n_iter_}/500"
    assert last in err and f"val {est.validation_scores_[-1]:.4f}" in err
    # The reason to stop follows the bar's last epoch, once.
    assert err.count("Stopping.") == 1
    assert err.index(last) < err.index("Stopping.")
    assert "Validation score:" not in out + err


def test_verbose_2_bar_over_lbfgs_iterations(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    est, out, err = _fit(capsys, solver="lbfgs", max_iter=15, verbose=2)
    assert "Iteration" not in out
    assert f"epoch {est.n_iter_}/15" in err


def test_verbose_true_prints_scikit_learns_lines_and_no_bar(capsys):
    est, out, err = _fit(capsys, max_iter=3, verbose=True)
    assert out.count("Iteration") == 3
    assert "epoch" not in err and "3/3" not in err


def test_the_bar_does_not_change_the_model(capsys):
    import numpy as np

    quiet, _, _ = _fit(capsys, max_iter=4, dropout=0.2, batch_norm=True)
    shown, _, _ = _fit(capsys, max_iter=4, dropout=0.2, batch_norm=True, verbose=2)
    np.testing.assert_array_equal(shown._params, quiet._params)
