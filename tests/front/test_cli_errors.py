"""Issue 13, items 2, 12 and 13c: the command line under Ctrl-C, bad arguments and a closed pipe; plots
that leave the caller's matplotlib backend alone."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from minimom import cli

ROOT = Path(__file__).resolve().parents[2]


def start_cli(*args, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-m", "minimom", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_compare_at_once_with_status_130():
    process = start_cli("compare", "--dataset", "digits")  # a fit of several seconds
    first_line = process.stderr.readline()  # "[1/1] digits / ..." is printed before loading and fitting
    assert first_line.startswith("[1/1]"), first_line
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert out == ""  # no table, no bogus "NO" row
    assert "Traceback" not in err and "interrupted" in err


def test_a_reader_that_leaves_gets_no_traceback():
    # `python -m minimom compare | head -1`, made deterministic: the reader is gone before the table is written.
    process = start_cli("compare", "--dataset", "diabetes", "--model", "LinearRegression")
    process.stdout.close()
    err = process.stderr.read()
    process.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert process.returncode == 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader left


@pytest.mark.parametrize("args, names", [
    (["--max-iter", "0"], ["--max-iter", "'0'"]),
    (["--max-iter", "-3"], ["--max-iter", "'-3'"]),
    (["--max-iter", "many"], ["--max-iter", "'many'"]),
    (["--tolerance", "-1"], ["--tolerance", "'-1'"]),
    (["--tolerance", "nan"], ["--tolerance", "'nan'"]),
    (["--tolerance", "inf"], ["--tolerance", "'inf'"]),
    (["--plot", "{tmp}/missing/curves.png"], ["--plot", "does not exist"]),
    (["--plot", "{tmp}/curves.xyz"], ["--plot", ".png"]),
    (["--plot", "{tmp}/curves"], ["--plot", ".png"]),
])
def test_bad_arguments_exit_2_with_one_line_before_any_fitting(args, names, tmp_path, capsys, monkeypatch):
    fitted = []
    monkeypatch.setattr(cli, "compare", lambda *a, **k: fitted.append(a))
    with pytest.raises(SystemExit) as info:
        cli.main(["compare", *[a.format(tmp=tmp_path) for a in args]])
    assert info.value.code == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0] and all(name in lines[0] for name in names), lines
    assert captured.out == "" and not fitted and not list(tmp_path.iterdir())


def test_good_edge_values_are_accepted(capsys, monkeypatch, tmp_path):
    seen = []
    monkeypatch.setattr(cli, "run_compare", lambda args, parser: seen.append(args) or 0)
    assert cli.main(["compare", "--max-iter", "1", "--tolerance", "0", "--plot", str(tmp_path / "c.svg")]) == 0
    assert seen[0].max_iter == 1 and seen[0].tolerance == 0.0


def test_plot_leaves_the_callers_backend_alone(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    from sklearn.datasets import load_iris

    from minimom.plotting import plot_convergence

    before = matplotlib.get_backend()
    matplotlib.use("svg")  # a backend a user might have chosen; Agg is what plotting used to force
    try:
        X, y = load_iris(return_X_y=True)
        plot_convergence([("iris", "LogisticRegression", X[:, :2], y)], str(tmp_path / "c.png"), max_iter=20)
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before)
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
