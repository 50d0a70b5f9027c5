"""Sphinx configuration of the skmlp documentation site.

Build with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``
(``pip install -e ".[docs]"`` first). The gallery runs every example in
``examples/`` at build time, headless, and writes its pages and figures under
``docs/auto_examples`` (generated, not committed).
"""

import os
import re
import sys
from pathlib import Path

import matplotlib

import skmlp

# Headless: figures are rendered to files, never shown.
matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

HERE = Path(__file__).resolve().parent
# docs/_ext holds the small helpers the pages use (the benchmark table reader).
sys.path.insert(0, str(HERE / "_ext"))

project = "skmlp"
author = "skmlp developers"
copyright = "skmlp developers"  # noqa: A001 (Sphinx's name)
version = release = skmlp.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax shipped with the site (copied into _static/mathjax at the end of
    # the build) instead of loaded from a CDN, so the formulas render offline.
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
    "benchmark_table",
]

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**/README.txt"]
templates_path = ["_templates"]
root_doc = "index"

# Every cross-reference must resolve: a broken link fails the build (-W).
nitpicky = True
# References into other projects' documentation. The build runs offline, so
# there is no intersphinx inventory to resolve them against; they render as
# plain text. Only names outside skmlp belong here.
nitpick_ignore_regex = [
    (r"py:.*", r"(sklearn|scipy|numpy|matplotlib|pandas|skl2onnx|onnx|onnxruntime|pickle)(\..*)?"),
]

# autodoc / autosummary: one page per public object, generated at build time.
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types

# numpydoc renders the docstrings; the member tables come from the templates.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# sphinx-gallery: examples/ -> auto_examples/, executed at build time, two
# at a time (each example is a process of its own, mostly on one core).
sphinx_gallery_conf = {
    "parallel": 2,
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": str(HERE / "auto_examples"),
    "filename_pattern": r"/plot_",
    "image_scrapers": ("matplotlib",),
    "doc_module": ("skmlp",),
    "backreferences_dir": str(HERE / "api" / "generated" / "backreferences"),
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
    "min_reported_time": 1,
}

# matplotlib's plot directive: figures drawn from code in the user guide.
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.figsize": (6.4, 3.6), "savefig.bbox": "tight"}
# The figures train short runs on purpose: their ConvergenceWarnings are noise.
plot_pre_code = """
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

warnings.filterwarnings("ignore", category=ConvergenceWarning)
"""

html_theme = "pydata_sphinx_theme"
html_title = "skmlp %s" % release
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "getting_started": []}
# The benchmark tables' layout (docs/_static/skmlp.css).
html_static_path = ["_static"]
html_css_files = ["skmlp.css"]
html_show_sourcelink = False


# The estimators inherit methods from scikit-learn (score, get_params,
# set_params, the metadata-routing requests), whose docstrings refer to labels
# and glossary terms of scikit-learn's own site. Offline there is nothing to
# link them to, so in those docstrings alone the references become plain text;
# skmlp's own docstrings stay under the nitpicky check.
_FOREIGN_ROLE = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<[^`>]*>)?`")


def _unlink_foreign_references(app, what, name, obj, options, lines):
    if not (getattr(obj, "__module__", None) or "").startswith("sklearn"):
        return
    lines[:] = [_FOREIGN_ROLE.sub(r"\1", line) for line in lines]


def setup(app):
    app.connect("autodoc-process-docstring", _unlink_foreign_references)
