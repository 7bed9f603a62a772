import numpy as np
import pytest

from analysis.stats.intervals import wilson_interval, z_value


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # Newcombe RG (1998), "Two-sided confidence intervals for the single proportion",
        # Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score, no continuity
        # correction), printed to 4 decimals.
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
    ],
)
def test_wilson_matches_newcombe_table(k, n, low, high):
    lo, hi = wilson_interval(k, n)
    assert round(float(lo), 4) == low
    assert round(float(hi), 4) == high


def test_wilson_closed_form_and_vectorised():
    k = np.array([3, 50, 0])
    n = np.array([10, 100, 0])
    lo, hi = wilson_interval(k, n)
    # closed form: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), z = 1.959964
    z, p = 1.959963984540054, 0.5
    centre = (p + z**2 / 200) / (1 + z**2 / 100)
    half = z * np.sqrt(p * (1 - p) / 100 + z**2 / 40000) / (1 + z**2 / 100)
    assert lo[1] == pytest.approx(centre - half, abs=1e-12)
    assert hi[1] == pytest.approx(centre + half, abs=1e-12)
    assert np.isnan(lo[2]) and np.isnan(hi[2])


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson_interval(5, 3)


def test_z_value():
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    with pytest.raises(ValueError):
        z_value(1.5)
