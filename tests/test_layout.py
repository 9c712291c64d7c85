"""The three runtimes of bot/ stay apart: the developer tools are a package of their own."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.paths import PROJECT_ROOT

BOT = PROJECT_ROOT / "bot"
DEVTOOLS = BOT / "devtools"
TRAINER = BOT / "trainer"
# The CLI offers `jra model` and `jra bench`, and the trainers' workbench (bot/trainer/: inbox,
# example saver, console) checks, saves and evaluates training data as `make check-nlu` and
# `make evaluate` do; nothing else that runs in production needs the tools.
MAY_USE_DEVTOOLS = {BOT / "cli.py"}


def imported_modules(path: Path) -> set[str]:
    """Return every module a Python file imports (absolute imports)."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def offenders(files: list[Path], forbidden_prefix: str) -> list[str]:
    """Return "file: module" for each import of a forbidden package."""
    return [
        f"{path.name}: {module}"
        for path in files
        for module in sorted(imported_modules(path))
        if module == forbidden_prefix or module.startswith(forbidden_prefix + ".")
    ]


def test_the_developer_tools_never_import_the_action_servers_code() -> None:
    assert offenders(sorted(DEVTOOLS.glob("*.py")), "actions") == []


def test_only_the_cli_reaches_into_the_developer_tools() -> None:
    runtime = [
        path
        for path in sorted(BOT.rglob("*.py"))
        if DEVTOOLS not in path.parents and TRAINER not in path.parents and path not in MAY_USE_DEVTOOLS
    ]
    assert offenders(runtime, "bot.devtools") == []


def test_the_check_finds_a_planted_import(tmp_path: Path) -> None:
    planted = tmp_path / "tool.py"
    planted.write_text("from actions.db.loader import load_database\nimport bot.devtools.model\n", encoding="utf-8")
    assert offenders([planted], "actions") == ["tool.py: actions.db.loader", "tool.py: actions.db.loader.load_database"]
    assert offenders([planted], "bot.devtools") == ["tool.py: bot.devtools.model"]
