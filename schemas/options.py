"""Command options declared once, as dataclass fields, the way ``HfArgumentParser`` serves
Hugging Face's ``run_classification.py``.

A command's options are the fields of one dataclass: the help text sits in the field's
metadata, checks sit in ``__post_init__`` (raising :class:`~schemas.errors.InputError`).
:func:`typer_command` derives the typer signature from the dataclass, adds ``--config FILE``
(JSON or YAML holding the same field names; flags given on the command line override it) and
calls ``run(config)`` with one validated instance::

    @dataclass
    class ScrapeOptions:
        url: str = option(help="Start page.", argument=True)
        out: Path = option(help="Output directory.")
        depth: int = option(2, help="Link depth.")

    app.command("scrape")(typer_command(ScrapeOptions, run_scrape))

A field whose type is itself an options dataclass (declared with :func:`group`) contributes its
own fields as flags under a help panel of that name, and arrives as one nested instance.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_args, get_origin

import typer

from schemas.errors import InputError

T = TypeVar("T")

_MISSING = dataclasses.MISSING


def option(
    default: Any = _MISSING,
    *,
    help: str,  # noqa: A002 - the word users of argparse/typer expect
    flag: str | None = None,
    short: str | None = None,
    argument: bool = False,
    default_factory: Callable[[], Any] | Any = _MISSING,
    panel: str | None = None,
    cli: bool = True,
    cli_type: Any = None,
    aliases: tuple[str, ...] = (),
) -> Any:
    """A dataclass field that is also a command-line option (or argument).

    ``flag`` overrides the derived ``--field-name``; ``short`` adds e.g. ``-q``; ``argument``
    makes it positional; ``cli=False`` keeps a field for the Python API and config files only.
    ``cli_type`` is the type the flag parses (default ``None``, meaning the field's default)
    when it differs from the field's (``__post_init__`` converts it, e.g. a path to the table
    it names); ``aliases`` are old
    spellings of the flag, accepted but hidden from ``--help``.
    """
    metadata = {
        "help": help,
        "flag": flag,
        "short": short,
        "argument": argument,
        "panel": panel,
        "cli": cli,
        "cli_type": cli_type,
        "aliases": aliases,
    }
    if default_factory is not _MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def group(cls: type, *, panel: str) -> Any:
    """A field holding a nested options dataclass whose fields become flags under ``panel``."""
    return dataclasses.field(default_factory=cls, metadata={"group": panel, "cli": True})


def _hints(cls: type) -> dict[str, Any]:
    # each field's annotation is resolved in the module of the class declaring it (subclasses)
    return typing.get_type_hints(cls, include_extras=False)


def _strip_optional(tp: Any) -> tuple[Any, bool]:
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(get_args(tp)) == 2:
            return args[0], True
    return tp, False


def _flag_name(name: str, meta: Mapping[str, Any]) -> str:
    return meta.get("flag") or "--" + name.replace("_", "-")


def _parameters(cls: type, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """(path of field names, inspect.Parameter) for every CLI field, groups flattened."""
    hints = _hints(cls)
    out: list[tuple[tuple[str, ...], Any]] = []
    for f in dataclasses.fields(cls):
        meta = f.metadata
        if not meta.get("cli", False):
            continue
        if "group" in meta:
            out.extend(_parameters(hints[f.name], (*prefix, f.name)))
            continue
        panel = meta.get("panel") or _panel_of(cls)
        annotation = meta.get("cli_type") or hints[f.name]
        default = f.default if f.default is not _MISSING else None
        if f.default_factory is not _MISSING:
            default = f.default_factory()
        if meta.get("cli_type"):
            default = None
        required = f.default is _MISSING and f.default_factory is _MISSING
        if meta["argument"]:
            info = typer.Argument(help=meta["help"], show_default=not required)
        else:
            flag = _flag_name(f.name, meta)
            decls = [flag]
            if _strip_optional(hints[f.name])[0] is bool and not meta.get("flag"):
                decls = [f"{flag}/--no-{flag[2:]}"]
            if meta.get("short"):
                decls.append(meta["short"])
            info = typer.Option(
                *decls,
                show_default=not required,
                help=meta["help"],
                rich_help_panel=panel,
            )
        param_name = "__".join((*prefix, f.name))
        for i, alias in enumerate(meta.get("aliases") or ()):
            hidden = typer.Option(alias, hidden=True, help=meta["help"])
            out.append(
                (
                    (*prefix, f.name),
                    inspect.Parameter(
                        f"{param_name}__alias{i}",
                        inspect.Parameter.KEYWORD_ONLY,
                        default=None,
                        annotation=Annotated[annotation | None, hidden],
                    ),
                )
            )
        out.append(
            (
                (*prefix, f.name),
                inspect.Parameter(
                    param_name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=inspect.Parameter.empty if required and meta["argument"] else default,
                    annotation=Annotated[annotation, info],
                ),
            )
        )
    return out


def _panel_of(cls: type) -> str | None:
    return getattr(cls, "options_panel", None)


def read_config_file(path: Path) -> dict[str, Any]:
    """A JSON or YAML mapping of field names to values (``--config``)."""
    if not path.is_file():
        raise InputError("no such file", file=path, field="--config")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as err:  # json and yaml raise their own error types
        raise InputError(f"not valid JSON/YAML ({type(err).__name__})", file=path) from None
    if not isinstance(data, dict):
        raise InputError("must hold a mapping of option names to values", file=path)
    return data


def build(cls: type[T], values: Mapping[str, Any], *, source: str = "options") -> T:
    """Instantiate ``cls`` from a (possibly nested, possibly flat) mapping of field values.

    Keys may name a field of ``cls`` or of any of its groups; unknown keys are an error.
    """
    hints = _hints(cls)
    own = {f.name: f for f in dataclasses.fields(cls)}
    groups = {n: hints[n] for n, f in own.items() if "group" in f.metadata}
    kwargs: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {g: {} for g in groups}
    for key, value in values.items():
        if key in groups and isinstance(value, Mapping):
            nested[key].update(value)
        elif key in own:
            kwargs[key] = _coerce(hints[key], value)
        else:
            target = next((g for g, sub in groups.items() if _has_field(sub, key)), None)
            if target is None:
                raise InputError(f"unknown option {key!r}", file=source)
            nested[target][key] = value
    for g, sub in groups.items():
        if nested[g] or g not in kwargs:
            kwargs[g] = build(sub, nested[g], source=source)
    for name, f in own.items():
        required = f.default is _MISSING and f.default_factory is _MISSING
        if required and kwargs.get(name) is None:
            flag = _flag_name(name, f.metadata) if not f.metadata.get("argument") else name.upper()
            raise InputError(f"missing option {flag}", file=source)
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise InputError(str(err), file=source) from None


def _has_field(cls: type, name: str) -> bool:
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        if f.name == name or ("group" in f.metadata and _has_field(hints[f.name], name)):
            return True
    return False


def _coerce(tp: Any, value: Any) -> Any:
    """Config-file values to the field's type (paths from strings)."""
    inner, _ = _strip_optional(tp)
    if value is not None and inner is Path and isinstance(value, str):
        return Path(value)
    return value


def typer_command(
    cls: type[T], run: Callable[[T], Any], *, config_option: bool = True
) -> Callable[..., Any]:
    """A typer command function whose options are ``cls``'s fields; it calls ``run(options)``."""
    params = _parameters(cls)
    paths = {p.name: path for path, p in params}
    extra = [
        inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
        version_parameter(),
    ]
    if config_option:
        extra.append(
            inspect.Parameter(
                "config",
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[
                    Path | None,
                    typer.Option(
                        "--config",
                        help="JSON or YAML file of option values; flags override it.",
                    ),
                ],
            )
        )

    @functools.wraps(run)
    def command(ctx: typer.Context, **kwargs: Any) -> Any:
        kwargs.pop("version", None)
        config_path = kwargs.pop("config", None)
        values: dict[str, Any] = {}
        source = "options"
        if config_path is not None:
            values = read_config_file(config_path)
            source = str(config_path)
        # aliases last, so that an old spelling given on the command line wins over the default
        for name, value in sorted(kwargs.items(), key=lambda item: "__alias" in item[0]):
            # typer vendors its own click: compare the source by name
            source_kind = ctx.get_parameter_source(name)
            given = source_kind is not None and source_kind.name not in ("DEFAULT", "DEFAULT_MAP")
            if "__alias" in name and not given:
                continue
            path = paths[name]
            if config_path is None or given or not _in_config(values, path):
                _set(values, path, value)
        return run(build(cls, values, source=source))

    parameters = [*extra, *(p for _, p in params)]
    # arguments first: typer keeps declaration order for positionals
    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    command.__doc__ = help_text(run.__doc__)
    return command


def help_text(doc: str | None) -> str | None:
    """A docstring as ``--help`` shows it: each paragraph's hard-wrapped lines joined (rich
    keeps a docstring's single newlines and wraps again around them: ragged lines)."""
    if not doc:
        return doc
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


def show_version(value: bool) -> None:
    """``--version``'s eager callback: print the program and package version, exit 0."""
    if value:
        import sys
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("mbtikit")
        except PackageNotFoundError:
            number = "unknown"
        typer.echo(f"{Path(sys.argv[0]).name} (mbtikit) {number}")
        raise typer.Exit()


def version_parameter() -> inspect.Parameter:
    """The ``--version`` flag every command (and every app) has."""
    return inspect.Parameter(
        "version",
        inspect.Parameter.KEYWORD_ONLY,
        default=False,
        annotation=Annotated[
            bool,
            typer.Option(
                "--version",
                callback=show_version,
                is_eager=True,
                expose_value=True,
                help="Show the version and exit.",
            ),
        ],
    )


def _in_config(values: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    if path[-1] in values:
        return True
    node: Any = values
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return False
        node = node[key]
    return True


def _set(values: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = values
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def as_dict(options: Any) -> dict[str, Any]:
    """The options as a JSON-ready mapping (for manifests): paths as strings, nested groups."""
    return json.loads(json.dumps(dataclasses.asdict(options), default=str))
