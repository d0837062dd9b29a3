"""read_file: every format the command line reads, read the same way from
Python, with the channel axis last and the energy unit named."""

import numpy as np
import pytest

from skspectra.io import READABLE_EXTENSIONS, read_file, read_msa, read_spectrum


def test_npz_image_with_energy_in_kev(tmp_path):
    path = tmp_path / "image.npz"
    image = np.arange(24.0).reshape(2, 3, 4)
    np.savez(path, X=image, energy_keV=[1.0, 1.1, 1.2, 1.3], elements=["Fe", "O"])
    energy, data, header = read_file(path)
    np.testing.assert_array_equal(data, image)
    np.testing.assert_array_equal(energy, [1.0, 1.1, 1.2, 1.3])
    assert header["energy_units"] == "keV" and header["energy_key"] == "energy_keV"
    assert header["data_key"] == "X"
    assert header["arrays"]["elements"].tolist() == ["Fe", "O"]


def test_npz_energy_units_entry_and_single_array(tmp_path):
    path = tmp_path / "s.npz"
    np.savez(path, spectrum=np.ones(3), energy=[5.0, 6.0, 7.0], energy_units="eV")
    energy, data, header = read_file(path)
    assert data.shape == (3,) and header["energy_units"] == "eV"
    assert header["data_key"] == "spectrum"


def test_npy_has_the_channel_index(tmp_path):
    path = tmp_path / "s.npy"
    np.save(path, np.ones((2, 5)))
    energy, data, header = read_file(path)
    np.testing.assert_array_equal(energy, np.arange(5.0))
    assert data.shape == (2, 5) and header["energy_units"] == "channel"


def test_npz_energy_of_the_wrong_length_is_not_taken(tmp_path):
    path = tmp_path / "s.npz"
    np.savez(path, X=np.ones((2, 5)), energy=np.arange(4.0))
    energy, _, header = read_file(path)
    np.testing.assert_array_equal(energy, np.arange(5.0))
    assert header["energy_units"] == "channel"


def test_msa_reads_as_read_spectrum(tmp_path):
    path = tmp_path / "s.msa"
    path.write_text(
        "#FORMAT : EMSA/MAS Spectral Data File\n#VERSION : 1.0\n#NPOINTS : 3\n"
        "#NCOLUMNS : 1\n#XUNITS : eV\n#DATATYPE : XY\n#SPECTRUM :\n"
        "1.0, 10, 20\n2.0, 11, 21\n3.0, 12, 22\n#ENDOFDATA :\n"
    )
    energy, data, header = read_file(path)
    reference = read_msa(path)
    np.testing.assert_array_equal(energy, reference.energy)
    # one row per intensity column: the channel axis last
    np.testing.assert_array_equal(data, reference.intensity.T)
    assert data.shape == (2, 3) and header["energy_units"] == "eV"


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("x.txt", b"1 2 3", "unknown format '.txt'"),
        ("x.npz", b"PK\x03\x04 cut short", "not a readable NumPy file"),
        ("x.npy", b"\x93NUMPY broken", "not a readable NumPy file"),
        ("x.bcf", b"\x00" * 512, r"read (it )?as a \.bcf file"),
    ],
)
def test_unreadable_files_give_one_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    if path.suffix == ".bcf":
        pytest.importorskip("rsciio")
    with pytest.raises(ValueError, match=message) as info:
        read_file(path)
    assert str(path) in str(info.value)


def test_npz_without_a_data_array(tmp_path):
    path = tmp_path / "x.npz"
    np.savez(path, a=np.ones((2, 3)), b=np.ones((3, 2)))
    with pytest.raises(ValueError, match="expected an array 'X'"):
        read_file(path)
    np.savez(path, X=np.array(["a", "b"]))
    with pytest.raises(ValueError, match="expected numbers"):
        read_file(path)


def test_missing_path_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_file(tmp_path / "absent.msa")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        read_file(tmp_path)


def test_readable_extensions():
    assert {".npy", ".npz", ".msa", ".xdi", ".dm3", ".bcf"} <= set(READABLE_EXTENSIONS)


def test_real_files_read_as_their_readers_do(shared_data):
    eels = shared_data / "eels" / "srtio3_core_loss.msa"
    energy, data, header = read_file(eels)
    reference = read_spectrum(eels)
    np.testing.assert_array_equal(energy, reference.energy)
    np.testing.assert_array_equal(data, reference.intensity)
    assert header["energy_units"] == "eV"
    energy, image, header = read_file(shared_data / "eds_sem_si_30x30.npz")
    assert image.shape == (30, 30, 2048) and header["energy_units"] == "keV"
    assert "Ti" in header["arrays"]["elements"].tolist()
    pytest.importorskip("rsciio")
    dm3 = read_file(shared_data / "eels" / "srtio3_core_loss_200kV.dm3")
    msa = read_file(shared_data / "eels" / "srtio3_core_loss_200kV.msa")
    np.testing.assert_allclose(dm3.energy, msa.energy)
    assert dm3.header["energy_units"] == "eV"
