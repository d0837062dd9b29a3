"""The pieces the commands write with: the progress bar and the set of
result files renamed into place together."""

import io
import os
import signal

import pytest

from skspectra.cli._atomic import OutputSet, remove_stale_temporaries
from skspectra.cli._common import energy_column, output_stem, plural
from skspectra.utils._progress import Progress


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_on_a_log_writes_whole_lines_without_carriage_returns():
    log = io.StringIO()
    bar = Progress(100, "NMF", stream=log)
    for _ in range(100):
        bar.update(info="objective 1")
    bar.close()
    text = log.getvalue()
    assert "\r" not in text and "\x1b" not in text
    lines = text.splitlines()
    # the first report and the last, not one per step
    assert len(lines) == 2
    assert "1/100" in lines[0] and "100/100" in lines[1]


def test_progress_on_a_terminal_redraws_one_line():
    tty = _Terminal()
    bar = Progress(3, "NMF", stream=tty, min_interval=0)
    for _ in range(3):
        bar.update()
    bar.close()
    text = tty.getvalue()
    assert text.count("\r") == 4 and text.endswith("\n") and text.count("\n") == 1


def test_quiet_progress_prints_nothing():
    out = io.StringIO()
    bar = Progress(3, stream=out, quiet=True, min_interval=0)
    bar.update()
    bar.close()
    assert out.getvalue() == ""


def test_output_set_renames_all_or_nothing(tmp_path):
    (tmp_path / "a.txt").write_text("old a")
    with pytest.raises(RuntimeError):
        with OutputSet(tmp_path, ["a.txt", "b.txt"]) as out:
            with out.open("a.txt", "w") as f:
                f.write("new a")
            raise RuntimeError("the second file failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    assert (tmp_path / "a.txt").read_text() == "old a"
    with OutputSet(tmp_path, ["a.txt", "b.txt"]) as out:
        for name in ("a.txt", "b.txt"):
            with out.open(name, "w") as f:
                f.write(f"new {name}")
        written, removed = out.commit()
    assert [p.name for p in written] == ["a.txt", "b.txt"] and removed == []
    assert (tmp_path / "a.txt").read_text() == "new a.txt"


def test_a_signal_during_the_renames_is_deferred_until_they_are_done(tmp_path):
    with OutputSet(tmp_path, ["a.txt", "b.txt"]) as out:
        for name in ("a.txt", "b.txt"):
            out.path(name).write_text(name)
        real_replace = os.replace
        calls = []

        def replace_then_signal(src, dst):
            real_replace(src, dst)
            calls.append(dst)
            if len(calls) == 1:
                os.kill(os.getpid(), signal.SIGINT)

        os.replace = replace_then_signal
        try:
            with pytest.raises(KeyboardInterrupt):
                out.commit()
        finally:
            os.replace = real_replace
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_output_set_rejects_a_member_it_was_not_told_of(tmp_path):
    with OutputSet(tmp_path, ["a.txt"]) as out:
        with pytest.raises(ValueError, match="not one of"):
            out.path("b.txt")


def test_stale_temporaries_of_dead_processes_only(tmp_path):
    target = tmp_path / "r.csv"
    dead = tmp_path / ".r.csv.99999999-00ff00ff.part"
    mine = tmp_path / f".r.csv.{os.getpid()}-00ff00ff.part"
    other = tmp_path / ".other.csv.99999999-00ff00ff.part"
    for p in (dead, mine, other):
        p.write_text("x")
    assert remove_stale_temporaries(target) == [dead]
    assert mine.exists() and other.exists()


def test_names_and_words():
    assert output_stem("dir/x.msa") == "x_msa" and output_stem("x") == "x"
    assert energy_column("keV") == "energy_keV" and energy_column("") == "energy"
    assert energy_column("channel") == "channel"
    assert plural(1, "component") == "1 component"
    assert plural(0, "component") == "0 components"
    assert plural(2, "spectrum", "spectra") == "2 spectra"
