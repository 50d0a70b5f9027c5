"""Print the Chebyshev coefficients of ``skmlp.onnx``'s float64 erfc.

ONNX Runtime has no float64 kernel for ``Erf`` or ``Gelu``, so a float64
gelu is built from arithmetic and ``Exp``:

    erfc(t) = exp(-t^2) F(y) / (1 + 2 t),  t >= 0,  y = (t - K) / (t + K),

where ``F(y) = (1 + 2 t) exp(t^2) erfc(t)`` is smooth on ``[-1, 1]`` (it goes
from 1 at t = 0 to 2 / sqrt(pi) as t -> inf), so that a Chebyshev series of
degree 24 in ``y`` with ``K = 3.75`` gives F to one unit in the last place
over the whole half-line (the change of variable is the one of Shepherd and
Laframboise, Math. Comp. 36 (1981)).  The coefficients come from
interpolation at the 25 Chebyshev points, computed with 40 significant
digits (mpmath) and rounded once to float64.

    pip install mpmath && python tests/data/make_erfc_chebyshev.py
"""

K = "3.75"
DEGREE = 24


def main():
    import mpmath as mp  # here, so that pytest's doctest collection can import this file

    mp.mp.dps = 40
    k = mp.mpf(K)
    n = DEGREE + 1
    nodes = [mp.cos(mp.pi * (i + mp.mpf(1) / 2) / n) for i in range(n)]
    values = []
    for y in nodes:
        t = k * (1 + y) / (1 - y)
        values.append((1 + 2 * t) * mp.exp(t * t) * mp.erfc(t))
    for j in range(n):
        s = mp.fsum(v * mp.cos(mp.pi * j * (i + mp.mpf(1) / 2) / n) for i, v in enumerate(values))
        print(f"    {float((2 if j else 1) * s / n)!r},")


if __name__ == "__main__":
    main()
