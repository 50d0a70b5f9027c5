"""``python -m skmlp``: the wording of its result and the order of its fits.

Nothing here times anything: the wording is a function of the ratio, and the
pairing is driven by fake fits that return fixed durations.
"""

import pytest

from skmlp.__main__ import SAME_SPEED, _paired_times, describe_speed, main


@pytest.mark.parametrize(
    "ratio, words",
    [
        (3.04, "skmlp fits 3.0x faster than scikit-learn"),
        (SAME_SPEED, "skmlp fits 1.1x faster than scikit-learn"),
        (1.09, "skmlp and scikit-learn fit in about the same time (1.09x)"),
        (1.0, "skmlp and scikit-learn fit in about the same time (1.00x)"),
        (0.92, "skmlp and scikit-learn fit in about the same time (0.92x)"),
        (1 / SAME_SPEED, "skmlp fits 1.1x slower than scikit-learn"),
        (0.5, "skmlp fits 2.0x slower than scikit-learn"),
    ],
)
def test_the_result_is_worded_by_its_value(ratio, words):
    assert describe_speed(ratio) == words


def test_no_ratio_is_called_faster_below_one():
    for ratio in [0.2, 0.6, 0.9, 0.99, 1.0]:
        assert "faster" not in describe_speed(ratio)
    for ratio in [1.0, 1.01, 1.5, 4.0, 20.0]:
        assert "slower" not in describe_speed(ratio)


def _fake(name, seconds, calls):
    def fit():
        calls.append(name)
        return seconds

    return fit


def test_pairs_alternate_which_library_fits_first():
    calls = []
    a, b = _paired_times(_fake("a", 0.0, calls), _fake("b", 0.0, calls), 4, 0.0)
    assert calls == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert len(a) == len(b) == 4


def test_more_pairs_run_until_the_time_budget_is_spent():
    calls = []
    a, b = _paired_times(_fake("a", 1.0, calls), _fake("b", 2.0, calls), 2, 20.0)
    # 3 s a pair: 2 pairs take 6 s, the 7th pair brings the total to 21 s.
    assert len(a) == len(b) == 7
    assert a.sum() + b.sum() >= 20.0


def test_the_pairs_stop_at_the_cap():
    calls = []
    a, _ = _paired_times(_fake("a", 0.0, calls), _fake("b", 0.0, calls), 1, 1.0, max_pairs=5)
    assert len(a) == 5


def test_main_prints_the_table_and_one_worded_result(capsys):
    main(["--hidden", "8", "--max-iter", "2", "--repeats", "2", "--min-seconds", "0"])
    out = capsys.readouterr().out
    assert "skmlp " in out and "scikit-learn " in out
    verdicts = [line for line in out.splitlines() if "median of 2 alternating pairs" in line]
    assert len(verdicts) == 1
    assert any(word in verdicts[0] for word in ["faster", "slower", "about the same"])
