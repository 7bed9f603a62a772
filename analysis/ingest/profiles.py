"""Mapping profiles: how one company's exports map onto the canonical tables.

A profile is a YAML file a consultant can copy and edit without touching Python. The
shipped ones live in ``data/profiles/``; `load_profile` takes a name from there or a
path. Every key is checked, so a typo is an error, not a silently ignored setting.
See ``data/profiles/generic.yaml`` for the commented reference of every key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from analysis.base.errors import DataError
from analysis.base.paths import PROFILES_DIR
from analysis.ingest.schema import LEADS_COLUMNS, QUALIFICATIONS, SPEND_COLUMNS

__all__ = ["InputSpec", "Profile", "load_profile", "list_profiles", "ATTRIBUTION_MODELS"]

#: Extra lead-side fields a profile may map besides the canonical columns.
LEAD_HELPER_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "landing_url", "channel")

SESSION_FIELDS = (
    "visitor_id",
    "session_start",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "landing_page",
    "lead_id",
)

ATTRIBUTION_MODELS = ("last_non_direct", "first_click", "last_click")

_INPUT_KEYS = {
    "path",
    "required",
    "encoding",
    "delimiter",
    "decimal",
    "dayfirst",
    "date_format",
    "sheet",
    "stream",
}


@dataclass(frozen=True)
class InputSpec:
    """One input file of a profile: where it is by default and how to read it."""

    name: str
    path: Path | None
    required: bool = True
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    dayfirst: bool = True
    date_format: str | None = None
    sheet: str | int | None = None
    #: read in chunks (True), whole (False), or by size (None: above 256 MB)
    stream: bool | None = None


@dataclass(frozen=True)
class Profile:
    """A parsed, checked mapping profile. Build it with `load_profile`."""

    name: str
    path: Path
    title: str
    currency: str | None
    inputs: dict[str, InputSpec]
    personal_data: tuple[str, ...]
    leads: dict[str, Any]
    spend: dict[str, Any] | None
    web_analytics: dict[str, Any] | None
    notes: tuple[str, ...] = field(default_factory=tuple)


def list_profiles() -> list[str]:
    """Names of the profiles shipped in ``data/profiles/``."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))


def _fail(path: Path, message: str) -> DataError:
    return DataError(f"mapping profile: {message}", file=str(path))


def _check_keys(path: Path, where: str, got: dict, allowed: set[str]) -> None:
    unknown = sorted(set(got) - allowed)
    if unknown:
        raise _fail(
            path,
            f"unknown key(s) {', '.join(map(repr, unknown))} in {where}; "
            f"allowed: {', '.join(sorted(allowed))}",
        )


def _mapping(path: Path, where: str, value: Any) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(path, f"{where} must be a mapping (key: value lines)")
    return value


def _stream_flag(path: Path, name: str, value) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise _fail(path, f"inputs.{name}.stream must be true, false or absent, not {value!r}")


def load_profile(name_or_path: str | Path) -> Profile:
    """Read and check a mapping profile.

    Parameters
    ----------
    name_or_path : str or Path
        A shipped profile's name (``sample``, ``olist``, ``generic``) or a YAML file path.

    Raises
    ------
    DataError
        The file is missing, is not YAML, or has unknown keys or inconsistent mappings.
    """
    candidate = Path(name_or_path)
    if candidate.suffix not in {".yaml", ".yml"} and not candidate.exists():
        candidate = PROFILES_DIR / f"{name_or_path}.yaml"
    path = candidate.resolve()
    if not path.exists():
        raise DataError(
            f"mapping profile not found: {name_or_path!r} (shipped profiles: "
            f"{', '.join(list_profiles())}; or give a path to a .yaml file)"
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise _fail(path, f"not valid YAML: {exc}") from None
    raw = _mapping(path, "the profile", raw)
    _check_keys(
        path,
        "the profile",
        raw,
        {
            "name",
            "title",
            "currency",
            "inputs",
            "personal_data",
            "leads",
            "spend",
            "web_analytics",
            "notes",
        },
    )
    inputs = {}
    for in_name, spec in _mapping(path, "inputs", raw.get("inputs")).items():
        spec = _mapping(path, f"inputs.{in_name}", spec)
        _check_keys(path, f"inputs.{in_name}", spec, _INPUT_KEYS)
        p = spec.get("path")
        inputs[in_name] = InputSpec(
            name=in_name,
            path=(path.parent / p).resolve() if p else None,
            required=bool(spec.get("required", True)),
            encoding=spec.get("encoding"),
            delimiter=spec.get("delimiter"),
            decimal=spec.get("decimal"),
            dayfirst=bool(spec.get("dayfirst", True)),
            date_format=spec.get("date_format"),
            sheet=spec.get("sheet"),
            stream=_stream_flag(path, in_name, spec.get("stream")),
        )
    if not inputs:
        raise _fail(path, "no `inputs:` declared")

    leads = _mapping(path, "leads", raw.get("leads"))
    _check_keys(
        path,
        "leads",
        leads,
        {
            "input",
            "columns",
            "optional",
            "values",
            "qualification",
            "converted",
            "join",
            "source_fallback",
        },
    )
    _check_input(path, "leads", leads, inputs)
    cols = _mapping(path, "leads.columns", leads.get("columns"))
    allowed = set(LEADS_COLUMNS) - {"attributed_by"} | set(LEAD_HELPER_FIELDS)
    _check_keys(path, "leads.columns", cols, allowed)
    if "lead_id" not in cols:
        raise _fail(path, "leads.columns must map lead_id (the CRM's lead or deal id)")
    join = leads.get("join")
    if join is not None:
        join = _mapping(path, "leads.join", join)
        _check_keys(path, "leads.join", join, {"input", "key", "columns"})
        _check_input(path, "leads.join", join, inputs)
        if "key" not in join:
            raise _fail(path, "leads.join needs `key:` (the key column in the joined input)")
        _check_keys(path, "leads.join.columns", _mapping(path, "", join.get("columns")), allowed)
    if "created_at" not in cols and not (join and "created_at" in join.get("columns", {})):
        raise _fail(path, "leads.columns must map created_at (when the lead came in)")
    qual = _mapping(path, "leads.qualification", leads.get("qualification"))
    _check_keys(path, "leads.qualification", qual, set(QUALIFICATIONS))
    conv = _mapping(path, "leads.converted", leads.get("converted"))
    _check_keys(path, "leads.converted", conv, {"column", "values", "joined"})
    if not conv:
        raise _fail(
            path,
            "leads.converted must say what counts as a sale: {column: stage, values: [...]}, "
            "{column: <a yes/no field>} or {joined: <input>}",
        )
    if "joined" in conv and (join is None or conv["joined"] != join["input"]):
        raise _fail(path, "leads.converted.joined must name the input of leads.join")
    for key in _mapping(path, "leads.values", leads.get("values")):
        if key not in allowed:
            raise _fail(path, f"leads.values.{key}: not a leads column")

    spend = raw.get("spend")
    if spend is not None:
        spend = _mapping(path, "spend", spend)
        _check_keys(path, "spend", spend, {"input", "columns", "optional", "values"})
        _check_input(path, "spend", spend, inputs)
        scols = _mapping(path, "spend.columns", spend.get("columns"))
        _check_keys(path, "spend.columns", scols, set(SPEND_COLUMNS))
        missing = [c for c in ("date", "source", "campaign", "spend") if c not in scols]
        if missing:
            raise _fail(path, f"spend.columns must map {', '.join(missing)}")

    web = raw.get("web_analytics")
    if web is not None:
        web = _mapping(path, "web_analytics", web)
        _check_keys(path, "web_analytics", web, {"input", "columns", "attribution"})
        _check_input(path, "web_analytics", web, inputs)
        wcols = _mapping(path, "web_analytics.columns", web.get("columns"))
        _check_keys(path, "web_analytics.columns", wcols, set(SESSION_FIELDS))
        missing = [
            c for c in ("visitor_id", "session_start", "utm_source", "lead_id") if c not in wcols
        ]
        if missing:
            raise _fail(path, f"web_analytics.columns must map {', '.join(missing)}")
        model = web.get("attribution", "last_non_direct")
        if model not in ATTRIBUTION_MODELS:
            raise _fail(
                path, f"web_analytics.attribution must be one of {', '.join(ATTRIBUTION_MODELS)}"
            )

    pdata = raw.get("personal_data") or []
    if not isinstance(pdata, list):
        raise _fail(path, "personal_data must be a list of column names")
    return Profile(
        name=str(raw.get("name") or path.stem),
        path=path,
        title=str(raw.get("title") or raw.get("name") or path.stem),
        currency=raw.get("currency"),
        inputs=inputs,
        personal_data=tuple(str(c) for c in pdata),
        leads=leads,
        spend=spend,
        web_analytics=web,
        notes=tuple(str(n) for n in raw.get("notes") or ()),
    )


def _check_input(path: Path, where: str, section: dict, inputs: dict[str, InputSpec]) -> None:
    name = section.get("input")
    if name not in inputs:
        raise _fail(
            path,
            f"{where}.input must name one of the declared inputs ({', '.join(inputs)}), "
            f"got {name!r}",
        )
