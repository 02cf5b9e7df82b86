"""The README must not drift from the code: settings table and dependency list."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from docintake.settings import Settings, settings_markdown

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_settings_table_is_generated_from_the_settings_class() -> None:
    """GIVEN the Settings class WHEN the README is read THEN its settings block equals the generated table."""
    block = README.split("<!-- settings:start -->\n", 1)[1].split("\n<!-- settings:end -->", 1)[0]
    assert block == settings_markdown(), (
        "run: python -c 'from docintake.settings import settings_markdown as m; print(m())'"
    )
    for name in Settings.model_fields:
        assert f"`DOCINTAKE_{name.upper()}`" in README


def test_every_direct_dependency_is_explained_in_the_readme() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [re.split(r"[=<>\[ ]", dep, maxsplit=1)[0] for dep in project["dependencies"]]
    names += [re.split(r"[=<>\[ ]", dep, maxsplit=1)[0] for dep in project["optional-dependencies"]["dev"]]
    table = README.split("## Dependencies and why", 1)[1]
    missing = [name for name in names if name not in table]
    assert not missing, f"README's dependency table does not explain: {missing}"


def test_every_direct_dependency_is_pinned() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for dep in [*project["dependencies"], *project["optional-dependencies"]["dev"]]:
        assert "==" in dep, f"{dep} is not pinned"


def test_readme_shows_the_two_commands() -> None:
    assert "make run" in README and "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()
