"""The examples in minimom's docstrings run and print what they say."""

import doctest
import importlib
import pkgutil

import pytest

import minimom

MODULES = [minimom] + [importlib.import_module(f"minimom.{m.name}") for m in pkgutil.iter_modules(minimom.__path__)
                       if m.name != "__main__"]


@pytest.mark.parametrize("module", MODULES, ids=[m.__name__ for m in MODULES])
def test_docstring_examples(module):
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failures == 0
