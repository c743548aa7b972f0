"""Issue 22 (compare's timing, legend and plot) and issue 20, items 10 and 11 and the full or closed stdout:
`compare` and `python -m minimom compare`, checked against scikit-learn fits and threadpoolctl made here."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn import linear_model as sk
from sklearn.datasets import load_iris, load_linnerud
from threadpoolctl import threadpool_info

import minimom as mm
from minimom import cli

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def run_cli(*args, **kwargs):
    if "stdout" not in kwargs:
        kwargs["capture_output"] = True
    return subprocess.run([sys.executable, "-m", "minimom", *args], text=True, timeout=300, env=ENV, **kwargs)


# --- item 11: one penalty per target ------------------------------------------------------------------------

@pytest.mark.parametrize("alpha", [[1, 2], [0.5, 20.0, 300.0], np.array([3.0, 0.1, 10.0])])
def test_compare_ridge_with_one_penalty_per_target_matches_scikit_learn(alpha):
    X, Y = load_linnerud(return_X_y=True)
    Y = Y[:, :len(alpha)]
    report = mm.compare(mm.Ridge(alpha=alpha), X, Y, dataset="linnerud")
    ref = sk.Ridge(alpha=np.asarray(alpha, dtype=float), solver="cholesky").fit(X, Y)
    assert report.agrees and report.max_abs_diff <= 1e-6
    # scikit-learn's objective, written out here: sum_t ||y_t - X w_t - b_t||^2 + alpha_t ||w_t||^2
    penalty = np.sum(np.asarray(alpha) * np.sum(ref.coef_**2, axis=1))
    expected = np.sum((Y - X @ ref.coef_.T - ref.intercept_) ** 2) + penalty
    assert report.objective_reference == pytest.approx(expected, rel=1e-12)
    assert abs(report.objective_gap) <= 1e-10
    assert report.score_reference == pytest.approx(ref.score(X, Y), abs=1e-12)
    # the penalties differ per target: one shared alpha (the first) would give another solution and objective
    shared = sk.Ridge(alpha=float(alpha[0]), solver="cholesky").fit(X, Y)
    assert np.max(np.abs(shared.coef_ - ref.coef_)) > 1e-5  # well beyond the 1e-6 that counts as agreeing


# --- both sides timed under the same BLAS limit ------------------------------------------------------------

def blas_threads_now():
    return {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}


class RecordingRidge(mm.Ridge):
    """minimom's Ridge that notes the BLAS thread limit in force when fit starts."""

    seen: list = []

    def fit(self, X, y, sample_weight=None):
        RecordingRidge.seen.append(blas_threads_now())
        return super().fit(X, y, sample_weight=sample_weight)


class RecordingSkRidge(sk.Ridge):
    seen: list = []

    def fit(self, X, y, sample_weight=None):
        RecordingSkRidge.seen.append(blas_threads_now())
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("threads", [1, 2])
def test_both_fits_run_under_the_same_blas_limit(threads):
    if not blas_threads_now():
        pytest.skip("no BLAS that threadpoolctl can see")
    X, Y = load_linnerud(return_X_y=True)
    RecordingRidge.seen, RecordingSkRidge.seen = [], []
    before = blas_threads_now()
    report = mm.compare(RecordingRidge(), X, Y, reference=RecordingSkRidge(solver="cholesky"), blas_threads=threads)
    assert RecordingRidge.seen == [{threads}] and RecordingSkRidge.seen == [{threads}]
    assert blas_threads_now() == before and report.blas_threads == threads and report.agrees
    RecordingRidge.seen, RecordingSkRidge.seen = [], []
    mm.compare(RecordingRidge(), X, Y, reference=RecordingSkRidge(solver="cholesky"), blas_threads=None)
    assert RecordingRidge.seen == [before] and RecordingSkRidge.seen == [before]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_compare_rejects_a_bad_thread_count(bad):
    X, Y = load_linnerud(return_X_y=True)
    with pytest.raises(ValueError, match="blas_threads"):
        mm.compare(mm.Ridge(), X, Y, blas_threads=bad)


# --- the legend ------------------------------------------------------------------------------------------

LEGEND_WORDS = ["max|diff|", "obj gap", "negative", "iters", "optimizer=None", "threadpoolctl", "BLAS"]


def test_help_explains_the_columns_and_the_thread_limit():
    done = run_cli("compare", "--help")
    assert done.returncode == 0
    for word in LEGEND_WORDS + ["--threads"]:
        assert word in done.stdout, word


def test_the_table_has_a_legend_that_names_the_thread_limit():
    done = run_cli("compare", "--dataset", "linnerud", "--model", "Ridge", "--threads", "2")
    assert done.returncode == 0, done.stderr
    table, legend = done.stdout.split("1 of 1 agree within 1e-06.")
    assert "linnerud" in table and "Ridge" in table
    for word in LEGEND_WORDS:
        assert word in legend, word
    assert "limited to 2 threads" in legend


# --- --plot: the default optimizer, a caption, no empty panel -------------------------------------------

def test_convergence_curves_start_with_the_default_whose_iterations_the_table_shows():
    from minimom.plotting import DEFAULT, OPTIMIZERS, convergence_curves

    X, y = load_iris(return_X_y=True)
    curves = convergence_curves(mm.LogisticRegression(), X, y, max_iter=30)
    assert list(curves) == [DEFAULT, *OPTIMIZERS]
    report = mm.compare(mm.LogisticRegression(), X, y)
    assert len(curves[DEFAULT]) == report.n_iter  # one point per iteration of the table's row
    # the default reaches scikit-learn's optimum: its last gap is round-off, the 30-step baselines are above it
    assert curves[DEFAULT][-1] <= 1e-12 and all(curves[name][-1] > curves[DEFAULT][-1] for name in OPTIMIZERS)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 7])
def test_every_panel_has_curves_and_the_figure_has_one_legend_and_a_caption(count, monkeypatch):
    pytest.importorskip("matplotlib")
    from minimom import plotting

    def fake_curves(estimator, X, y, max_iter):
        return {name: np.geomspace(1, 1e-10, 5) for name in [plotting.DEFAULT, *plotting.OPTIMIZERS]}

    monkeypatch.setattr(plotting, "convergence_curves", fake_curves)
    fig = plotting.convergence_figure([("iris", "LogisticRegression", None, None)] * count, max_iter=30)
    panels = [ax for ax in fig.axes if ax.axison]
    assert len(panels) == count and all(len(ax.get_lines()) == 1 + len(plotting.OPTIMIZERS) for ax in panels)
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()] + list(fig.legends)
    assert len(legends) == 1 and plotting.DEFAULT in [t.get_text() for t in legends[0].get_texts()]
    texts = [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]
    assert any("optimizer=None" in t and "30 iterations" in t.replace("\n", " ") for t in texts)
    hidden = [ax for ax in fig.axes if not ax.axison]  # a spare cell holds the legend and the caption, never nothing
    assert all(ax.get_legend() or ax.texts for ax in hidden)


# --- item 10: --plot at a directory or an unwritable path, before any fitting ---------------------------

@pytest.mark.parametrize("target", ["{tmp}/", "{tmp}", "{tmp}/sub.png/"])
def test_plot_at_a_directory_exits_2_before_fitting(target, tmp_path, capsys, monkeypatch):
    (tmp_path / "sub.png").mkdir()
    fitted = []
    monkeypatch.setattr(cli, "compare", lambda *a, **k: fitted.append(a))
    with pytest.raises(SystemExit) as info:
        cli.main(["compare", "--plot", target.format(tmp=tmp_path)])
    assert info.value.code == 2 and not fitted  # nothing was fitted
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "--plot" in lines[0] and "directory" in lines[0], lines
    assert captured.out == "" and "[1/" not in captured.err


def test_plot_at_a_directory_exits_2_from_the_shell(tmp_path):
    done = run_cli("compare", "--plot", f"{tmp_path}/")
    assert done.returncode == 2 and "Traceback" not in done.stderr and "[1/" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "is a directory" in done.stderr


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
@pytest.mark.parametrize("path", ["/proc/curves.png", "/proc/self/curves.png"])
def test_plot_at_an_unwritable_path_exits_2_before_fitting(path, capsys, monkeypatch):
    fitted = []
    monkeypatch.setattr(cli, "compare", lambda *a, **k: fitted.append(a))
    with pytest.raises(SystemExit) as info:
        cli.main(["compare", "--plot", path])
    assert info.value.code == 2 and not fitted
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "--plot" in lines[0] and path in lines[0]
    assert "cannot write" in lines[0] or "not writable" in lines[0]


def test_a_writable_plot_path_is_left_as_it_was_by_the_check(tmp_path):
    existing = tmp_path / "old.png"
    existing.write_bytes(b"keep")
    parser = cli.build_parser()
    cli._check_plot_path(str(existing), parser)
    cli._check_plot_path(str(tmp_path / "new.png"), parser)
    assert existing.read_bytes() == b"keep" and sorted(p.name for p in tmp_path.iterdir()) == ["old.png"]


# --- a full or closed stdout -----------------------------------------------------------------------------

@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_stdout_gets_one_line_and_no_traceback():
    with open("/dev/full", "w") as full:
        done = run_cli("compare", "--dataset", "linnerud", stdout=full, stderr=subprocess.PIPE)
    assert done.returncode == cli.EXIT_IO_ERROR
    errors = [line for line in done.stderr.splitlines() if not line.startswith("[")]
    assert len(errors) == 1 and "standard output" in errors[0] and "No space left" in errors[0], done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_stdout_in_json_mode_too(monkeypatch, capsys):
    with open("/dev/full", "w") as full:
        monkeypatch.setattr(sys, "stdout", full)
        status = cli.main(["compare", "--dataset", "linnerud", "--json"])
    assert status == cli.EXIT_IO_ERROR
    errors = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("[")]
    assert len(errors) == 1 and "No space left" in errors[0]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file descriptors")
def test_a_closed_stdout_gets_one_line_before_fitting():
    done = subprocess.run([sys.executable, "-m", "minimom", "compare"], stdout=None, stderr=subprocess.PIPE,
                          text=True, timeout=120, env=ENV, preexec_fn=lambda: os.close(1))
    assert done.returncode == cli.EXIT_IO_ERROR
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "standard output is closed" in lines[0], done.stderr
    assert "[1/" not in done.stderr  # it stopped before fitting


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell")
def test_piped_into_head_ends_quietly():
    done = subprocess.run(f"'{sys.executable}' -m minimom compare --dataset diabetes | head -1", shell=True,
                          capture_output=True, text=True, timeout=300, env=ENV)
    assert done.stdout.startswith("dataset") and len(done.stdout.splitlines()) == 1
    assert "Traceback" not in done.stderr and "Error" not in done.stderr
