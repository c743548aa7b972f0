"""Every script in examples/ runs to completion (matplotlib's Agg backend)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.py"))


def test_the_examples_the_tutorials_name_exist():
    names = {p.name for p in EXAMPLES}
    assert {"quickstart.py", "momentum_vs_gd.py", "fit_sklearn_datasets.py", "custom_optimizer.py",
            "minibatch.py"} <= names


FIGURES = {  # the figures each example draws (docs/images/ by default; the gallery, docs/examples.md, shows them)
    "momentum_vs_gd.py": ["trajectories.png", "loss_curves.png"],
    "fit_sklearn_datasets.py": ["sklearn_convergence.png"],
    "minibatch.py": ["minibatch_loss.png"],
    "sparse_path.py": ["lasso_path.png"],
    "penalties_convergence.py": ["penalties_convergence.png"],
}


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    args = [sys.executable, str(script)]
    if script.name in FIGURES:
        args.append(str(tmp_path))  # figures go to a scratch folder, not docs/
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    for figure in FIGURES.get(script.name, []):
        assert (tmp_path / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", figure
    if script.name == "sparse_path.py":  # the path agrees with scikit-learn's lasso_path, zeros included
        assert "same zeros everywhere: True" in done.stdout


def test_the_gallery_shows_every_figure_the_examples_draw():
    gallery = (EXAMPLES[0].parents[1] / "docs" / "examples.md").read_text()
    for script, figures in FIGURES.items():
        assert f"examples/{script}" in gallery
        for figure in figures:
            assert f"(images/{figure})" in gallery and (EXAMPLES[0].parents[1] / "docs" / "images" / figure).is_file()
    for script in EXAMPLES:
        assert f"examples/{script.name}" in gallery, script.name
