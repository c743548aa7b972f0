"""The benchmark script runs end to end (--quick) and produces every table row; timings are not asserted."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmark_produces_every_row(tmp_path):
    output = tmp_path / "results.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--output", str(output)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads(output.read_text())
    for section in ["a_quadratics", "b_estimators", "c_gradient_cost", "d_torch", "e_minibatch", "f_callback"]:
        assert results[section], section
        assert f"== {section} ==" in done.stdout
    for row in results["a_quadratics"]:
        assert row["momentum_auto"] is not None and row["gradient_descent"] is not None
    for row in results["b_estimators"]:
        assert row["max_abs_diff"] <= 1e-6 and 1 <= row["iterations_to_1e-6"] <= row["iterations_default"]
