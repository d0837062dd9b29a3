"""The README's code runs as written, and its quickstart is what CI runs."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(language):
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_readme_python_example_runs(capsys):
    (code,) = _blocks("python")
    exec(compile(code, str(README), "exec"), {})
    assert "similarityknnestimator__metric" in capsys.readouterr().out


def test_quickstart_is_two_commands():
    quickstart = README.read_text(encoding="utf-8").split("## Quickstart")[1]
    block = re.search(r"```bash\n(.*?)```", quickstart, flags=re.S).group(1)
    lines = [line for line in block.splitlines() if line.strip()]
    assert lines == [
        'python -m pip install -e ".[test]" && skspectra demo',
        "python -m pytest",
    ]
