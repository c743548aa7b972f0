"""Docs are code: every Python block in docs/ runs, and the API reference covers every public name."""

import inspect
import re
from pathlib import Path

import matplotlib
import pytest

import minimom as mm

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted(DOCS.glob("*.md"))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_there_are_pages_with_code():
    assert len(PAGES) >= 7 and sum(len(BLOCK.findall(p.read_text())) for p in PAGES) >= 20


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_code_block_runs(page, monkeypatch, tmp_path):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": f"docs_{page.stem}"}
    for number, block in enumerate(BLOCK.findall(page.read_text()), 1):
        code = compile(block, f"{page.name} block {number}", "exec")
        exec(code, namespace)  # blocks of a page share one namespace, in order


def plain_signature(obj) -> str:
    sig = inspect.signature(obj)
    parameters = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    return str(sig.replace(parameters=parameters, return_annotation=inspect.Signature.empty))


def test_api_reference_lists_every_public_name_with_its_signature():
    text = (DOCS / "api.md").read_text()
    for name in mm.__all__:
        if name == "schedules":
            for schedule in mm.schedules.__all__:
                assert f"schedules.{schedule}{plain_signature(getattr(mm.schedules, schedule))}" in text
            continue
        assert f"## `{name}`" in text, f"{name} is missing from docs/api.md"
        obj = getattr(mm, name)
        if callable(obj) and name not in ("OptimizeResult", "TracingError"):
            assert f"{name}{plain_signature(obj)}" in text, f"the signature of {name} in docs/api.md is stale"


def test_figures_named_in_docs_exist():
    for page in PAGES:
        for image in re.findall(r"\]\((images/[^)]+)\)", page.read_text()):
            assert (DOCS / image).stat().st_size > 0
