"""Docs are code: every Python block in docs/ runs, and the generated API reference covers every public name
and method, with the code's own signatures and docstrings (`mkdocs build --strict` of the site)."""

import ast
import html
import importlib.util
import inspect
import re
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest

import minimom as mm

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
README = ROOT / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_there_are_pages_with_code():
    assert len(PAGES) >= 7 and sum(len(BLOCK.findall(p.read_text())) for p in PAGES) >= 20


@pytest.mark.parametrize("page", [*PAGES, README], ids=[p.name for p in PAGES] + ["README.md (top level)"])
def test_every_code_block_runs(page, monkeypatch, tmp_path):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": f"docs_{page.stem}"}
    for number, block in enumerate(BLOCK.findall(page.read_text()), 1):
        code = compile(block, f"{page.name} block {number}", "exec")
        exec(code, namespace)  # blocks of a page share one namespace, in order


# --- the generated API reference ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def api_page(tmp_path_factory):
    """docs/api.md as `mkdocs build --strict` renders it: ``{anchor id: (heading text, section text)}``."""
    if importlib.util.find_spec("mkdocstrings_handlers") is None:
        pytest.skip("the docs extra is not installed: pip install -e '.[docs]'")
    site = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr  # --strict: a docstring or link the build warns about fails here
    text = (site / "api" / "index.html").read_text()
    sections = {}
    for match in re.finditer(r'<h(\d) id="(minimom[.\w]*)"[^>]*>(.*?)</h\1>(.*?)(?=<h\d id="minimom|</article>)', text,
                             re.S):
        heading, body = (" ".join(html.unescape(re.sub(r"<[^>]+>", " ", part)).split()).replace("¶", "").strip()
                         for part in (match.group(3), match.group(4)))
        sections[match.group(2)] = (heading, body)
    return sections


def public_names():
    """``minimom.NAME`` for every name in ``__all__``, the schedules one by one."""
    for name in mm.__all__:
        yield f"minimom.{name}", getattr(mm, name)
        if name == "schedules":
            for schedule in mm.schedules.__all__:
                yield f"minimom.schedules.{schedule}", getattr(mm.schedules, schedule)


def public_methods():
    """``minimom.Class.method`` for every public method a class in ``__all__`` defines or inherits from a minimom
    class, plus scikit-learn's ``score`` (the estimators' methods a user calls; not ``get_params`` and friends)."""
    for name in mm.__all__:
        cls = getattr(mm, name)
        if not inspect.isclass(cls):
            continue
        for attribute in dir(cls):
            owner = next((c for c in cls.__mro__ if attribute in c.__dict__), None)
            if attribute.startswith("_") or owner is None or not inspect.isfunction(owner.__dict__[attribute]):
                continue
            if owner.__module__.startswith("minimom") or attribute == "score":
                yield f"minimom.{name}.{attribute}", getattr(cls, attribute)


def check_signature(heading: str, obj, anchor: str) -> None:
    """The generated heading's parameters are those of ``inspect.signature(obj)``: names, kinds and defaults."""
    match = re.search(r"\((.*)\)", heading)  # labels such as "dataclass" may follow it
    if match is None and inspect.isclass(obj) and not inspect.signature(obj).parameters:
        return  # a class without parameters shows no parentheses
    assert match, f"{anchor}: no signature in the generated heading {heading!r}"
    generated = ast.parse(f"def f({match.group(1)}): pass").body[0].args
    expected = [p for p in inspect.signature(obj).parameters.values() if p.name not in ("self", "cls")]
    positional = generated.posonlyargs + generated.args
    names = [a.arg for a in positional] + ([f"*{generated.vararg.arg}"] if generated.vararg else []) + \
        [a.arg for a in generated.kwonlyargs] + ([f"**{generated.kwarg.arg}"] if generated.kwarg else [])
    stars = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}
    assert names == [stars.get(p.kind, "") + p.name for p in expected], f"{anchor}: stale parameters in the docs"
    keyword_only = {p.name for p in expected if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert {a.arg for a in generated.kwonlyargs} == keyword_only, f"{anchor}: keyword-only parameters differ"
    defaults = dict(zip([a.arg for a in positional][::-1], generated.defaults[::-1]))
    defaults.update({a.arg: d for a, d in zip(generated.kwonlyargs, generated.kw_defaults) if d is not None})
    module = sys.modules[inspect.unwrap(obj).__module__]
    for p in expected:
        if p.default is inspect.Parameter.empty:
            assert p.name not in defaults, f"{anchor}: {p.name} shows a default it does not have"
            continue
        node = defaults[p.name]
        shown = getattr(module, node.id) if isinstance(node, ast.Name) else ast.literal_eval(node)
        assert shown == p.default or (shown != shown and p.default != p.default), f"{anchor}: default of {p.name}"


def summary_line(obj) -> str:
    """The docstring's first line as the page shows it, spaces aside: no backticks, no reST roles."""
    first = inspect.getdoc(obj).strip().splitlines()[0]
    return re.sub(r":\w+:|`|\s", "", first)


def check_documented(anchor, obj, api_page, with_signature):
    assert anchor in api_page, f"{anchor} is missing from the generated API reference (docs/api.md)"
    heading, body = api_page[anchor]
    if with_signature:
        check_signature(heading, obj, anchor)
    assert inspect.getdoc(obj), f"{anchor} has no docstring"
    assert summary_line(obj) in re.sub(r":\w+:|`|\s", "", body), f"{anchor}: docstring not rendered"


@pytest.mark.parametrize("anchor, obj", list(public_names()), ids=[a for a, _ in public_names()])
def test_api_reference_documents_every_public_name_with_its_signature(anchor, obj, api_page):
    check_documented(anchor, obj, api_page,
                     with_signature=callable(obj) and anchor not in ("minimom.OptimizeResult", "minimom.TracingError"))


@pytest.mark.parametrize("anchor, method", list(public_methods()), ids=[a for a, _ in public_methods()])
def test_api_reference_documents_every_public_method(anchor, method, api_page):
    check_documented(anchor, method, api_page, with_signature=True)


def test_the_methods_the_issue_names_are_covered():
    anchors = {anchor for anchor, _ in public_methods()}
    assert {"minimom.LogisticRegression.fit", "minimom.LogisticRegression.predict_proba", "minimom.Ridge.score",
            "minimom.LinearRegression.predict", "minimom.Curvature.extremes", "minimom.Optimizer.update",
            "minimom.ComparisonReport.to_dict"} <= anchors


def test_figures_named_in_docs_exist():
    for page in PAGES:
        for image in re.findall(r"\]\((images/[^)]+)\)", page.read_text()):
            assert (DOCS / image).stat().st_size > 0
    for target in re.findall(r"\]\(([^)#:]+)\)", README.read_text()):  # the README's picture and links
        assert (ROOT / target).exists(), target


def test_readme_reads_in_a_minute():
    text = README.read_text()
    first = text.split("```")[0]
    assert "minimom" in first and "autograd" in first  # it says what minimom is before any command
    commands = re.findall(r"```bash\n(.*?)```", text, re.S)[0]
    assert 'pip install -e . && python -m minimom compare' in commands
    assert 'pip install -e ".[test]" && python -m pytest' in commands
    ci = (ROOT / ".ci" / "run").read_text()
    assert "\npython -m pytest\n" in ci  # CI runs exactly the README's test command
    assert "the seed's rule" in text and "v = beta*v - lr*grad; theta += v" in text  # explained where used
    assert len(re.findall(r"!\[", text)) == 1 and len(text.splitlines()) <= 70
