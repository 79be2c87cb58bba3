"""Loading named configurations and profiles from files, with errors a person can act on."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from wsshare.model import Config, Profile, get_profile


class InputError(Exception):
    """Bad input from a user: a file, an option or a value. The CLI prints it as one line
    and exits with status 2."""


def named_configs() -> list[str]:
    folder = resources.files("wsshare.conformance") / "configs"
    return sorted(
        p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json")
    )


def format_validation_error(error: ValidationError, where: str) -> str:
    """One line naming the first bad field: `where: field.path: message`."""
    first = error.errors()[0]
    path = ".".join(str(part) for part in first["loc"]) or "(top level)"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where}: {path}: {first['msg']}{more}"


def load_config(name_or_path: str) -> Config:
    """A configuration by name (`tiny`, `bench`, ...) or from a JSON file."""
    path = Path(name_or_path)
    if path.suffix == ".json" or path.exists():
        if not path.is_file():
            raise InputError(f"{name_or_path}: no such configuration file")
        text = path.read_text(encoding="utf-8")
        where = str(path)
    else:
        entry = resources.files("wsshare.conformance") / "configs" / f"{name_or_path}.json"
        if not entry.is_file():
            known = ", ".join(named_configs())
            raise InputError(
                f"unknown configuration {name_or_path!r}; use one of {known}, or a .json file"
            )
        text = entry.read_text(encoding="utf-8")
        where = f"configuration {name_or_path}"
    try:
        return Config.model_validate(json.loads(text))
    except json.JSONDecodeError as e:
        raise InputError(f"{where}: line {e.lineno}: invalid JSON: {e.msg}") from None
    except ValidationError as e:
        raise InputError(format_validation_error(e, where)) from None


def load_profile(name: str) -> Profile:
    try:
        return get_profile(name)
    except ValueError as e:
        raise InputError(str(e)) from None
