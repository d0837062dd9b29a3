"""``skspectra demo`` writes its figures into a folder and says where."""

import pytest

from skspectra import cli
from skspectra.cli._demo_command import DEFAULT_FIGURES

pytest.importorskip("matplotlib")

SYNTHETIC = [
    "decomposition_synthetic.png",
    "dendrogram_tree_synthetic.png",
    "peaks_synthetic.png",
    "similarity_map_synthetic.png",
]


def test_demo_writes_its_figures_and_says_where(capsys, tmp_path):
    empty = tmp_path / "no-data"
    empty.mkdir()
    out_dir = tmp_path / "figs"
    code = cli.main(
        [
            "demo",
            "--only",
            "metrics",
            "--data-dir",
            str(empty),
            "--figures",
            str(out_dir),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert sorted(p.name for p in out_dir.iterdir()) == SYNTHETIC
    assert all((out_dir / name).stat().st_size > 5000 for name in SYNTHETIC)
    assert f"4 figures in {out_dir.resolve()}" in out


def test_demo_figures_default_folder_and_opt_out(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    parser = cli.build_parser()
    assert parser.parse_args(["demo"]).figures == DEFAULT_FIGURES
    code = cli.main(["demo", "--only", "metrics", "--no-figures"])
    assert code == 0
    assert not (tmp_path / DEFAULT_FIGURES).exists()
    assert "figures" not in capsys.readouterr().out.split("== metrics")[-1].lower()


def test_demo_figures_on_the_measured_files(capsys, shared_data, tmp_path):
    code = cli.main(
        [
            "demo",
            "--only",
            "metrics",
            "--data-dir",
            str(shared_data),
            "--figures",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "decomposition_eds_sem_si_30x30.png",
        "dendrogram_tree_xanes.png",
        "maps_eds_tem_si_64x64.png",
        "peaks_srtio3_core_loss.png",
        "similarity_map_mn_xanes.png",
    ]
