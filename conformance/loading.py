"""Loading named configurations and profiles from files, with errors a person can act on."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from wsshare.model import PROFILES, Config, Profile, get_profile


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


def load_profile(spec: str) -> Profile:
    """A named profile, or one described in a JSON file (`my-provider.json`)."""
    path = Path(spec)
    if spec not in PROFILES and (path.suffix == ".json" or path.is_file()):
        return load_profile_file(path)
    try:
        return get_profile(spec)
    except ValueError as e:
        raise InputError(f"{e}; or a profile file (.json) with every knob") from None


# What a profile file must set: every knob, so that no answer comes from a default the
# user never saw; the description and the evidence are optional.
_KNOBS = frozenset(Profile.model_fields) - {"description", "evidence"}


def load_profile_file(path: Path) -> Profile:
    """A profile from a JSON file: the knobs of a provider of the user's own (one without
    sharing, say: `sharing_supported` false, R12). Every knob must be given."""
    template = "wsshare profiles --template documented > my-provider.json"
    if not path.is_file():
        raise InputError(f"{path}: no such profile file (start one with: {template})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}: invalid JSON: {e.msg}") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a profile file holds one JSON object")
    missing = sorted(_KNOBS - set(data))
    if missing:
        raise InputError(
            f"{path}: every knob must be set; missing: {', '.join(missing)} "
            f"(start from a named profile: {template})"
        )
    try:
        profile = Profile.model_validate(data)
    except ValidationError as e:
        raise InputError(format_validation_error(e, str(path))) from None
    if profile.name in PROFILES:
        raise InputError(
            f"{path}: name: {profile.name!r} is a named profile; give yours a name of its own"
        )
    return profile
