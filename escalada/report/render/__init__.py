"""The report's output formats, one registry: `--format NAME` picks a renderer."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from escalada.report.build import Report

Renderer = Callable[[Report], str]

# format -> (module, what it is for); imported on use (html needs the `report` extra)
FORMATS: dict[str, tuple[str, str]] = {
    "text": ("escalada.report.render.text", "a terminal summary and tables"),
    "markdown": ("escalada.report.render.markdown", "a weekly issue or chat post"),
    "json": ("escalada.report.render.json", "tools (shape in docs/report.md)"),
    "html": ("escalada.report.render.html", "one self-contained page with charts"),
}


def renderer(name: str) -> Renderer:
    """The format's render function; a missing optional library is one clear error."""
    from escalada.errors import EscaladaError

    try:
        module = import_module(FORMATS[name][0])
    except ModuleNotFoundError as error:
        raise EscaladaError(
            f"the {name} report needs {error.name}, which is not installed",
            hint="pip install 'escalada[report]'",
        ) from None
    render: Renderer = module.render
    return render
