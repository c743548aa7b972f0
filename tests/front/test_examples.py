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


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    args = [sys.executable, str(script)]
    if script.name in ("momentum_vs_gd.py", "penalties_convergence.py"):
        args.append(str(tmp_path))  # figures go to a scratch folder, not docs/
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    if script.name == "momentum_vs_gd.py":
        assert (tmp_path / "trajectories.png").stat().st_size > 0 and (tmp_path / "loss_curves.png").stat().st_size > 0
    if script.name == "penalties_convergence.py":
        assert (tmp_path / "penalties_convergence.png").stat().st_size > 0
