"""read_msa on the layouts real instruments write: decimal commas, ISO 22029
XY pairs, the standard's NPOINTS excess, byte-order marks, unordered axes."""

import codecs

import numpy as np
import pytest

from skspectra.io import SpectrumFileError, read_msa


def _header(datatype="XY", npoints=3, ncolumns=1, step="0.5", offset="100.0"):
    return (
        "#FORMAT      : EMSA/MAS Spectral Data File\n"
        "#VERSION     : 1.0\n"
        "#TITLE       : variant\n"
        f"#NPOINTS     : {npoints}\n"
        f"#NCOLUMNS    : {ncolumns}\n"
        "#XUNITS      : eV\n"
        f"#DATATYPE    : {datatype}\n"
        f"#XPERCHAN    : {step}\n"
        f"#OFFSET      : {offset}\n"
        "#SPECTRUM    : Spectral Data Starts Here\n"
    )


def _write(tmp_path, text, name="s.msa", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("sep", [";", "; ", "\t", "  "])
def test_decimal_commas_are_read_as_decimals(tmp_path, sep):
    body = f"100,00{sep}10,25\n100,50{sep}11,5\n101,00{sep}-3,75\n"
    energy, intensity, header = read_msa(_write(tmp_path, _header() + body))
    np.testing.assert_array_equal(energy, [100.0, 100.5, 101.0])
    np.testing.assert_array_equal(intensity, [10.25, 11.5, -3.75])
    assert header["decimal_separator"] == ","


def test_decimal_commas_in_y_data_and_header(tmp_path):
    text = _header("Y", npoints=4, ncolumns=2, step="0,5", offset="99,5")
    energy, intensity, header = read_msa(_write(tmp_path, text + "1,5;2\n3;4,25\n"))
    np.testing.assert_array_equal(energy, [99.5, 100.0, 100.5, 101.0])
    np.testing.assert_array_equal(intensity, [1.5, 2.0, 3.0, 4.25])
    assert header["XPERCHAN"] == 0.5


def test_decimal_commas_with_a_short_last_line(tmp_path):
    text = _header("Y", npoints=3, ncolumns=2) + "10,5 11,25\n12,0\n"
    energy, intensity, _ = read_msa(_write(tmp_path, text))
    np.testing.assert_array_equal(intensity, [10.5, 11.25, 12.0])
    np.testing.assert_array_equal(energy, [100.0, 100.5, 101.0])


def test_comma_separated_values_are_not_taken_for_decimal_commas(tmp_path):
    # integer XY pairs written without a space are x, y as the standard says
    energy, intensity, header = read_msa(
        _write(tmp_path, _header() + "1,5\n2,6\n3,7\n")
    )
    np.testing.assert_array_equal(energy, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(intensity, [5.0, 6.0, 7.0])
    assert header["decimal_separator"] == "."


def test_ambiguous_decimal_commas_are_an_error(tmp_path):
    # one 'a,b' per line under NCOLUMNS 1: one decimal value, or two integers?
    text = _header("Y", npoints=3) + "10,25\n11,50\n12,75\n"
    with pytest.raises(SpectrumFileError, match="decimal comma or two values"):
        read_msa(_write(tmp_path, text))


def test_decimal_commas_mixed_with_points_are_an_error(tmp_path):
    body = "100,00;10,25\n100.50;11,5\n101,00;3,75\n"
    with pytest.raises(SpectrumFileError, match=r"line 12: cannot read '100\.50'"):
        read_msa(_write(tmp_path, _header() + body))


@pytest.mark.parametrize("sep", [", ", ",", " "])
def test_xy_pairs_per_line_with_ncolumns(tmp_path, sep):
    # ISO 22029 XY data with NCOLUMNS 2: two (x, y) pairs a line, the last short
    energy = 520.0 + 3.0 * np.arange(5)
    counts = np.array([40.0, 39.5, 38.0, 52.0, 51.0])
    values = [
        f"{v!r}"
        for pair in zip(energy.tolist(), counts.tolist(), strict=True)
        for v in pair
    ]
    lines = [sep.join(values[i : i + 4]) for i in range(0, len(values), 4)]
    text = _header(npoints=5, ncolumns=2) + "\n".join(lines) + "\n"
    e, y, _ = read_msa(_write(tmp_path, text))
    np.testing.assert_array_equal(e, energy)
    np.testing.assert_array_equal(y, counts)


def test_xy_ragged_lines_name_the_pair_layout(tmp_path):
    text = _header(npoints=3, ncolumns=2) + "1, 2, 3, 4\n5, 6, 7\n"
    with pytest.raises(SpectrumFileError, match=r"line 12: 3 values .* 2 \(energy"):
        read_msa(_write(tmp_path, text))


def test_npoints_one_short_is_tolerated(tmp_path):
    # the EMSA/MAS example files hold one point more than NPOINTS says
    body = "1, 5\n2, 6\n3, 7\n"
    energy, _, header = read_msa(_write(tmp_path, _header(npoints=2) + body))
    assert energy.size == 3 and header["NPOINTS"] == 2
    with pytest.raises(SpectrumFileError, match="says 1 points but the data hold 3"):
        read_msa(_write(tmp_path, _header(npoints=1) + body))
    with pytest.raises(SpectrumFileError, match="says 4 points but the data hold 3"):
        read_msa(_write(tmp_path, _header(npoints=4) + body))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_byte_order_mark(tmp_path, encoding):
    text = _header().replace("variant", "5 µm probe") + "1, 5\n2, 6\n3, 7\n"
    path = _write(tmp_path, text, encoding=encoding)
    assert path.read_bytes()[:2] in (codecs.BOM_UTF8[:2], codecs.BOM_UTF16)
    energy, _, header = read_msa(path)
    np.testing.assert_array_equal(energy, [1.0, 2.0, 3.0])
    assert header["FORMAT"] == "EMSA/MAS Spectral Data File"
    assert header["TITLE"] == "5 µm probe"


def test_undecodable_bytes_are_a_one_line_error(tmp_path):
    path = _write(tmp_path, _header() + "1, 5\n", encoding="latin-1")
    path.write_bytes(path.read_bytes() + b"\xff\xfe\n")
    with pytest.raises(SpectrumFileError, match="not a text file in the ascii"):
        read_msa(path, encoding="ascii")


def test_descending_and_repeated_energies(tmp_path):
    body = "3, 7\n2, 6\n2, 8\n1, 5\n"
    energy, intensity, header = read_msa(_write(tmp_path, _header(npoints=4) + body))
    np.testing.assert_array_equal(energy, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(intensity, [5.0, 7.0, 7.0])  # 6 and 8 averaged
    assert header["energy_sorted"] is True
    assert header["n_merged_energies"] == 1


def test_negative_step_gives_increasing_energy(tmp_path):
    text = _header("Y", npoints=3, step="-0.5", offset="101") + "10, 12, 11\n"
    energy, intensity, header = read_msa(_write(tmp_path, text))
    np.testing.assert_array_equal(energy, [100.0, 100.5, 101.0])
    np.testing.assert_array_equal(intensity, [11.0, 12.0, 10.0])
    assert header["energy_sorted"] is True


def test_in_order_file_reports_nothing_done(tmp_path):
    _, _, header = read_msa(_write(tmp_path, _header() + "1, 5\n2, 6\n3, 7\n"))
    assert header["energy_sorted"] is False and header["n_merged_energies"] == 0


@pytest.mark.parametrize("bad", ["nan", "inf"])
def test_non_finite_values_are_an_error(tmp_path, bad):
    text = _header() + f"1, 5\n2, {bad}\n3, 7\n"
    with pytest.raises(SpectrumFileError, match="1 intensity values are not finite"):
        read_msa(_write(tmp_path, text))


def test_zero_step_is_an_error(tmp_path):
    text = _header("Y", npoints=3, step="0") + "10, 12, 11\n"
    with pytest.raises(SpectrumFileError, match="'#XPERCHAN', nonzero"):
        read_msa(_write(tmp_path, text))
