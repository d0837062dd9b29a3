"""The file commands of ``skspectra``: happy paths on real and synthetic
files, and the error paths a user meets (missing file, unreadable format,
energy axis that does not cover the references)."""

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from skspectra import cli

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def image_file(tmp_path):
    from skspectra.datasets import make_spectrum_image

    X, truth = make_spectrum_image(
        n_components=3,
        shape=(16, 16),
        n_channels=128,
        counts_per_pixel=300,
        random_state=0,
    )
    path = tmp_path / "image.npz"
    np.savez(path, X=X, energy=truth.energy)
    return path


# ----------------------------------------------------------------- decompose
def test_decompose_writes_components_maps_and_figure(capsys, image_file, tmp_path):
    code, out, err = run(
        capsys, "decompose", image_file, "--out", tmp_path, "--max-components", 6
    )
    assert code == 0, err
    assert "found 3 components" in out
    npz = np.load(tmp_path / "image_npz_decomposition.npz")
    assert npz["maps"].shape == (16, 16, 3)
    assert npz["components"].shape == (3, 128)
    header = (tmp_path / "image_npz_components.csv").read_text().splitlines()[0]
    assert header == "energy,component0,component1,component2"
    assert (tmp_path / "image_npz_decomposition.png").stat().st_size > 1000


def test_decompose_real_eds(capsys, shared_data, tmp_path):
    code, out, err = run(
        capsys,
        "decompose",
        shared_data / "eds_sem_si_30x30.npz",
        "--out",
        tmp_path,
        "--energy-min",
        0.2,
        "--energy-max",
        10,
        "--no-figure",
        "--quiet",
    )
    assert code == 0, err
    assert "components in" in out
    assert (tmp_path / "eds_sem_si_30x30_npz_decomposition.npz").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["decompose", "missing.npz"], "no such file"),
        (["decompose", "{txt}"], "unknown format '.txt'"),
        (["decompose", "{spectrum}"], "needs a spectrum image"),
        (
            ["decompose", "{image}", "--n-components", "many"],
            "must be 'auto' or an integer",
        ),
        (["decompose", "{image}", "--energy-min", "1e6"], "keeps 0 channels"),
        (["decompose", "{image}", "--out", "{txt}"], "is not a folder"),
    ],
)
def test_decompose_errors(capsys, tmp_path, image_file, argv, message):
    (tmp_path / "notes.txt").write_text("not a spectrum")
    np.save(tmp_path / "spectrum.npy", np.ones(50))
    names = {
        "txt": tmp_path / "notes.txt",
        "spectrum": tmp_path / "spectrum.npy",
        "image": image_file,
        "absent": tmp_path / "absent",
    }
    argv = [a.format(**names) for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in err


def test_decompose_unreadable_file(capsys, tmp_path):
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"this is not a zip archive")
    code, _, err = run(capsys, "decompose", bad)
    assert code == 2 and "not a readable NumPy file" in err


def _outputs(folder):
    return sorted(p.name for p in Path(folder).iterdir())


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("earlier_run", [False, True])
def test_interrupted_decompose_leaves_no_output(tmp_path, sig, earlier_run):
    from skspectra.datasets import make_spectrum_image

    X, truth = make_spectrum_image(
        n_components=4,
        shape=(48, 48),
        n_channels=512,
        counts_per_pixel=200,
        random_state=1,
    )
    src = tmp_path / "big.npz"
    np.savez(src, X=X, energy=truth.energy)
    out = tmp_path / "out"
    out.mkdir()
    # results of an earlier run stay as they were, all of them
    earlier = {
        f"big_npz_{name}": f"earlier {name}".encode()
        for name in ("components.csv", "decomposition.npz", "decomposition.png")
    }
    if earlier_run:
        for name, content in earlier.items():
            (out / name).write_bytes(content)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "skspectra",
            "decompose",
            str(src),
            "--out",
            str(out),
            "--max-iter",
            "100000",
            "--tol",
            "0",
            "--n-components",
            "4",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    # wait until the factorisation is running (the progress bar has started)
    deadline = time.time() + 60
    seen = ""
    while time.time() < deadline and "[" not in seen:
        seen += proc.stderr.read(1)
    assert "[" in seen, "the run never started"
    time.sleep(0.5)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err and "interrupted" in err
    if earlier_run:
        assert {p.name: p.read_bytes() for p in out.iterdir()} == earlier
    else:
        assert _outputs(out) == []


# --------------------------------------------------------------------- peaks
def test_peaks_on_synthetic_spectrum(capsys, tmp_path):
    from skspectra.datasets import lorentzian

    e = np.linspace(0, 100, 1024)
    y = lorentzian(e, [30.0, 50.0, 62.0], [1.5, 2.0, 1.0], [10.0, 20.0, 5.0])
    path = tmp_path / "peaks.npz"
    np.savez(path, X=y[None], energy=e)
    code, out, err = run(capsys, "peaks", path, "--out", tmp_path)
    assert code == 0, err
    assert "3 peaks" in out
    rows = (tmp_path / "peaks_npz_peaks.csv").read_text().splitlines()
    positions = sorted(float(r.split(",")[0]) for r in rows[1:])
    np.testing.assert_allclose(positions, [30.0, 50.0, 62.0], atol=1e-3)
    assert (tmp_path / "peaks_npz_peaks.png").exists()


def test_peaks_real_eels(capsys, shared_data, tmp_path):
    code, out, err = run(
        capsys,
        "peaks",
        shared_data / "eels" / "srtio3_core_loss.msa",
        "--background",
        420,
        452,
        "--energy-max",
        475,
        "--out",
        tmp_path,
        "--no-figure",
    )
    assert code == 0, err
    assert "peaks in" in out


def test_peaks_edge_steps_on_measured_tio2(capsys, shared_data, tmp_path):
    code, out, err = run(
        capsys,
        "peaks",
        shared_data / "eels" / "tio2_core_loss_100kV.msa",
        "--background",
        420,
        452,
        "--energy-max",
        470,
        "--edge-steps",
        2,
        "--out",
        tmp_path,
    )
    assert code == 0, err
    assert "4 peaks on 2 edge steps" in out
    assert "position [eV]" in out and "±" in out and "spin-orbit" in out
    rows = (tmp_path / "tio2_core_loss_100kV_msa_peaks.csv").read_text().splitlines()
    assert rows[0].split(",")[:4] == [
        "position_eV",
        "hwhm_eV",
        "area",
        "position_error_eV",
    ]
    positions = [float(r.split(",")[0]) for r in rows[1:]]
    np.testing.assert_allclose(positions, [455.99, 458.15, 461.22, 463.43], atol=0.5)
    assert (tmp_path / "tio2_core_loss_100kV_msa_peaks.png").exists()


def test_peaks_errors(capsys, tmp_path, image_file):
    code, _, err = run(capsys, "peaks", tmp_path / "nothing.msa")
    assert code == 2 and "no such file" in err
    code, _, err = run(capsys, "peaks", image_file)
    assert code == 2 and "peaks takes one spectrum" in err
    bad = tmp_path / "bad.msa"
    bad.write_text("#FORMAT : EMSA/MAS\n#NPOINTS : 3\n#SPECTRUM :\n1, a\n")
    code, _, err = run(capsys, "peaks", bad)
    assert code == 2 and "could not be read" in err
    with pytest.raises(SystemExit) as exc:
        run(capsys, "peaks", bad, "--edge-steps", "3")
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "--edge-steps" in err and "auto" in err


# ------------------------------------------------------------------ estimate
def test_estimate_valence_of_a_measured_spectrum(capsys, shared_data):
    xanes = shared_data / "xanes"
    query = xanes / "xdi" / "Mn" / "MnO2_rt_01.xdi"
    code, out, err = run(
        capsys, "estimate", "--references", xanes, "--element", "Mn", query
    )
    assert code == 0, err
    line = next(l for l in out.splitlines() if l.startswith(str(query)))
    value = float(line.rsplit("=", 1)[1])
    assert abs(value - 4.0) <= 0.5
    assert "distance" in out


def _estimate_lines(out, query):
    line = next(l for l in out.splitlines() if l.startswith(str(query)))
    i = out.splitlines().index(line)
    return float(line.rsplit("=", 1)[1]), out.splitlines()[i + 1 : i + 5]


def test_estimate_leaves_the_query_out_of_its_references(capsys, shared_data):
    xanes = shared_data / "xanes"
    query = xanes / "xdi" / "Mn" / "MnO2_rt_01.xdi"
    code, out, err = run(
        capsys, "estimate", "--references", xanes, "--element", "Mn", query
    )
    assert code == 0, err
    value, neighbours = _estimate_lines(out, query)
    assert not any("MnO2_rt_01" in line for line in neighbours[:3])
    assert all(float(line.rsplit("distance", 1)[1]) > 1e-12 for line in neighbours[:3])
    assert "left out of the references: the query itself" in neighbours[3]
    # a reference that cannot be normalised is named with the reason
    assert re.search(r"left out athena_mn_standards\.npz:Mn3O4: .*edge step", out)
    # leave-one-compound-out: the valence from the other compounds alone
    code, out, err = run(
        capsys,
        "estimate",
        "--references",
        xanes,
        "--element",
        "Mn",
        "--exclude-compound",
        query,
    )
    assert code == 0, err
    value, neighbours = _estimate_lines(out, query)
    assert not any("xdi/Mn/MnO2" in line for line in neighbours[:3])
    assert "2 other spectra of MnO2" in neighbours[3]
    assert 3.0 <= value <= 4.5


def test_estimate_reads_npz_queries_row_by_row(capsys, shared_data, tmp_path):
    from skspectra.io import read_xdi

    xanes = shared_data / "xanes"
    energy, mu, _ = read_xdi(xanes / "xdi" / "Mn" / "MnO_rt_01.xdi")
    query = tmp_path / "two.npz"
    np.savez(query, X=np.stack([mu, mu]), energy_eV=energy)
    code, out, err = run(
        capsys, "estimate", "--references", xanes, "--element", "Mn", query
    )
    assert code == 0, err
    for row in (0, 1):
        value, _ = _estimate_lines(out, f"{query}[{row}]")
        assert abs(value - 2.0) <= 0.5
    code, _, err = run(
        capsys,
        "estimate",
        "--references",
        xanes,
        "--element",
        "Mn",
        "--exclude-compound",
        query,
    )
    assert code == 2 and "--exclude-compound" in err and "not one of" in err


def test_estimate_errors(capsys, shared_data, tmp_path):
    xanes = shared_data / "xanes"
    code, _, err = run(capsys, "estimate", "--references", tmp_path, "q.xdi")
    assert code == 2 and "labels.csv" in err
    code, _, err = run(
        capsys, "estimate", "--references", xanes, "--element", "Mn", tmp_path / "q.xdi"
    )
    assert code == 2 and "no such file" in err
    # a query measured over a narrow range does not cover the references' grid
    e = np.arange(6530.0, 6545.0, 0.5)
    short = tmp_path / "short.xdi"
    rows = "\n".join(f"{a:.2f} {1000.0:.1f} {500.0:.1f}" for a in e)
    short.write_text(
        "# XDI/1.0\n# Column.1: energy eV\n# Column.2: i0\n# Column.3: itrans\n"
        "# Element.symbol: Mn\n# Element.edge: K\n# ///\n#----\n"
        f"# energy i0 itrans\n{rows}\n"
    )
    code, _, err = run(
        capsys, "estimate", "--references", xanes, "--element", "Mn", short
    )
    assert code == 2 and "does not cover the references' grid" in err
    code, _, err = run(
        capsys, "estimate", "--references", xanes, "--target", "nope", "x"
    )
    assert code == 2 and "no column 'nope'" in err


# ----------------------------------------------------------------- interpret
@pytest.fixture
def descriptor_files(tmp_path):
    from skspectra.datasets import make_descriptor_spectra

    X, y, rule = make_descriptor_spectra(80, random_state=0, as_frame=True)
    X.to_csv(tmp_path / "desc.csv", index=False)
    np.savez(tmp_path / "spectra.npz", X=y, energy=rule.energy)
    return tmp_path / "desc.csv", tmp_path / "spectra.npz"


def test_interpret_prints_rules_and_writes_figure(capsys, descriptor_files, tmp_path):
    desc, spectra = descriptor_files
    code, out, err = run(
        capsys,
        "interpret",
        spectra,
        "--descriptors",
        desc,
        "--n-clusters",
        3,
        "--out",
        tmp_path,
    )
    assert code == 0, err
    assert "has_d_electrons" in out and "valence" in out
    assert (tmp_path / "spectra_npz_rules.txt").read_text().startswith("cluster 0")
    assert (tmp_path / "spectra_npz_interpretation.png").stat().st_size > 1000


def test_interpret_errors(capsys, descriptor_files, tmp_path):
    desc, spectra = descriptor_files
    short = tmp_path / "short.csv"
    short.write_text("\n".join(desc.read_text().splitlines()[:10]) + "\n")
    code, _, err = run(capsys, "interpret", spectra, "--descriptors", short)
    assert code == 2 and "must match row by row" in err
    code, _, err = run(
        capsys, "interpret", spectra, "--descriptors", tmp_path / "no.csv"
    )
    assert code == 2 and "no such file" in err
    code, _, err = run(
        capsys, "interpret", spectra, "--descriptors", desc, "--metric", "wasserstein"
    )
    assert code == 2 and "ward" in err.lower()


# ------------------------------------------------------------------- README
def _readme_recipe(command, shared_data):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    line = next(
        line
        for line in text.splitlines()
        if line.startswith(f"skspectra {command} ../shared/data")
        or (line.startswith(f"skspectra {command} ") and "../shared/data" in line)
    )
    return shlex.split(line.replace("../shared/data", str(shared_data)))[1:]


def test_readme_estimate_recipe(capsys, shared_data):
    argv = _readme_recipe("estimate", shared_data)
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    value, neighbours = _estimate_lines(out, argv[-1])
    assert abs(value - 4.0) <= 0.5
    assert not any("MnO2_rt_01" in line for line in neighbours[:3])


def test_peaks_recipe_on_the_300kv_srtio3_file(capsys, shared_data, tmp_path):
    path = shared_data / "eels" / "srtio3_core_loss.msa"
    code, out, err = run(
        capsys, "peaks", path, "--background", 420, 452, "--out", tmp_path
    )
    assert code == 0, err
    assert re.search(r"\d+ peaks? in 452\.3\.\.664\.4 eV", out)
    assert _outputs(tmp_path) == [
        "srtio3_core_loss_msa_peaks.csv",
        "srtio3_core_loss_msa_peaks.png",
    ]


# ------------------------------------------------- axes and shapes from files
def test_peaks_resamples_an_uneven_axis_and_says_so(capsys, tmp_path):
    from skspectra.datasets import lorentzian

    # a scan with a finer step across the line, as XY files may hold
    energy = np.concatenate([np.arange(0.0, 20.0, 0.5), np.arange(20.0, 60.0, 0.25)])
    spectrum = lorentzian(energy, [30.0], [1.0], [5.0]) + 0.01
    np.savez(tmp_path / "uneven.npz", X=spectrum, energy=energy)
    code, out, err = run(capsys, "peaks", tmp_path / "uneven.npz", "--out", tmp_path)
    assert code == 0, err
    assert "not evenly spaced" in err and f"onto {energy.size} evenly" in err
    positions = np.loadtxt(tmp_path / "uneven_npz_peaks.csv", delimiter=",", skiprows=1)
    assert abs(np.atleast_2d(positions)[0, 0] - 30.0) < 0.05


def test_decompose_takes_a_line_scan(capsys, tmp_path):
    from skspectra.datasets import make_spectrum_image

    X, truth = make_spectrum_image(
        n_components=2, shape=(1, 40), n_channels=64, random_state=0
    )
    np.savez(tmp_path / "line.npz", X=X[0], energy=truth.energy)
    code, out, err = run(
        capsys, "decompose", tmp_path / "line.npz", "--out", tmp_path, "--no-figure"
    )
    assert code == 0, err
    assert np.load(tmp_path / "line_npz_decomposition.npz")["maps"].shape[:2] == (1, 40)


def test_decompose_negative_data_error_names_the_file_and_flags(capsys, tmp_path):
    rng = np.random.default_rng(0)
    signed = tmp_path / "signed.npz"
    np.savez(signed, X=rng.normal(size=(4, 4, 32)))
    code, out, err = run(capsys, "decompose", signed, "--out", tmp_path)
    assert code == 2
    assert err.startswith(f"skspectra decompose: {signed}: has negative")
    assert "--model sparse --clip-negative" in err and "X " not in err
    assert not list(tmp_path.glob("signed_npz_*"))
