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

Every value is checked before the command runs, wherever it came from (a flag or ``--config``):
against the field's type (a config value ``"three"`` for an ``int`` field is one error line
naming the option and the file) and against the range or choices the option declares
(``option(5, help=..., ge=0)``). A numeric option declares a range or says ``unbounded=True``.
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
from rich.markup import escape

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
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    choices: tuple[str, ...] | None = None,
    unbounded: bool = False,
) -> Any:
    """A dataclass field that is also a command-line option (or argument).

    ``flag`` overrides the derived ``--field-name``; ``short`` adds e.g. ``-q``; ``argument``
    makes it positional; ``cli=False`` keeps a field for the Python API and config files only.
    ``cli_type`` is the type the flag parses (default ``None``, meaning the field's default)
    when it differs from the field's (``__post_init__`` converts it, e.g. a path to the table
    it names); ``aliases`` are old spellings of the flag, accepted but hidden from ``--help``.
    ``ge``/``gt``/``le``/``lt`` bound a number (checked for every command before it runs, and
    shown in ``--help``); ``choices`` are a string's only values; ``unbounded=True`` says that a
    number takes any value (every numeric option says one or the other).
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
        "range": Range(ge=ge, gt=gt, le=le, lt=lt),
        "choices": choices,
        "unbounded": unbounded,
    }
    if default_factory is not _MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass(frozen=True)
class Range:
    """The values a numeric option accepts: ``ge <= x``, ``gt < x``, ``x <= le``, ``x < lt``."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None

    def __bool__(self) -> bool:
        return any(bound is not None for bound in (self.ge, self.gt, self.le, self.lt))

    def __contains__(self, value: float) -> bool:
        return not (
            value != value  # NaN
            or (self.ge is not None and value < self.ge)
            or (self.gt is not None and value <= self.gt)
            or (self.le is not None and value > self.le)
            or (self.lt is not None and value >= self.lt)
        )

    def __str__(self) -> str:
        """``>= 1``, ``>= 0 and < 1``."""
        bounds = ((">=", self.ge), (">", self.gt), ("<=", self.le), ("<", self.lt))
        return " and ".join(f"{op} {value:g}" for op, value in bounds if value is not None)


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
        help_line = escape(option_help(meta))
        if meta["argument"]:
            info = typer.Argument(help=help_line, show_default=not required)
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
                help=help_line,
                rich_help_panel=panel,
            )
        param_name = "__".join((*prefix, f.name))
        for i, alias in enumerate(meta.get("aliases") or ()):
            if _strip_optional(hints[f.name])[0] is bool and "/" not in alias:
                alias = f"{alias}/--no-{alias[2:]}"
            hidden = typer.Option(alias, hidden=True)
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


def option_fields(
    cls: type, prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], Any, Any]]:
    """(path of field names, field, type) of every option of ``cls``, groups flattened, also
    the ones only a config file or the Python API sets (``cli=False``)."""
    hints = _hints(cls)
    out: list[tuple[tuple[str, ...], Any, Any]] = []
    for f in dataclasses.fields(cls):
        if "group" in f.metadata:
            out.extend(option_fields(hints[f.name], (*prefix, f.name)))
        else:
            out.append(((*prefix, f.name), f, hints[f.name]))
    return out


def display_name(f: dataclasses.Field) -> str:
    """How a command line spells field ``f``: its flag (``--max-words``) or, for an
    argument, its name in capitals (``POSTS``)."""
    return f.name.upper() if f.metadata.get("argument") else _flag_name(f.name, f.metadata)


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


def option_help(meta: Mapping[str, Any]) -> str:
    """A field's help as ``--help`` and the CLI reference show it: with its range or choices."""
    text = meta["help"]
    if meta.get("choices"):
        text += f" [choices: {', '.join(meta['choices'])}]"
    if meta.get("range"):
        text += f" [range: {meta['range']}]"
    return text


def build(cls: type[T], values: Mapping[str, Any], *, source: str | None = None) -> T:
    """Instantiate ``cls`` from a (possibly nested, possibly flat) mapping of field values.

    Keys may name a field of ``cls`` or of any of its groups; unknown keys, values of the wrong
    type and values outside an option's range or choices are an :class:`InputError` naming the
    option (and ``source``, the file the values came from, when given).
    """
    return _instance(cls, checked_values(cls, values, source=source), source)


def checked_values(
    cls: type, values: Mapping[str, Any], *, source: str | Path | None = None
) -> dict[str, Any]:
    """``values`` nested by group, each converted to its field's type and checked against the
    option's range and choices (keys as in :func:`build`)."""
    hints = _hints(cls)
    own = {f.name: f for f in dataclasses.fields(cls)}
    groups = {n: hints[n] for n, f in own.items() if "group" in f.metadata}
    out: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {g: {} for g in groups}
    for key, value in values.items():
        if key in groups and isinstance(value, Mapping):
            nested[key].update(value)
        elif key in own:
            out[key] = _checked(own[key], hints[key], value, source)
        else:
            target = next((g for g, sub in groups.items() if _has_field(sub, key)), None)
            if target is None:
                raise InputError(f"unknown option {key!r}", file=source)
            nested[target][key] = value
    for g, sub in groups.items():
        if nested[g]:
            out[g] = checked_values(sub, nested[g], source=source)
    return out


def _instance(cls: type[T], values: Mapping[str, Any], source: str | Path | None) -> T:
    hints = _hints(cls)
    kwargs = dict(values)
    for f in dataclasses.fields(cls):
        if "group" in f.metadata and not isinstance(values.get(f.name), hints[f.name]):
            kwargs[f.name] = _instance(hints[f.name], values.get(f.name, {}), source)
        elif f.default is _MISSING and f.default_factory is _MISSING and kwargs.get(f.name) is None:
            raise InputError(f"missing option {display_name(f)}", file=source)
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


def _checked(f: dataclasses.Field, tp: Any, value: Any, source: str | Path | None) -> Any:
    """``value`` converted to field ``f``'s type and inside its range and choices."""
    meta = f.metadata
    flag = display_name(f)
    # a config file names the key as written there, and the flag it stands for
    where = {"file": source, "field": f.name} if source is not None else {"field": flag}
    suffix = f" ({flag})" if source is not None else ""
    required = f.default is _MISSING and f.default_factory is _MISSING
    if value is None and (required or meta.get("cli_type")):
        return value  # not given: "missing option", or the dataclass fills in its default
    try:
        value = _converted(tp, value)
    except TypeError as err:
        if not meta.get("cli_type"):
            raise InputError(f"{err}{suffix}", **where) from None
        try:  # the flag's form, e.g. a path to the table the field holds
            value = _converted(meta["cli_type"], value)
        except TypeError:
            raise InputError(f"{err}{suffix}", **where) from None
    if value is None:
        return value
    if meta.get("choices") and value not in meta["choices"]:
        choices = ", ".join(meta["choices"])
        raise InputError(f"must be one of {choices}, got {value!r}{suffix}", **where)
    bounds = meta.get("range")
    if bounds and isinstance(value, (int, float)) and value not in bounds:
        raise InputError(f"must be {bounds}, got {value}{suffix}", **where)
    return value


def _converted(tp: Any, value: Any) -> Any:
    """``value`` (from a flag, or as JSON/YAML holds it) as type ``tp``; :class:`TypeError`
    saying what was expected when it is not one."""
    inner, optional = _strip_optional(tp)
    if value is None:
        if optional:
            return None
        raise TypeError("must have a value, got null")
    origin = get_origin(inner)
    if inner is bool:
        if isinstance(value, bool):
            return value
        raise TypeError(f"must be true or false, got {value!r}")
    if inner is int:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise TypeError(f"must be an integer, got {value!r}")
    if inner is float:
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise TypeError(f"must be a number, got {value!r}")
    if inner is str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)  # e.g. --dev 0.1, a fraction or a file name
        if isinstance(value, str):
            return value
        raise TypeError(f"must be a string, got {value!r}")
    if inner is Path:
        if isinstance(value, (str, Path)):
            return Path(value)
        raise TypeError(f"must be a path, got {value!r}")
    if origin is typing.Literal:
        if value in get_args(inner):
            return value
        raise TypeError(f"must be one of {', '.join(map(str, get_args(inner)))}, got {value!r}")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"must be a list, got {value!r}")
        item = get_args(inner)[0] if get_args(inner) else Any
        items = [value_ if item is Any else _converted(item, value_) for value_ in value]
        return tuple(items) if origin is tuple else items
    if origin in (typing.Union, types.UnionType):
        for alternative in get_args(inner):
            try:
                return _converted(alternative, value)
            except TypeError:
                continue
        raise TypeError(f"must be {inner}, got {value!r}")
    if origin is dict or inner is dict:
        if isinstance(value, Mapping):
            return value
        raise TypeError(f"must be a mapping, got {value!r}")
    return value  # a type only the Python API passes (a data set, a compiled pattern)


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
        if config_path is not None:
            values = checked_values(cls, read_config_file(config_path), source=config_path)
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
        return run(build(cls, values))

    parameters = [*extra, *(p for _, p in params)]
    # arguments first: typer keeps declaration order for positionals
    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    command.__doc__ = help_text(run.__doc__)
    command.options_class = cls  # type: ignore[attr-defined]  # for the CLI reference
    return command


def help_text(doc: str | None) -> str | None:
    """A docstring as ``--help`` shows it: each paragraph's hard-wrapped lines joined (rich
    keeps a docstring's single newlines and wraps again around them: ragged lines), its
    brackets escaped (rich markup would swallow ``[faiss]`` or ``[MASK]``)."""
    if not doc:
        return doc
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return escape(
        "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)
    )


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
