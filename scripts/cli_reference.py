"""``docs/cli.md``: every command of datagen, augment and train with its arguments and options
(type, default, range or choices, help), written from the option dataclasses themselves.

``python scripts/cli_reference.py`` rewrites the file; ``--check`` exits 1 when it is stale
(a test does the same).
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
import typing
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from schemas.cache import cache_root  # noqa: E402
from schemas.console import PANEL as CONSOLE_PANEL  # noqa: E402
from schemas.options import _strip_optional, display_name, option_fields  # noqa: E402

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
PROGRAMS = ("datagen", "augment", "train")
TYPE_NAMES = {int: "integer", float: "number", str: "text", Path: "path", bool: "switch"}


def _apps() -> list[tuple[str, Any]]:
    from augment.cli import app as augment
    from datagen.cli import app as datagen
    from train.cli import app as train

    return list(zip(PROGRAMS, (datagen, augment, train), strict=True))


def reference() -> str:
    """The whole reference as Markdown."""
    lines = [
        "# Command-line reference",
        "",
        "Generated from the option dataclasses by `python scripts/cli_reference.py`; do not "
        "edit by hand. Every command also takes `--config FILE` (JSON or YAML with the same "
        "names, flags override it) and `--version`. `<cache>` is `$MBTIKIT_CACHE`, else "
        "`$XDG_CACHE_HOME/mbtikit`, else `~/.cache/mbtikit`.",
        "",
    ]
    for program, app in _apps():
        lines += [f"## {program}", "", app.info.help, ""]
        for info in app.registered_commands:
            lines += _command(program, info)
    return "\n".join(lines).rstrip() + "\n"


def _command(program: str, info: Any) -> list[str]:
    cls = info.callback.options_class
    lines = [f"### {program} {info.name}", "", _paragraphs(info.callback.__wrapped__.__doc__), ""]
    fields = [(f, tp) for _, f, tp in option_fields(cls) if f.metadata.get("cli")]
    arguments = [(f, tp) for f, tp in fields if f.metadata.get("argument")]
    # the console options (-q/-v/--progress) that every command has come last
    options = sorted(
        ((f, tp) for f, tp in fields if not f.metadata.get("argument")),
        key=lambda item: item[0].metadata.get("panel") == CONSOLE_PANEL,
    )
    if arguments:
        lines += ["| Argument | Type | Required | Description |", "| --- | --- | --- | --- |"]
        for f, tp in arguments:
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            lines.append(
                f"| `{display_name(f)}` | {_type(f, tp)} | {'yes' if required else 'no'} | "
                f"{_cell(f.metadata['help'])} |"
            )
        lines.append("")
    lines += [
        "| Option | Type | Default | Accepts | Description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f, tp in options:
        lines.append(
            f"| {_spelling(f, tp)} | {_type(f, tp)} | {_default(f)} | {_accepts(f)} | "
            f"{_cell(f.metadata['help'])} |"
        )
    return [*lines, ""]


def _paragraphs(doc: str | None) -> str:
    paragraphs = inspect.cleandoc(doc or "").split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


def _spelling(f: dataclasses.Field, tp: Any) -> str:
    flag = display_name(f)
    if _strip_optional(tp)[0] is bool and not f.metadata.get("flag"):
        flag = f"{flag}/--no-{flag[2:]}"
    short = f.metadata.get("short")
    return " ".join(f"`{spelling}`" for spelling in (*flag.split("/"), *([short] if short else [])))


def _type(f: dataclasses.Field, tp: Any) -> str:
    shown = f.metadata.get("cli_type") or tp
    inner, _ = _strip_optional(shown)
    if typing.get_origin(inner) in (list, tuple):
        item = typing.get_args(inner)[0]
        return f"{TYPE_NAMES.get(item, getattr(item, '__name__', str(item)))}, repeatable"
    return TYPE_NAMES.get(inner, getattr(inner, "__name__", str(inner)))


def _default(f: dataclasses.Field) -> str:
    if f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
    elif f.default is dataclasses.MISSING:
        return "required"
    else:
        value = f.default
    if value is None or value in ((), [], {}):
        return "–"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, Path) and value.is_relative_to(cache_root()):
        value = Path("<cache>", value.relative_to(cache_root()))
    return f"`{getattr(value, 'pattern', value)}`"


def _accepts(f: dataclasses.Field) -> str:
    if f.metadata.get("choices"):
        return ", ".join(f"`{choice}`" for choice in f.metadata["choices"])
    if f.metadata.get("range"):
        return _cell(str(f.metadata["range"]))
    return ""


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def main(argv: list[str]) -> int:
    text = reference()
    if "--check" in argv:
        if REFERENCE.read_text(encoding="utf-8") != text:
            print(f"{REFERENCE} is stale: run python scripts/cli_reference.py", file=sys.stderr)
            return 1
        return 0
    REFERENCE.write_text(text, encoding="utf-8")
    print(f"wrote {REFERENCE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
