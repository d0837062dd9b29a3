"""Sphinx configuration for the skspectra documentation."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import skspectra

project = "skspectra"
copyright = "2026, the skspectra developers"
author = "the skspectra developers"
release = skspectra.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.extlinks",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
autosummary_generate = True
extlinks = {"doi": ("https://doi.org/%s", "doi:%s")}
autodoc_default_options = {"members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

html_theme = "pydata_sphinx_theme"
html_title = f"skspectra {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": False,
}

# the gallery runs on the real spectra when a data folder is found, and on
# synthetic data otherwise (each example decides)
os.environ.setdefault("MPLBACKEND", "Agg")
_shared_data = Path(__file__).resolve().parents[2] / "shared" / "data"
if _shared_data.is_dir():
    os.environ.setdefault("SKSPECTRA_DATA", str(_shared_data))
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
}
