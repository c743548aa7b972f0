"""mkdocs hooks: the docstrings' reST roles (``:func:`minimize```) read as plain code in the generated pages."""

import re

_ROLE = re.compile(r":(?:func|class|meth|data|attr|mod|obj|exc):(?=<code)")


def on_page_content(html: str, **kwargs) -> str:
    return _ROLE.sub("", html)
