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
from analysis.base.i18n import DEFAULT_LANGUAGE, N_, _, check_language
from analysis.base.paths import PROFILES_DIR
from analysis.ingest.schema import LEADS_COLUMNS, QUALIFICATIONS, SPEND_COLUMNS

__all__ = [
    "InputSpec",
    "Profile",
    "load_profile",
    "list_profiles",
    "mapped_columns",
    "base_name",
    "ATTRIBUTION_MODELS",
]

#: Extra lead-side fields a profile may map besides the canonical columns.
LEAD_HELPER_FIELDS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "landing_url",
    "channel",
    "visitor_id",
    "tags",
    "company",  # a key for a lookup table (company -> sector); never kept
)

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
    "table",
    "required",
    "encoding",
    "delimiter",
    "decimal",
    "dayfirst",
    "date_format",
    "sheet",
    "stream",
    "header_row",
    "drop_rows",
    "null_values",
    "records",
}

#: The message of a column option that is neither a name nor a list of names.
NOT_A_COLUMN = N_("{field} must be a column name or a list of them")

#: Keys of a column given as a mapping instead of a bare column name.
_COLUMN_KEYS = {"column", "occurrence", "constant", "scale", "null_values", "pattern"}


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
    #: rows per chunk (an int), one chunk (False), or chunks of the default size
    #: (True or None)
    stream: bool | int | None = None
    #: the header's spreadsheet row (None: found past title lines)
    header_row: int | None = None
    #: patterns of rows to drop (matched on a row's first non-empty cell), besides the
    #: totals rows at the end that are always dropped
    drop_rows: tuple[str, ...] = ()
    #: cell texts that mean "no value" in every mapped column of this input
    null_values: tuple[str, ...] = ()
    #: JSON: the path of the records (``items[].rows[]``)
    records: str | None = None
    #: a table on the report's engine instead of a file (``database.table``): the
    #: leads input only (`analysis.ingest.warehouse`)
    table: str | None = None

    @property
    def date_options(self) -> dict:
        """How this input's dates are parsed (`parse.parse_dates` keywords)."""
        return {
            "dayfirst": self.dayfirst,
            "formats": [self.date_format] if self.date_format else None,
        }


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
    #: the spend sections, one per spend input (a profile may give one or a list)
    spend: list[dict[str, Any]] | None
    web_analytics: dict[str, Any] | None
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: the language the report is written in ("en", "ru"; `analysis.base.i18n`)
    language: str = DEFAULT_LANGUAGE


def list_profiles() -> list[str]:
    """Names of the profiles shipped in ``data/profiles/``."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))


def _fail(path: Path, message: str) -> DataError:
    return DataError(_("mapping profile: {problem}", problem=message), file=str(path))


def _check_keys(path: Path, where: str, got: dict, allowed: set[str]) -> None:
    unknown = sorted(set(got) - allowed)
    if unknown:
        keys, allowed_ = ", ".join(map(repr, unknown)), ", ".join(sorted(allowed))
        if where == "the profile":
            message = _(
                "unknown key(s) {keys} in the profile; allowed: {allowed}",
                keys=keys,
                allowed=allowed_,
            )
        else:
            message = _(
                "unknown key(s) {keys} in {where}; allowed: {allowed}",
                keys=keys,
                where=where,
                allowed=allowed_,
            )
        raise _fail(path, message)


def _mapping(path: Path, where: str, value: Any) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        if where == "the profile":
            raise _fail(path, _("the profile must be a mapping (key: value lines)"))
        raise _fail(path, _("{where} must be a mapping (key: value lines)", where=where))
    return value


def _stream_flag(path: Path, name: str, value) -> bool | int | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value > 0:  # rows per chunk
        return value
    raise _fail(
        path,
        _(
            "inputs.{name}.stream must be true, false, a number of rows per chunk or absent, "
            "not {value}",
            name=name,
            value=repr(value),
        ),
    )


def _text_list(path: Path, where: str, value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, int, float)):
        value = [value]
    if not isinstance(value, list):
        raise _fail(path, _("{where} must be a list of texts", where=where))
    return tuple("" if v is None else str(v) for v in value)


def _columns(path: Path, where: str, cols: dict) -> tuple[dict[str, str], dict[str, dict]]:
    """A section's ``columns`` as {field: column name} and {field: options}.

    A field maps to a column name, or to a mapping: ``{column: Cost, scale: 0.000001}``
    (money in micros), ``{column: utm_source, occurrence: 2}`` (the second of two
    columns of that name: the reader names it ``utm_source [2]``), ``{constant:
    yandex}`` (one value for the whole file), ``{column: X, null_values: [не закрыта]}``
    (texts that mean no value), ``{column: X, pattern: 'YA:(\\d+)'}`` (the part of
    each value the pattern's group matches), ``{column: [UTMSource, lastSearchEngine]}``
    or a bare list (per row, the first of those columns that is not blank: the others
    are kept in the options as ``also``).
    """
    names: dict[str, str] = {}
    options: dict[str, dict] = {}
    for canon, spec in cols.items():
        here = f"{where}.{canon}"  # the field's place in the profile, for messages
        if isinstance(spec, (str, int)) and not isinstance(spec, bool):
            names[canon] = str(spec)
            continue
        if isinstance(spec, list):
            spec = {"column": spec}
        if not isinstance(spec, dict):
            raise _fail(
                path,
                _(
                    "{field} must be a column name or a mapping with keys {keys}, not {value}",
                    field=here,
                    keys=", ".join(sorted(_COLUMN_KEYS)),
                    value=repr(spec),
                ),
            )
        _check_keys(path, f"{where}.{canon}", spec, _COLUMN_KEYS)
        opt: dict[str, Any] = {}
        if "constant" in spec:
            if set(spec) - {"constant"}:
                raise _fail(path, _("{field}: a constant takes no other keys", field=here))
            opt["constant"] = "" if spec["constant"] is None else str(spec["constant"])
            options[canon] = opt
            continue
        if "column" not in spec:
            raise _fail(path, _("{field} needs `column:` (or `constant:`)", field=here))
        column = spec["column"]
        if isinstance(column, list):
            if not column or not all(
                isinstance(c, (str, int)) and not isinstance(c, bool) for c in column
            ):
                raise _fail(path, _(NOT_A_COLUMN, field=here + ".column"))
            if len(set(map(str, column))) < len(column):
                raise _fail(path, _("{field} names a column twice", field=here + ".column"))
            if "occurrence" in spec:
                raise _fail(
                    path,
                    _(
                        "{field}: `occurrence` applies to one column; in a list write the "
                        "reader's name of a repeated header, 'utm_source [2]'",
                        field=here,
                    ),
                )
            if len(column) > 1:
                opt["also"] = tuple(str(c) for c in column[1:])
            column = column[0]
        elif isinstance(column, (dict, bool)) or column is None:
            raise _fail(path, _(NOT_A_COLUMN, field=here + ".column"))
        name = str(column)
        occ = spec.get("occurrence")
        if occ is not None:
            if isinstance(occ, bool) or not isinstance(occ, int) or occ < 1:
                raise _fail(
                    path,
                    _(
                        "{field} must be 1, 2, ..., not {value}",
                        field=here + ".occurrence",
                        value=repr(occ),
                    ),
                )
            name = name if occ == 1 else f"{name} [{occ}]"
            opt["occurrence"] = occ
        if "scale" in spec:
            scale = spec["scale"]
            if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
                raise _fail(
                    path,
                    _(
                        "{field} must be a positive number, not {value}",
                        field=here + ".scale",
                        value=repr(scale),
                    ),
                )
            opt["scale"] = float(scale)
        if "null_values" in spec:
            opt["null_values"] = _text_list(
                path, f"{where}.{canon}.null_values", spec["null_values"]
            )
        if "pattern" in spec:
            import re

            try:
                rx = re.compile(str(spec["pattern"]))
            except re.error as exc:
                raise _fail(
                    path,
                    _(
                        "{field} is not a valid pattern: {error}",
                        field=here + ".pattern",
                        error=exc,
                    ),
                ) from None
            if rx.groups > 1:
                raise _fail(
                    path,
                    _("{field} may have at most one group", field=here + ".pattern"),
                )
            opt["pattern"] = str(spec["pattern"])
        names[canon] = name
        if opt:
            options[canon] = opt
    return names, options


def _section_columns(path: Path, where: str, section: dict, allowed: set[str]) -> None:
    """Check and normalise ``section["columns"]`` in place (names, and ``_options``)."""
    cols = _mapping(path, f"{where}.columns", section.get("columns"))
    _check_keys(path, f"{where}.columns", cols, allowed)
    names, options = _columns(path, f"{where}.columns", cols)
    section["columns"] = names
    section["_options"] = options


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
            _(
                "mapping profile not found: {name} (shipped profiles: {shipped}; or give a "
                "path to a .yaml file)",
                name=repr(name_or_path),
                shipped=", ".join(list_profiles()),
            )
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise _fail(path, _("not valid YAML: {error}", error=exc)) from None
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
            "language",
        },
    )
    inputs = {}
    for in_name, spec in _mapping(path, "inputs", raw.get("inputs")).items():
        spec = _mapping(path, f"inputs.{in_name}", spec)
        _check_keys(path, f"inputs.{in_name}", spec, _INPUT_KEYS)
        p = spec.get("path")
        table = spec.get("table")
        if table is not None and (not isinstance(table, str) or not table.strip()):
            raise _fail(
                path,
                _("inputs.{name}.table must be a table name such as crm.leads", name=in_name),
            )
        if table is not None and p:
            raise _fail(
                path, _("inputs.{name} gives both a path and a table: give one", name=in_name)
            )
        file_only = sorted(k for k in spec if k not in ("table", "path", "required"))
        if table is not None and file_only:
            raise _fail(
                path,
                _(
                    "inputs.{name} is a table: {keys} only apply to files",
                    name=in_name,
                    keys=", ".join(file_only),
                ),
            )
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
            header_row=_header_row(path, in_name, spec.get("header_row")),
            drop_rows=_patterns(path, in_name, spec.get("drop_rows")),
            null_values=_text_list(path, f"inputs.{in_name}.null_values", spec.get("null_values")),
            records=None if spec.get("records") is None else str(spec["records"]),
            table=table.strip() if table else None,
        )
    if not inputs:
        raise _fail(path, _("no `inputs:` declared"))

    leads = dict(_mapping(path, "leads", raw.get("leads")))
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
            "lookups",
            "source_fallback",
            "no_created_at",
        },
    )
    _check_input(path, "leads", leads, inputs)
    tables = [n for n, i in inputs.items() if i.table and n != leads["input"]]
    if tables:
        raise _fail(
            path,
            _(
                "inputs {names}: only the leads input can be a table (spend, sessions and "
                "joined inputs are files)",
                names=", ".join(tables),
            ),
        )
    allowed = set(LEADS_COLUMNS) - {"attributed_by"} | set(LEAD_HELPER_FIELDS)
    _section_columns(path, "leads", leads, allowed)
    cols = leads["columns"]
    if "lead_id" not in cols:
        raise _fail(path, _("leads.columns must map lead_id (the CRM's lead or deal id)"))
    join = leads.get("join")
    if join is not None:
        join = leads["join"] = dict(_mapping(path, "leads.join", join))
        _check_keys(path, "leads.join", join, {"input", "key", "columns"})
        _check_input(path, "leads.join", join, inputs)
        if "key" not in join:
            raise _fail(path, _("leads.join needs `key:` (the key column in the joined input)"))
        _section_columns(path, "leads.join", join, allowed)
    lookups = leads.get("lookups") or []
    if not isinstance(lookups, list):
        raise _fail(path, _("leads.lookups must be a list of {input, key, columns}"))
    leads["lookups"] = [_lookup(path, i, lk, inputs, allowed, cols) for i, lk in enumerate(lookups)]
    optional = leads.get("optional") or []
    if not isinstance(optional, list):
        raise _fail(path, _("leads.optional must be a list of fields"))
    joined_created = join is not None and "created_at" in join["columns"]
    if "created_at" not in cols and not joined_created and "created_at" not in optional:
        raise _fail(
            path,
            _(
                "leads.columns must map created_at (when the lead came in), or list "
                "created_at in leads.optional for an export without dates"
            ),
        )
    no_dates = leads.get("no_created_at", "keep")
    if no_dates not in ("keep", "drop"):
        raise _fail(
            path,
            _("leads.no_created_at must be keep or drop, not {value}", value=repr(no_dates)),
        )
    qual = _mapping(path, "leads.qualification", leads.get("qualification"))
    _check_keys(path, "leads.qualification", qual, set(QUALIFICATIONS))
    conv = _mapping(path, "leads.converted", leads.get("converted"))
    _check_keys(path, "leads.converted", conv, {"column", "values", "joined"})
    if not conv:
        raise _fail(
            path,
            _(
                "leads.converted must say what counts as a sale: {column: stage, values: "
                "[...]}, {column: <a yes/no field>} or {joined: <input>}"
            ),
        )
    if "joined" in conv and (join is None or conv["joined"] != join["input"]):
        raise _fail(path, _("leads.converted.joined must name the input of leads.join"))
    values = _mapping(path, "leads.values", leads.get("values"))
    for key in values:
        if key not in allowed:
            raise _fail(path, _("leads.values.{key}: not a leads column", key=key))
        if key in _NOT_MAPPED_BY_VALUES:
            raise _fail(
                path,
                _(
                    "leads.values.{key}: {key} is a date or a number, whose values are "
                    "parsed, not renamed; to read a text such as 'не закрыта' as no value, "
                    "write leads.columns.{key} as {{column: ..., null_values: [...]}}",
                    key=key,
                ),
            )
    fb = leads.get("source_fallback")
    if fb is not None:
        fb = _mapping(path, "leads.source_fallback", fb)
        _check_keys(path, "leads.source_fallback", fb, {"column", "values", "split"})

    spend = raw.get("spend")
    sections = None
    if spend is not None:
        listed = spend if isinstance(spend, list) else [spend]
        sections = []
        for i, sec in enumerate(listed):
            where = "spend" if not isinstance(spend, list) else f"spend[{i + 1}]"
            sec = dict(_mapping(path, where, sec))
            _check_keys(path, where, sec, {"input", "columns", "optional", "values"})
            _check_input(path, where, sec, inputs)
            _section_columns(path, where, sec, set(SPEND_COLUMNS))
            given = set(sec["columns"]) | set(sec["_options"])
            missing = [c for c in ("date", "source", "campaign", "spend") if c not in given]
            if missing:
                raise _fail(
                    path,
                    _(
                        "{where}.columns must map {fields} (a file with no source column, such "
                        "as a Yandex.Direct report, takes `source: {{constant: yandex}}`)",
                        where=where,
                        fields=", ".join(missing),
                    ),
                )
            sections.append(sec)
        used = [sec["input"] for sec in sections]
        if len(set(used)) < len(used):
            raise _fail(path, _("two spend sections read the same input"))

    web = raw.get("web_analytics")
    if web is not None:
        web = dict(_mapping(path, "web_analytics", web))
        _check_keys(path, "web_analytics", web, {"input", "columns", "attribution", "values"})
        _check_input(path, "web_analytics", web, inputs)
        _section_columns(path, "web_analytics", web, set(SESSION_FIELDS))
        wcols = web["columns"]
        missing = [c for c in ("visitor_id", "session_start", "utm_source") if c not in wcols]
        if missing:
            raise _fail(
                path,
                _("web_analytics.columns must map {fields}", fields=", ".join(missing)),
            )
        if "lead_id" not in wcols and "visitor_id" not in cols:
            raise _fail(
                path,
                _(
                    "web_analytics needs a link to the leads: map "
                    "web_analytics.columns.lead_id (sessions that carry the lead id), or "
                    "leads.columns.visitor_id (the visitor id the CRM keeps, e.g. amoCRM's "
                    "_ym_uid)"
                ),
            )
        for key in _mapping(path, "web_analytics.values", web.get("values")):
            if key not in SESSION_FIELDS:
                raise _fail(path, _("web_analytics.values.{key}: not a session field", key=key))
        model = web.get("attribution", "last_non_direct")
        if model not in ATTRIBUTION_MODELS:
            raise _fail(
                path,
                _(
                    "web_analytics.attribution must be one of {models}",
                    models=", ".join(ATTRIBUTION_MODELS),
                ),
            )

    pdata = raw.get("personal_data") or []
    if not isinstance(pdata, list):
        raise _fail(path, _("personal_data must be a list of column names"))
    try:
        language = check_language(raw.get("language"))
    except ValueError as exc:
        raise _fail(path, _("language: {error}", error=exc)) from None
    return Profile(
        name=str(raw.get("name") or path.stem),
        path=path,
        title=str(raw.get("title") or raw.get("name") or path.stem),
        currency=raw.get("currency"),
        inputs=inputs,
        personal_data=tuple(str(c) for c in pdata),
        leads=leads,
        spend=sections,
        web_analytics=web,
        notes=tuple(str(n) for n in raw.get("notes") or ()),
        language=language,
    )


def mapped_columns(profile: Profile, input_name: str) -> set[str]:
    """The column names the profile maps from one input (every section: leads, its
    join and lookups, spend, sessions), as the file's header writes them (a duplicated
    name's ``occurrence`` left out)."""

    out: set[str] = set()
    sections = [
        profile.leads,
        profile.leads.get("join") or {},
        *(profile.leads.get("lookups") or []),
        *(profile.spend or []),
        profile.web_analytics or {},
    ]
    for sec in sections:
        if sec.get("input") != input_name:
            continue
        out |= set((sec.get("columns") or {}).values())
        for opt in (sec.get("_options") or {}).values():
            out |= set(opt.get("also", ()))
        key = sec.get("key")
        if isinstance(key, dict):
            out.add(key["column"])
        elif key:
            out.add(str(key))
    return {base_name(c) for c in out}


def base_name(column: str) -> str:
    """``utm_source [2]`` (the reader's name of a repeated header) -> ``utm_source``."""
    import re

    return re.sub(r" \[\d+\]$", "", column)


#: Lead fields that are parsed (dates, numbers), so a `values:` map cannot apply to them.
_NOT_MAPPED_BY_VALUES = {"created_at", "won_at", "first_contact_at", "revenue", "converted"}


def _lookup(path: Path, i: int, lk, inputs: dict, allowed: set[str], cols: dict) -> dict:
    """A lookup table joined to the leads by a lead field (manager, company, ...)."""
    where = f"leads.lookups[{i + 1}]"
    lk = dict(_mapping(path, where, lk))
    _check_keys(path, where, lk, {"input", "key", "columns"})
    _check_input(path, where, lk, inputs)
    key = _mapping(path, f"{where}.key", lk.get("key"))
    if len(key) != 1:
        raise _fail(
            path,
            _(
                "{where}.key must be one pair {{lead field: column in {input}}}, e.g. "
                "{{manager: Менеджер}}",
                where=where,
                input=lk["input"],
            ),
        )
    ((field_, column),) = key.items()
    if field_ not in cols and field_ not in allowed:
        raise _fail(
            path,
            _("{where}.key: {field} is not a leads field", where=where, field=repr(field_)),
        )
    if field_ not in cols:
        raise _fail(
            path,
            _(
                "{where}.key: the leads field {field} is not mapped in leads.columns",
                where=where,
                field=repr(field_),
            ),
        )
    lk["key"] = {"field": str(field_), "column": str(column)}
    _section_columns(path, where, lk, allowed)
    clash = sorted(set(lk["columns"]) & set(cols))
    if clash:
        raise _fail(
            path,
            _(
                "{where}.columns: {fields} already mapped in leads.columns",
                where=where,
                fields=", ".join(clash),
            ),
        )
    return lk


def _header_row(path: Path, name: str, value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(
            path,
            _(
                "inputs.{name}.header_row must be a row number (1, 2, ...), not {value}",
                name=name,
                value=repr(value),
            ),
        )
    return value


def _patterns(path: Path, name: str, value) -> tuple[str, ...]:
    import re

    out = _text_list(path, f"inputs.{name}.drop_rows", value)
    for pat in out:
        try:
            re.compile(pat)
        except re.error as exc:
            raise _fail(
                path,
                _(
                    "inputs.{name}.drop_rows: {pattern} is not a valid pattern: {error}",
                    name=name,
                    pattern=repr(pat),
                    error=exc,
                ),
            ) from None
    return out


def _check_input(path: Path, where: str, section: dict, inputs: dict[str, InputSpec]) -> None:
    name = section.get("input")
    if name not in inputs:
        raise _fail(
            path,
            _(
                "{where}.input must name one of the declared inputs ({inputs}), got {name}",
                where=where,
                inputs=", ".join(inputs),
                name=repr(name),
            ),
        )
