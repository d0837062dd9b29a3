"""read_xdi on scans that are not one clean ascending eV column: repeated
points, descending scans, keV columns, byte-order marks."""

import numpy as np
import pytest

from skspectra.io import SpectrumFileError, read_spectrum, read_xdi


def _xdi(rows, energy_units="eV"):
    column = f"energy {energy_units}".strip()
    head = (
        "# XDI/1.0\n"
        f"# Column.1: {column}\n"
        "# Column.2: i0\n"
        "# Column.3: itrans\n"
        "# Element.symbol: Fe\n"
        "#----\n"
        "# energy i0 itrans\n"
    )
    return head + "".join(f"{e!r} {a!r} {b!r}\n" for e, a, b in rows)


def _write(tmp_path, text, name="s.xdi", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_repeated_energy_is_averaged_before_mu(tmp_path):
    rows = [(7100.0, 10.0, 5.0), (7101.0, 10.0, 2.0), (7101.0, 14.0, 4.0)]
    energy, mu, header = read_xdi(_write(tmp_path, _xdi(rows + [(7102.0, 8.0, 1.0)])))
    np.testing.assert_array_equal(energy, [7100.0, 7101.0, 7102.0])
    # i0 and itrans averaged first (12 and 3), then mu = ln(i0 / itrans)
    np.testing.assert_allclose(mu, np.log([2.0, 4.0, 8.0]))
    np.testing.assert_array_equal(header["columns"]["i0"], [10.0, 12.0, 8.0])
    assert header["n_merged_energies"] == 1
    assert header["energy_sorted"] is False


def test_descending_scan_is_sorted_with_its_columns(tmp_path):
    rows = [(7102.0, 8.0, 1.0), (7101.0, 10.0, 2.0), (7100.0, 10.0, 5.0)]
    energy, mu, header = read_xdi(_write(tmp_path, _xdi(rows)))
    np.testing.assert_array_equal(energy, [7100.0, 7101.0, 7102.0])
    np.testing.assert_allclose(mu, np.log([2.0, 5.0, 8.0]))
    np.testing.assert_array_equal(header["columns"]["energy"], energy)
    np.testing.assert_array_equal(header["columns"]["itrans"], [5.0, 2.0, 1.0])
    assert header["energy_sorted"] is True and header["n_merged_energies"] == 0


@pytest.mark.parametrize("units", ["keV", "kev", ""])
def test_kev_energy_column_is_converted_to_ev(tmp_path, units):
    rows = [(7.1, 10.0, 5.0), (7.1005, 10.0, 2.0), (7.101, 8.0, 1.0)]
    energy, _, header = read_xdi(_write(tmp_path, _xdi(rows, units)))
    np.testing.assert_allclose(energy, [7100.0, 7100.5, 7101.0])
    assert header["energy_units"] == "eV"
    assert header["energy_converted_from"] == "keV"


@pytest.mark.parametrize("units", ["eV", ""])
def test_ev_energy_column_is_left_alone(tmp_path, units):
    rows = [(7100.0, 10.0, 5.0), (7101.0, 10.0, 2.0)]
    energy, _, header = read_xdi(_write(tmp_path, _xdi(rows, units)))
    np.testing.assert_array_equal(energy, [7100.0, 7101.0])
    assert header["energy_converted_from"] is None


def test_explicit_ev_units_are_trusted_at_low_energy(tmp_path):
    # an M-edge scan in eV lies below 100 eV; its units say so
    rows = [(50.0, 10.0, 5.0), (51.0, 10.0, 2.0)]
    energy, _, _ = read_xdi(_write(tmp_path, _xdi(rows, "eV")))
    np.testing.assert_array_equal(energy, [50.0, 51.0])


def test_other_energy_units_are_an_error(tmp_path):
    rows = [(7100.0, 10.0, 5.0), (7101.0, 10.0, 2.0)]
    with pytest.raises(SpectrumFileError, match="units are 'Joule'; expected eV"):
        read_xdi(_write(tmp_path, _xdi(rows, "Joule")))


def test_non_finite_energy_is_an_error(tmp_path):
    rows = [(7100.0, 10.0, 5.0), (float("nan"), 10.0, 2.0)]
    with pytest.raises(SpectrumFileError, match="1 energies are not finite"):
        read_xdi(_write(tmp_path, _xdi(rows)))


def test_non_finite_mu_is_an_error(tmp_path):
    text = _xdi([(7100.0, 1.0, 1.0), (7101.0, 1.0, 1.0)])
    text = text.replace("Column.2: i0", "Column.2: mu").replace(
        "7101.0 1.0", "7101.0 inf"
    )
    with pytest.raises(SpectrumFileError, match=r"mu \(mu\) is not a finite number"):
        read_xdi(_write(tmp_path, text))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_byte_order_mark(tmp_path, encoding):
    text = _xdi([(7100.0, 10.0, 5.0), (7101.0, 10.0, 2.0)])
    text = text.replace("#----", "# Sample.name: Fe₂O₃\n#----")
    energy, _, header = read_spectrum(_write(tmp_path, text, encoding=encoding))
    assert header["version"] == "1.0"
    assert header["Sample.name"] == "Fe₂O₃"
    np.testing.assert_array_equal(energy, [7100.0, 7101.0])
