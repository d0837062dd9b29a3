"""``skspectra decompose`` names the lines of each component."""

import re
import sys

import numpy as np
import pytest

from skspectra import cli


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _gauss(e, centre, fwhm):
    return np.exp(-4 * np.log(2) * ((e - centre) / fwhm) ** 2)


def _image(energy, spectra, shape=(12, 12), seed=0):
    """Counts of a two-phase image: phase 0 on the left, phase 1 on the right."""
    rng = np.random.default_rng(seed)
    ny, nx = shape
    left = np.clip(np.linspace(1.2, -0.2, nx), 0, 1)
    maps = np.stack([np.tile(left, (ny, 1)), np.tile(1 - left, (ny, 1))], axis=-1)
    mean = maps @ np.asarray(spectra)
    return rng.poisson(200 * mean / mean.max()).astype(float)


def _component_text(out):
    return [line for line in out.splitlines() if line.startswith("  component")]


@pytest.fixture
def eds_file(tmp_path):
    pytest.importorskip("xraydb")
    e = np.arange(-0.2, 10.0, 0.01)
    zero = 3 * _gauss(e, 0.0, 0.1)
    silicate = zero + _gauss(e, 1.740, 0.08) + 0.6 * _gauss(e, 0.525, 0.06)
    iron = zero + _gauss(e, 6.400, 0.15) + 0.15 * _gauss(e, 7.058, 0.16)
    path = tmp_path / "eds.npz"
    X = _image(e, [silicate + 0.01, iron + 0.01])
    np.savez(path, X=X, energy_keV=e, elements=np.array(["O", "Si", "Fe"]))
    return path


def test_decompose_names_the_lines_of_the_file_elements(capsys, eds_file, tmp_path):
    code, out, err = run(
        capsys,
        "decompose",
        eds_file,
        "--n-components",
        2,
        "--out",
        tmp_path,
        "--no-figure",
        "--quiet",
    )
    assert code == 0, err
    assert "lines of the file's elements: O Si Fe" in out
    lines = _component_text(out)
    assert len(lines) == 2
    si = next(line for line in lines if "Si Ka 1.74" in line)
    fe = next(line for line in lines if "Fe Ka 6.40" in line)
    assert si != fe
    assert "O Ka 0.52" in si and "Fe Kb 7.0" in fe
    # the zero peak and the channels of one line are no peaks of their own
    for line in lines:
        energies = [float(x) for x in re.findall(r" (\d+\.\d{3})", line)]
        assert all(x > 0.15 for x in energies)
        assert np.all(np.diff(sorted(energies)) > 0.05)


def test_decompose_without_xraydb_prints_unnamed_peaks(
    capsys, eds_file, tmp_path, monkeypatch
):
    monkeypatch.setitem(sys.modules, "xraydb", None)
    code, out, err = run(
        capsys,
        "decompose",
        eds_file,
        "--n-components",
        2,
        "--out",
        tmp_path,
        "--no-figure",
        "--quiet",
    )
    assert code == 0, err
    assert 'pip install "skspectra[lines]"' in err
    assert "1.74" in out and "Si Ka" not in out


def test_decompose_names_eels_edges_on_an_ev_axis(capsys, tmp_path):
    pytest.importorskip("xraydb")
    e = np.arange(420.0, 600.0, 0.5)
    titanium = 0.05 + _gauss(e, 461.0, 2.5) + 1.3 * _gauss(e, 466.1, 3.0)
    oxygen = 0.05 + _gauss(e, 532.0, 3.0) + 0.6 * _gauss(e, 541.0, 5.0)
    path = tmp_path / "eels.npz"
    np.savez(
        path,
        X=_image(e, [titanium, oxygen]),
        energy_eV=e,
        elements=np.array(["Ti", "O"]),
    )
    code, out, err = run(
        capsys,
        "decompose",
        path,
        "--n-components",
        2,
        "--out",
        tmp_path,
        "--no-figure",
        "--quiet",
    )
    assert code == 0, err
    lines = _component_text(out)
    assert any("Ti L2,3 461." in line and "Ti L2,3 466." in line for line in lines)
    assert any("O K 532." in line for line in lines)
    assert "lines of the file's elements" not in out


def test_decompose_on_a_channel_axis_prints_positions(capsys, tmp_path):
    ch = np.arange(200.0)
    path = tmp_path / "index.npz"
    a = 0.05 + _gauss(ch, 50, 6)
    b = 0.05 + _gauss(ch, 140, 6)
    np.savez(path, X=_image(ch, [a, b]))
    code, out, err = run(
        capsys,
        "decompose",
        path,
        "--n-components",
        2,
        "--out",
        tmp_path,
        "--no-figure",
        "--quiet",
    )
    assert code == 0, err
    text = " ".join(_component_text(out))
    assert "50.0" in text and "140.0" in text
    assert "?" not in text and "Ka" not in text


def test_decompose_figure_has_file_name_units_and_lines(
    capsys, eds_file, tmp_path, monkeypatch
):
    pytest.importorskip("matplotlib")
    import skspectra.plotting as plotting

    seen = {}
    real = plotting.plot_components

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(plotting, "plot_components", spy)
    code, out, err = run(
        capsys,
        "decompose",
        eds_file,
        "--n-components",
        2,
        "--out",
        tmp_path,
        "--quiet",
    )
    assert code == 0, err
    assert (tmp_path / "eds_npz_decomposition.png").stat().st_size > 1000
    assert seen["title"].startswith("eds.npz: 2 components")
    assert seen["energy_label"] == "energy (keV)"
    assert seen["map_label"] == "counts per pixel"
    named = {str(p.lines[0]) for found in seen["lines"] for p in found}
    assert {"Si Ka", "Fe Ka", "O Ka"} <= named
    assert seen["pixel_size"] is None  # an .npz carries no pixel size


def test_pixel_size_comes_from_the_navigation_axes():
    from skspectra.cli._decompose import _pixel_size

    axis = {"name": "width", "size": 30, "scale": 1.6674, "units": "µm"}
    assert _pixel_size({"navigation_axes": [axis, axis]}, (30, 30)) == (1.6674, "µm")
    assert _pixel_size({}, (30, 30)) == (None, "")
    no_unit = {**axis, "units": "<undefined>"}
    assert _pixel_size({"navigation_axes": [no_unit, no_unit]}, (30, 30)) == (None, "")
