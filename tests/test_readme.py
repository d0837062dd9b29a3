"""The README's code runs as written, and its quickstart is what CI runs."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from skspectra.datasets import find_data_dir

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _blocks(language):
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_readme_python_example_runs(capsys):
    code = _blocks("python")[0]
    exec(compile(code, str(README), "exec"), {})
    assert "similarityknnestimator__metric" in capsys.readouterr().out


def test_readme_pipeline_example_runs(capsys):
    # the grid search over the crop: the kNN's axis starts at the best e_min
    (code,) = [block for block in _blocks("python") if "EnergyCrop" in block]
    namespace = {}
    exec(compile(code, str(README), "exec"), namespace)
    assert "energycrop__e_min" in capsys.readouterr().out
    best = namespace["search"].best_estimator_
    assert best[-1].energy_[0] >= best[0].e_min
    assert best[-1].energy_.size == best[0].energy_out_.size


def test_quickstart_is_two_commands():
    quickstart = README.read_text(encoding="utf-8").split("## Quickstart")[1]
    block = re.search(r"```bash\n(.*?)```", quickstart, flags=re.S).group(1)
    lines = [line for line in block.splitlines() if line.strip()]
    assert lines == [
        'python -m pip install -e ".[test]" && skspectra demo',
        "python -m pytest",
    ]


# ----------------------------------------------------- recipes on real files
RECIPE_SECTION = "## From files to answers"


def _recipes():
    """The commands of the README's first block under "From files to answers"."""
    section = README.read_text(encoding="utf-8").split(RECIPE_SECTION)[1]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def recipe_outputs(tmp_path_factory):
    """Run every recipe verbatim from a project folder beside ``shared/data``.

    The commands name ``../shared/data``; a temporary project folder gets a
    ``../shared/data`` link to the real folder, so the text runs as printed.
    """
    data = find_data_dir(extra=[ROOT.parent / "shared" / "data"])
    if data is None:
        pytest.skip("real spectra not found: the recipes need ../shared/data")
    base = tmp_path_factory.mktemp("recipes")
    (base / "shared").mkdir()
    (base / "shared" / "data").symlink_to(data.resolve(), target_is_directory=True)
    project = base / "project"
    project.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    outputs = {}
    for line in _recipes():
        argv = shlex.split(line)
        assert argv[0] == "skspectra", line
        done = subprocess.run(
            [sys.executable, "-m", "skspectra", *argv[1:]],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"{line}\n{done.stderr}"
        outputs[argv[1]] = done.stdout
    return outputs


def test_recipes_are_the_three_commands():
    assert [shlex.split(line)[1] for line in _recipes()] == [
        "decompose",
        "peaks",
        "estimate",
    ]


def _component_lines(out):
    """``{component: [line names, strongest first]}`` of decompose's summary."""
    found = {}
    for match in re.finditer(r"component (\d+) \([\d.]+% of the signal\): (.*)", out):
        names = re.findall(
            r"([A-Z][a-z]? [KLM][a-z0-9,]*)(?: or [^,]*)? [\d.]+", match[2]
        )
        found[int(match[1])] = names
    return found


def test_decompose_recipe_names_the_three_phases(recipe_outputs):
    pytest.importorskip("xraydb")
    lines = _component_lines(recipe_outputs["decompose"])
    assert len(lines) == 3, recipe_outputs["decompose"]
    # the lines that characterise each phase, among the component's strongest
    phases = {
        "silicate": {"O Ka", "Si Ka", "Al Ka"},
        "Ca-P": {"Ca Ka", "P Ka"},
        "Ti-Fe": {"Ti Ka", "Fe Ka"},
    }
    matched = {
        phase: [i for i, names in lines.items() if need <= set(names[:4])]
        for phase, need in phases.items()
    }
    assert all(len(found) == 1 for found in matched.values()), (matched, lines)
    assert len({found[0] for found in matched.values()}) == 3
    # the silicate's strongest lines are O and Si, not Ca or Ti
    silicate = lines[matched["silicate"][0]]
    assert set(silicate[:2]) == {"O Ka", "Si Ka"}


def test_peaks_recipe_finds_the_ti_l3_and_l2_white_lines(recipe_outputs):
    # table rows: position ± error, half-width ± error, area ± error
    rows = re.findall(r"^\s+([\d.]+) ± [\d.e+-]+\s", recipe_outputs["peaks"], re.M)
    positions = sorted(float(row) for row in rows)
    # the two white lines of SrTiO3 at 300 kV: maxima at 461.0 and 466.1 eV
    # (the crystal-field splitting is not resolved at ~1 eV resolution)
    assert len(positions) == 2, recipe_outputs["peaks"]
    assert abs(positions[0] - 461.0) < 1.0
    assert abs(positions[1] - 466.1) < 1.0


def test_estimate_recipe_gives_the_mno2_valence_from_other_compounds(recipe_outputs):
    out = recipe_outputs["estimate"]
    value = float(re.search(r"nominal_oxidation_state = ([\d.]+)", out)[1])
    # Mn4+, estimated from the other compounds: nearer 4 than 3
    assert abs(value - 4.0) < 0.5, out
    neighbours = [line for line in out.splitlines() if "distance" in line]
    assert neighbours and not any("MnO2" in line for line in neighbours)
