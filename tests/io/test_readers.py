"""Tests of the MSA/XDI readers and the extension dispatch."""

import builtins
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skspectra.io import Spectrum, read_msa, read_spectrum, read_xdi

MSA_HEADER = """#FORMAT      : EMSA/MAS Spectral Data File
#VERSION     : 1.0
#TITLE       : test
#NPOINTS     : {n}
#NCOLUMNS    : {ncol}
#XUNITS      : eV
#YUNITS      : counts
#DATATYPE    : {dtype}
#XPERCHAN    : {step}
#OFFSET      : {offset}
#BEAMKV   -kV: 200.0
#SPECTRUM    : Spectral Data Starts Here
"""


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


# --- MSA -----------------------------------------------------------------


@pytest.mark.parametrize("sep", [", ", " ", "\t", ",", " , "])
def test_msa_xy_separators(tmp_path, sep):
    energy = 100.0 + 0.5 * np.arange(6)
    counts = np.array([3.0, 1.5, 2.25, 1e4, -7.0, 0.0])
    pairs = zip(energy.tolist(), counts.tolist(), strict=True)
    body = "".join(f"{e!r}{sep}{c!r}\n" for e, c in pairs)
    text = MSA_HEADER.format(n=6, ncol=1, dtype="XY", step=0.5, offset=100.0)
    path = _write(tmp_path, "a.msa", text + body + "#ENDOFDATA   : End\n")
    spec = read_msa(path)
    assert isinstance(spec, Spectrum)
    np.testing.assert_array_equal(spec.energy, energy)
    np.testing.assert_array_equal(spec.intensity, counts)
    assert spec.header["NPOINTS"] == 6
    assert spec.header["BEAMKV"] == 200.0
    assert spec.header["units"] == {"BEAMKV": "kV"}
    assert spec.header["energy_units"] == "eV"


@pytest.mark.parametrize("ncol", [1, 3, 5])
def test_msa_y_data_builds_axis_from_offset_and_xperchan(tmp_path, ncol):
    counts = np.arange(11, dtype=float) ** 2
    lines = []
    for start in range(0, counts.size, ncol):
        chunk = counts[start : start + ncol]
        lines.append(", ".join(repr(v) for v in chunk.tolist()) + ",")  # trailing comma
    text = MSA_HEADER.format(n=11, ncol=ncol, dtype="Y", step=0.25, offset=-3.0)
    path = _write(tmp_path, "y.msa", text + "\n".join(lines) + "\n#ENDOFDATA : \n")
    energy, intensity, header = read_msa(path)
    np.testing.assert_allclose(energy, -3.0 + 0.25 * np.arange(11))
    np.testing.assert_array_equal(intensity, counts)
    assert header["DATATYPE"] == "Y"


def test_msa_xy_several_intensity_columns(tmp_path):
    text = MSA_HEADER.format(n=3, ncol=2, dtype="XY", step=1, offset=0)
    body = "0, 1, 10\n1, 2, 20\n2, 3, 30\n"
    _, intensity, _ = read_msa(_write(tmp_path, "m.msa", text + body))
    np.testing.assert_array_equal(intensity, [[1, 10], [2, 20], [3, 30]])


def test_msa_malformed_line_names_file_and_line(tmp_path):
    text = MSA_HEADER.format(n=3, ncol=1, dtype="XY", step=1, offset=0)
    path = _write(tmp_path, "bad.msa", text + "0, 1\n1, oops\n2, 3\n")
    with pytest.raises(ValueError, match=r"bad\.msa: line 14: cannot read 'oops'"):
        read_msa(path)


def test_msa_errors(tmp_path):
    good = MSA_HEADER.format(n=3, ncol=1, dtype="XY", step=1, offset=0)
    with pytest.raises(ValueError, match="NPOINTS' says 3 points but the data hold 2"):
        read_msa(_write(tmp_path, "n.msa", good + "0, 1\n1, 2\n"))
    with pytest.raises(ValueError, match="line 14: 3 values where the first"):
        read_msa(_write(tmp_path, "w.msa", good + "0, 1\n1, 2, 3\n2, 1\n"))
    with pytest.raises(ValueError, match="no '#SPECTRUM' line"):
        read_msa(_write(tmp_path, "s.msa", "#FORMAT : EMSA\n#NPOINTS : 1\n"))
    with pytest.raises(ValueError, match="no spectrum data"):
        read_msa(_write(tmp_path, "e.msa", good + "#ENDOFDATA : \n"))
    no_step = good.replace("#XPERCHAN    : 1\n", "").replace("XY", "Y")
    with pytest.raises(ValueError, match="needs a numeric '#XPERCHAN'"):
        read_msa(_write(tmp_path, "x.msa", no_step + "1, 2, 3\n"))
    with pytest.raises(ValueError, match="unknown '#DATATYPE' 'XYZ'"):
        read_msa(_write(tmp_path, "d.msa", good.replace("XY", "XYZ") + "1, 2\n"))
    with pytest.raises(ValueError, match="data before the '#SPECTRUM' line"):
        read_msa(_write(tmp_path, "b.msa", "#FORMAT : EMSA\n1, 2\n#SPECTRUM :\n"))


@given(
    counts=arrays(
        np.float64,
        st.integers(1, 40),
        elements=st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False),
    ),
    offset=st.floats(-100, 1000, allow_nan=False),
    step=st.floats(0.01, 5),
)
def test_msa_round_trip(tmp_path_factory, counts, offset, step):
    # what is written with full precision is read back exactly
    energy = offset + step * np.arange(counts.size)
    text = MSA_HEADER.format(n=counts.size, ncol=1, dtype="XY", step=step, offset=0)
    pairs = zip(energy.tolist(), counts.tolist(), strict=True)
    body = "".join(f"{e!r}, {c!r}\n" for e, c in pairs)
    path = tmp_path_factory.mktemp("rt") / "r.msa"
    path.write_text(text + body)
    spec = read_msa(path)
    np.testing.assert_array_equal(spec.energy, energy)
    np.testing.assert_array_equal(spec.intensity, counts)


def test_msa_real_files(shared_data):
    e, counts, header = read_msa(shared_data / "eels" / "srtio3_core_loss.msa")
    assert e.shape == counts.shape == (1024,)
    assert e[0] == pytest.approx(357.5) and e[-1] == pytest.approx(664.4, abs=0.01)
    assert np.all(np.diff(e) > 0)
    np.testing.assert_allclose(np.diff(e), 0.3, atol=2e-4)  # 7 printed digits
    assert header["energy_units"] == "eV" and header["DATATYPE"] == "XY"
    for name in ["film", "oxygen_vacancies", "brownmillerite"]:
        e, counts, header = read_msa(shared_data / "eels" / f"lsmo_mn_l23_{name}.msa")
        assert e.size == header["NPOINTS"]
        # the axis recorded in the header agrees with the XY energies
        np.testing.assert_allclose(
            e, header["OFFSET"] + header["XPERCHAN"] * np.arange(e.size), atol=1e-6
        )


# --- XDI -----------------------------------------------------------------

XDI_TEXT = """# XDI/1.0 GSE/1.0
# Column.1: energy eV
# Column.2: {c2}
# Column.3: {c3}
# Element.symbol: Fe
# Element.edge: K
# Beamline.gain: 5 || PV1
# Beamline.gain: nA/V || PV2
# ///
# a free comment: with a colon
#------
# energy {c2} {c3}
7100.0  {a0}  {b0}
7101.0  {a1}  {b1}
7102.5  {a2}  {b2}
"""


def test_xdi_transmission(tmp_path):
    text = XDI_TEXT.format(
        c2="i0", c3="itrans", a0=10.0, b0=5.0, a1=10.0, b1=2.0, a2=8.0, b2=1.0
    )
    energy, mu, header = read_xdi(_write(tmp_path, "t.xdi", text))
    np.testing.assert_array_equal(energy, [7100.0, 7101.0, 7102.5])
    np.testing.assert_allclose(mu, np.log([2.0, 5.0, 8.0]))
    assert header["mu_source"] == "ln(i0/itrans)"
    assert header["Element.symbol"] == "Fe"
    assert header["Beamline.gain"] == ["5 || PV1", "nA/V || PV2"]
    assert header["comments"] == ["a free comment: with a colon"]
    assert header["version"] == "1.0"
    np.testing.assert_array_equal(header["columns"]["i0"], [10.0, 10.0, 8.0])
    assert header["energy_units"] == "eV"


def test_xdi_fluorescence_and_mu_columns(tmp_path):
    text = XDI_TEXT.format(
        c2="i0", c3="ifluor", a0=10.0, b0=5.0, a1=10.0, b1=2.0, a2=8.0, b2=1.0
    )
    _, mu, header = read_xdi(_write(tmp_path, "f.xdi", text))
    np.testing.assert_allclose(mu, [0.5, 0.2, 0.125])
    assert header["mu_source"] == "ifluor/i0"
    text = XDI_TEXT.format(
        c2="mutrans", c3="i0", a0=0.1, b0=5.0, a1=0.7, b1=2.0, a2=1.1, b2=1.0
    )
    _, mu, header = read_xdi(_write(tmp_path, "m.xdi", text))
    np.testing.assert_array_equal(mu, [0.1, 0.7, 1.1])
    assert header["mu_source"] == "mutrans"
    with pytest.raises(ValueError, match="cannot form the absorption mu"):
        read_xdi(_write(tmp_path, "m.xdi", text), mode="fluorescence")


def test_xdi_angle_column_gives_energy(tmp_path):
    # Bragg's law: E = h c / (2 d sin(theta)); Si(111) d = 3.13555 A
    theta = np.array([16.0, 15.9])
    text = (
        "# XDI/1.0\n# Column.1: angle degrees\n# Column.2: mutrans\n"
        "# Mono.d_spacing: 3.13555\n#---\n" + "".join(f"{t} 1.0\n" for t in theta)
    )
    energy, _, _ = read_xdi(_write(tmp_path, "a.xdi", text))
    expected = 12398.419843320026 / (2 * 3.13555 * np.sin(np.radians(theta)))
    np.testing.assert_allclose(energy, expected)
    assert 7170 < energy[0] < 7175  # just above the Fe K edge


def test_xdi_errors(tmp_path):
    ok = dict(c2="i0", c3="itrans", a0=1, b0=1, a1=1, b1=1, a2=1, b2=1)
    text = XDI_TEXT.format(**ok)
    with pytest.raises(ValueError, match=r"x\.xdi: line 14: cannot read the data"):
        read_xdi(_write(tmp_path, "x.xdi", text.replace("7101.0", "7101.0x")))
    with pytest.raises(ValueError, match="line 15: 2 values where the first"):
        read_xdi(_write(tmp_path, "x.xdi", text.replace("7102.5  1", "7102.5")))
    with pytest.raises(ValueError, match="not an '# XDI/x.y' version line"):
        read_xdi(_write(tmp_path, "x.xdi", text.replace("# XDI/1.0 GSE/1.0\n", "")))
    with pytest.raises(ValueError, match="no data rows"):
        read_xdi(_write(tmp_path, "x.xdi", text.split("7100.0")[0]))
    with pytest.raises(ValueError, match="i0/itrans is not positive"):
        bad = XDI_TEXT.format(**{**ok, "b1": 0})
        read_xdi(_write(tmp_path, "x.xdi", bad))
    with pytest.raises(ValueError, match="mode must be"):
        read_xdi(_write(tmp_path, "x.xdi", text), mode="tey")


def test_xdi_real_files_agree_with_their_columns(shared_data):
    files = sorted((shared_data / "xanes" / "xdi").glob("*/*.xdi"))
    assert len(files) > 100
    for path in files:
        energy, mu, header = read_xdi(path)
        cols = header["columns"]
        assert energy.shape == mu.shape and energy.size > 100
        assert np.all(np.isfinite(mu)), path
        assert np.all(np.diff(energy) > 0), path
        if header["mu_source"] == "ln(i0/itrans)":
            np.testing.assert_allclose(mu, np.log(cols["i0"] / cols["itrans"]))
    # one file checked field by field
    mno = shared_data / "xanes" / "xdi" / "Mn" / "MnO_rt_01.xdi"
    energy, mu, header = read_xdi(mno)
    assert energy.size == 217 and energy[0] == pytest.approx(6520.003)
    assert header["Sample.formula"] == "MnO"
    assert header["Mono.d_spacing"] == "1.92009"
    assert list(header["columns"]) == ["energy", "i0", "itrans", "irefer"]
    assert mu[0] == pytest.approx(np.log(31260.5 / 39559.300308))


# --- dispatch --------------------------------------------------------------


def test_read_spectrum_dispatches_text_formats(shared_data):
    a = read_spectrum(shared_data / "eels" / "srtio3_core_loss.msa")
    b = read_msa(shared_data / "eels" / "srtio3_core_loss.msa")
    np.testing.assert_array_equal(a.intensity, b.intensity)
    a = read_spectrum(shared_data / "xanes" / "xdi" / "V" / "VO.xdi")
    assert a.header["Sample.name"] == "VO"


def test_read_spectrum_dm3(shared_data):
    pytest.importorskip("rsciio", reason="rosettasciio (the io extra) is absent")
    spec = read_spectrum(shared_data / "eels" / "srtio3_core_loss_200kV.dm3")
    assert spec.intensity.shape == (2048,)
    np.testing.assert_allclose(spec.energy, 350.0 + 0.25 * np.arange(2048))
    assert spec.header["energy_units"] == "eV"
    assert spec.header["metadata"]["Signal"]["signal_type"] == "EELS"
    # a SrTiO3 core loss: Ti L2,3 near 456-466 eV rises above the pre-edge
    pre = spec.intensity[(spec.energy > 430) & (spec.energy < 450)].mean()
    edge = spec.intensity[(spec.energy > 458) & (spec.energy < 468)].mean()
    assert edge > pre


def test_read_spectrum_without_rosettasciio_names_the_extra(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_rsciio(name, *args, **kwargs):
        if name == "rsciio" or name.startswith("rsciio."):
            raise ImportError("No module named 'rsciio'")
        return real_import(name, *args, **kwargs)

    for mod in [m for m in sys.modules if m == "rsciio" or m.startswith("rsciio.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setattr(builtins, "__import__", no_rsciio)
    path = tmp_path / "x.dm3"
    path.write_bytes(b"")
    with pytest.raises(ImportError, match=r'pip install "skspectra\[io\]"'):
        read_spectrum(path)


def test_read_spectrum_errors(tmp_path):
    with pytest.raises(ValueError, match="unsupported extension '.txt'"):
        read_spectrum(tmp_path / "a.txt")
    path = tmp_path / "a.msa"
    path.write_text(MSA_HEADER.format(n=1, ncol=1, dtype="XY", step=1, offset=0))
    with pytest.raises(ValueError, match="signal_index must be None or 0"):
        read_spectrum(path, signal_index=2)
