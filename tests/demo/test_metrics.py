import re

from skspectra.demo._metrics import run_demo
from skspectra.metrics import METRIC_NAMES

_ROW = (
    r"\s+(\w+)\s+mean \|valence error\| ([\d.]+)"
    r"\s+mean \|10Dq error\| ([\d.]+)"
)


def _errors(lines):
    found = {}
    for line in lines:
        m = re.match(_ROW, line)
        if m:
            found[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    return found


def test_demo_synthetic_beats_guessing():
    lines = []
    run_demo(lines.append, data_dir=None, random_state=0)
    errors = _errors(lines)
    assert set(errors) == set(METRIC_NAMES)
    guess = re.search(r"valence error ([\d.]+), 10Dq error ([\d.]+)", "\n".join(lines))
    guess_valence, guess_cf = float(guess.group(1)), float(guess.group(2))
    # every measure recovers the valence far better than guessing
    assert all(v < 0.3 * guess_valence for v, _ in errors.values())
    # and the best measure recovers 10Dq far better than guessing
    assert min(cf for _, cf in errors.values()) < 0.5 * guess_cf
    assert any("no data folder" in line for line in lines)
    # the embedding finds exactly the neighbours of the callable metric
    assert any("same neighbours: True" in line for line in lines)


def test_demo_real_data(shared_data):
    lines = []
    run_demo(lines.append, data_dir=shared_data, random_state=0)
    text = "\n".join(lines)
    assert "Real Mn K-edge XANES" in text
    rows = re.findall(r"leave-one-out \|valence error\| ([\d.]+)", text)
    assert len(rows) == len(METRIC_NAMES)
    # nearest standards are of close valence (guessing would be off by ~1.2)
    assert min(float(r) for r in rows) <= 0.5
