"""The decomposition part of ``skspectra demo``."""

from skspectra.demo._decomposition import run_demo


def test_demo_reports_against_truth(shared_data):
    lines = []
    run_demo(lines.append, data_dir=shared_data, random_state=0)
    text = "\n".join(lines)
    assert "kept 4 components (truth 4)" in text
    assert "2 on the raw data, 2 on 1000 x the data" in text
    assert "O Mg Al Si" in text and "P Ca" in text and "Ti Fe" in text
    # the sparse TEM-EDS map: PoissonNMF's maps reproduce between two halves
    # of the counts better than SparseNMF's, and the figures are printed
    tem = next(line for line in lines if line.startswith("TEM-EDS 64x64"))
    pois = float(tem.split("r = ")[1].split(" ")[0])
    gaus = float(tem.split("(PoissonNMF) and ")[1].split(" ")[0])
    assert pois > gaus
    assert "shows no spatial structure" not in text
    # the spatial prior's maps predict the independent HAADF image
    haadf = next(line for line in lines if "against its HAADF image" in line)
    plain = float(haadf.split("r = ")[1].split(" ")[0])
    smooth = float(haadf.split("r = ")[2].split(" ")[0])
    assert smooth >= 0.6 and smooth > plain + 0.3
    halves = haadf.split("agree at r = ")[1]
    assert float(halves.split(" with it")[0].split()[-1]) > float(halves.split()[0])
    count = next(line for line in lines if "number of components by" in line)
    assert int(count.split("spatial prior: ")[1].split(" ")[0]) > 1


def test_demo_without_data():
    lines = []
    run_demo(lines.append, data_dir=None, random_state=0)
    assert "kept 4 components" in lines[0]
    assert "skipped" in lines[-1]
