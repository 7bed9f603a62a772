"""From export files to the canonical, validated `leads` and `spend` tables.

`load_dataset` reads the inputs a mapping profile names, maps columns and values,
parses dates and numbers, attributes each lead to a source (CRM field, UTM tags,
web-analytics sessions), drops personal data, checks everything against the schemas,
and returns a `Dataset` with the tables and what was learned on the way (notes).

There is one path for every size: the leads export is read in chunks (one chunk for
a file under ``chunk_rows`` rows), each chunk mapped and checked, and the canonical
leads written once, as Parquet in the cache folder (`analysis.ingest.stream`); leads
that are canonical already in a Parquet file are mapped and checked in DuckDB
(`analysis.ingest.canonical`). Every page reads that file through the engine, and a
`Dataset` holds lead rows only if one asks for them. Input files are never modified,
and nothing is written when the load fails. Any problem that makes the data unusable
raises `DataError` naming the file, rows and column (every problem of every input at
once); problems that leave the data usable become notes, shown in the data audit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pandas as pd

from analysis.base.errors import DataError
from analysis.base.i18n import _, fmt_count, n_
from analysis.ingest.cache import dataset_key, from_cache, to_cache
from analysis.ingest.dataset import Dataset
from analysis.ingest.mapping import read
from analysis.ingest.matching import build_spend, spend_match
from analysis.ingest.notes import Notes
from analysis.ingest.privacy import drop_personal
from analysis.ingest.problems import collecting, problem
from analysis.ingest.profiles import InputSpec, Profile, load_profile, mapped_columns
from analysis.ingest.readers import RawTable
from analysis.ingest.schema import validate_spend

__all__ = ["Dataset", "load_dataset"]


def _info_row(name: str, table: RawTable, rows: int, personal: list[str]) -> dict:
    return {
        "input": name,
        "file": table.label,
        "rows": rows,
        "encoding": table.encoding,
        "delimiter": "tab" if table.delimiter == "\t" else table.delimiter,
        "sha256": table.sha256,
        "personal_columns_dropped": ", ".join(personal),
    }


def _read_inputs(profile: Profile, overrides, notes: Notes, skip: str | None = None):
    """Read every input but ``skip`` (tables by name, and their rows of the inputs
    table); each read problem is recorded (`problems.collecting`)."""
    tables: dict[str, RawTable] = {}
    info = []
    for name, spec in profile.inputs.items():
        if name == skip:
            continue
        try:
            got = _read_input(profile, name, spec, overrides.get(name), notes)
        except DataError as exc:
            problem(exc)
            continue
        if got is not None:
            tables[name], row = got
            info.append(row)
    return tables, info


def _read_input(profile: Profile, name: str, spec: InputSpec, override, notes: Notes):
    """Read one input whole, drop its personal-data columns; None when optional and
    absent."""
    table = read(spec, override, expect=mapped_columns(profile, name))
    if table is None:
        notes.add("info", name, _("optional input {name} not given", name=repr(name)))
        return None
    for note in table.notes:  # what the reader dropped or fixed, for the data audit
        notes.add("info", name, f"{table.label}: {note}")
    table, personal = drop_personal(profile, name, table)
    return table, _info_row(name, table, len(table.frame), personal)


def load_dataset(
    profile: Profile | str | Path,
    inputs: Mapping[str, str | Path] | None = None,
    *,
    start: str | None = None,
    end: str | None = None,
    currency: str | None = None,
    stream: bool | None = None,
    chunk_rows: int = 250_000,
    cache_dir: str | Path | None = None,
    cache: bool = False,
    columnar: bool | None = None,
    engine=None,
) -> Dataset:
    """Load a company's exports through a mapping profile into canonical tables.

    Parameters
    ----------
    profile : Profile, str or Path
        A loaded profile, a shipped profile's name, or a path to a YAML profile.
    inputs : dict, optional
        Files to use instead of the profile's default paths, by input name
        (``{"crm": "exports/crm_2026.csv"}``).
    start, end : str, optional
        The period to report (ISO dates, both inclusive): leads created outside it and
        spend dated outside it are left out after validation, and a note says how many.
    currency : str, optional
        The currency label for money columns, instead of the profile's ``currency``
        (a client file sets it per client).
    stream : bool, optional
        Read the leads file in chunks of ``chunk_rows`` rows (True), or as one chunk
        (False: the same code, with the whole file in memory at once); None (default)
        as the profile's input says (``stream: true``, ``false`` or rows per chunk),
        else in chunks.
    chunk_rows : int
        Rows per chunk.
    cache_dir : path, optional
        Where the canonical leads are written (default ``~/.cache/leadkit``, or
        ``$LEADKIT_CACHE``), under a key of the input files' SHA-256, the profile and
        the kit's code: a second load of the same files reads them from there.
    cache : bool
        Keep the loaded dataset in that folder, keyed by the SHA-256 of the profile and
        of every input file, the period, the currency, the language (of the notes) and
        the kit's code, and return the kept copy when all of them are unchanged. The
        report's notebooks use it, so a report reads and checks the exports once, not
        once per notebook.
    columnar : bool, optional
        Leads that are already canonical in a Parquet file are mapped and checked in
        DuckDB, and no lead row is read into memory (`analysis.ingest.canonical`):
        None (default) whenever the profile and the file allow it, False never (the
        row-by-row path, which gives the same tables).
    engine : Engine, optional
        Where a leads input given as a ``table:`` lives (`analysis.engine.cells.Engine`,
        or any object with its ``con`` and ``to_arrow``): the leads are mapped and
        checked there (`analysis.ingest.warehouse`) and stay there. Not needed for
        files.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        Naming file, rows and column, when the data cannot be used.

    Examples
    --------
    >>> ds = load_dataset("sample")  # doctest: +SKIP
    >>> ds.leads.groupby("source")["converted"].mean()  # doctest: +SKIP
    """
    if not isinstance(profile, Profile):
        profile = load_profile(profile)
    if currency:
        profile = replace(profile, currency=str(currency))
    window = _window(start, end)
    overrides = {k: Path(v) for k, v in (inputs or {}).items()}
    unknown = sorted(set(overrides) - set(profile.inputs))
    if unknown:
        raise DataError(
            _(
                "unknown input name(s) {unknown}; the profile {profile} declares {inputs}",
                unknown=unknown,
                profile=repr(profile.name),
                inputs=", ".join(profile.inputs),
            )
        )
    leads_input = profile.leads["input"]
    if profile.inputs[leads_input].table and leads_input not in overrides:
        # a warehouse table: nothing to keep (the fingerprint is the table's summary)
        return _load_table(profile, overrides, window, engine)
    if cache:
        from analysis.ingest.cache import cache_folder

        key = dataset_key(profile, overrides, start, end, stream)
        folder = cache_folder(cache_dir) / "datasets" / key[:32]
        kept = from_cache(profile, folder)
        if kept is not None:
            kept.fingerprint = key
            return kept
        ds = load_dataset(
            profile,
            overrides,
            start=start,
            end=end,
            stream=stream,
            chunk_rows=chunk_rows,
            cache_dir=cache_dir,
        )
        ds.fingerprint = key
        to_cache(ds, folder)
        return ds
    leads_path = overrides.get(leads_input) or profile.inputs[leads_input].path
    if columnar is not False:
        got = _load_columnar(profile, overrides, leads_path, window, cache_dir)
        if got is not None:
            return got
    flag = profile.inputs[leads_input].stream if stream is None else stream
    if flag is False:
        rows: int | None = None  # one chunk
    elif flag is True or flag is None:
        rows = chunk_rows
    else:
        rows = int(flag)  # the profile's rows per chunk
    return _load_chunked(profile, overrides, window, chunk_rows=rows, cache_dir=cache_dir)


def _finish(profile, info, notes, facts, window, source, spend, pairs=None) -> Dataset:
    """Spend checked, the period applied, spend matched to the leads' campaigns. The
    leads are the canonical Parquet file ``source``; ``pairs``, their counts per
    (source, campaign), are counted from it when not given. The dataset reads lead
    rows only if a page asks."""
    from analysis.ingest.canonical import file_pairs, parquet_sql, restrict_file

    if not spend.empty:
        spend = validate_spend(spend)
    if window is not None:
        source, pairs, counts = restrict_file(source, window)  # the period's own pairs
        _period_notes(*counts, window, notes)
        spend = _spend_in_period(spend, window, notes)
    elif pairs is None:
        pairs = file_pairs(None, parquet_sql(source))
    spend_match(pairs, spend, notes, facts, profile.currency)
    return Dataset(profile, None, spend, pd.DataFrame(info), notes.frame(), facts, source)


def _load_columnar(profile, overrides, leads_path, window, cache_dir) -> Dataset | None:
    """The load of `analysis.ingest.canonical` when the profile and the leads file allow
    it (None: the row-by-row path must run)."""
    from analysis.ingest.cache import input_files
    from analysis.ingest.canonical import eligible_profile, load_canonical
    from analysis.ingest.privacy import personal_columns
    from analysis.ingest.readers import PARQUET_SUFFIXES, file_sha256

    li = profile.leads["input"]
    if leads_path is None or Path(leads_path).suffix.lower() not in PARQUET_SUFFIXES:
        return None
    given = set(input_files(profile, overrides))
    if li not in given or not eligible_profile(profile, given):
        return None
    import pyarrow.parquet as pq

    path = Path(leads_path)
    try:
        names = pq.read_schema(path).names
    except Exception:  # the row-by-row reader names what is wrong with the file
        return None
    sha = file_sha256(path)
    canon = load_canonical(profile, path, sha, cache_dir)
    if canon is None:
        return None
    notes, facts = Notes(), dict(canon.facts)
    with collecting():
        tables, info = _read_inputs(profile, overrides, notes, skip=li)
        info.insert(
            _place(profile, info, li),
            {
                "input": li,
                "file": path.name,
                "rows": canon.file_rows,
                "encoding": None,
                "delimiter": None,
                "sha256": sha,
                "personal_columns_dropped": ", ".join(personal_columns(profile, li, names)),
            },
        )
        for severity, where, message in canon.notes:
            notes.add(severity, where, message)
        spend = build_spend(profile, tables, notes)
    return _finish(profile, info, notes, facts, window, canon.path, spend, canon.pairs)


def _load_table(profile, overrides, window, engine) -> Dataset:
    """The load of a leads input that is a table on ``engine``: the other inputs read
    from their files, the leads mapped and checked on the engine
    (`analysis.ingest.warehouse`), never fetched."""
    from analysis.ingest.cache import input_hashes
    from analysis.ingest.privacy import personal_columns
    from analysis.ingest.warehouse import map_table, restrict_table, table_fingerprint

    li = profile.leads["input"]
    name = profile.inputs[li].table
    if engine is None:
        raise DataError(
            _(
                "the leads input {input} is the table {table}: give the engine it is on "
                "(leadkit report --engine postgres://user@host/db, or spark, or a DuckDB file)",
                input=repr(li),
                table=repr(name),
            )
        )
    others, notes, facts = Notes(), Notes(), {}
    mapped = None
    with collecting():
        tables, info = _read_inputs(profile, overrides, others, skip=li)
        try:
            mapped = map_table(profile, engine.con, name, engine.to_arrow)
        except DataError as exc:  # reported with the spend's problems
            problem(exc)
        spend_notes = Notes()
        spend = build_spend(profile, tables, spend_notes)
    assert mapped is not None  # else collecting raised
    info.insert(
        _place(profile, info, li),
        {
            "input": li,
            "file": _("table {name}", name=name),
            "rows": mapped.rows,
            "encoding": None,
            "delimiter": None,
            "sha256": None,
            "personal_columns_dropped": ", ".join(personal_columns(profile, li, mapped.columns)),
        },
    )
    for input_name in profile.inputs:
        notes.rows.extend(r for r in others.rows if r["input"] == input_name)
    notes.rows.extend(mapped.notes.rows)
    notes.rows.extend(spend_notes.rows)
    facts.update(mapped.facts)
    leads, pairs = mapped.table, mapped.pairs
    if not spend.empty:
        spend = validate_spend(spend)
    if window is not None:
        leads, pairs, (total, kept, undated) = restrict_table(engine.to_arrow, leads, window)
        _period_notes(total, kept, undated, window, notes)
        spend = _spend_in_period(spend, window, notes)
    spend_match(pairs, spend, notes, facts, profile.currency)
    fingerprint = table_fingerprint(
        profile,
        engine.con.name,
        name,
        mapped.summary,
        {
            "period": [str(w) for w in window or ()],
            "currency": profile.currency,
            "files": input_hashes(profile, overrides),
        },
    )
    return Dataset(
        profile,
        None,
        spend,
        pd.DataFrame(info),
        notes.frame(),
        facts,
        None,
        fingerprint=fingerprint,
        table=leads,
    )


def _place(profile: Profile, info: list[dict], name: str) -> int:
    """Where input ``name``'s row goes in ``info`` (rows of the inputs read, in the
    profile's order, optional ones absent) to keep that order."""
    order = list(profile.inputs)
    return sum(order.index(row["input"]) < order.index(name) for row in info)


def _load_chunked(profile, overrides, window, *, chunk_rows, cache_dir) -> Dataset:
    """The load of every export: the other inputs read whole, the leads read in chunks
    (`analysis.ingest.stream.stream_leads`) into the canonical Parquet file."""
    from analysis.ingest.stream import stream_leads

    li = profile.leads["input"]
    others, notes, facts = Notes(), Notes(), {}
    # every problem of every input at once (analysis.ingest.problems)
    with collecting():
        tables, info = _read_inputs(profile, overrides, others, skip=li)
        try:
            streamed = stream_leads(
                profile, overrides.get(li), tables, chunk_rows=chunk_rows, cache_dir=cache_dir
            )
        except DataError as exc:  # the spend's problems are reported with the leads'
            problem(exc)
        spend_notes = Notes()
        spend = build_spend(profile, tables, spend_notes)
    info.insert(_place(profile, info, li), streamed.info)
    # the readers' notes in the profile's order of inputs, then the mapping's
    # (rows copied whole: a counted note with a count of 0 stays hidden)
    read = streamed.notes[: streamed.read_notes]
    for name in profile.inputs:
        for row in read if name == li else [r for r in others.rows if r["input"] == name]:
            notes.rows.append(row)
    notes.rows.extend(streamed.notes[streamed.read_notes :])
    notes.rows.extend(spend_notes.rows)
    facts.update(streamed.facts)
    return _finish(profile, info, notes, facts, window, streamed.path, spend)


def _window(start, end) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    if not start and not end:
        return None
    bounds: list[pd.Timestamp] = []
    for label, value in (("start", start), ("end", end)):
        if not value:
            bounds.append(None)
            continue
        try:
            bounds.append(pd.Timestamp(str(value)))
        except ValueError:
            if label == "start":
                message = _(
                    "the period start {value} is not a date (use 2026-01-31)", value=repr(value)
                )
            else:
                message = _(
                    "the period end {value} is not a date (use 2026-01-31)", value=repr(value)
                )
            raise DataError(message) from None
    lo = bounds[0] if bounds[0] is not None else pd.Timestamp.min
    # an end date includes its whole day
    hi = bounds[1] + pd.Timedelta(days=1) if bounds[1] is not None else pd.Timestamp.max
    if lo >= hi:
        raise DataError(
            _("the period starts ({start}) after it ends ({end})", start=start, end=end)
        )
    return lo, hi


def _window_label(window) -> str:
    lo, hi = window
    return _(
        "{start} to {end}",
        start=lo.date() if lo != pd.Timestamp.min else "…",
        end=(hi - pd.Timedelta(days=1)).date() if hi != pd.Timestamp.max else "…",
    )


def _period_notes(total: int, kept: int, undated: int, window, notes: Notes) -> None:
    """What the period leaves out of ``total`` leads (``kept`` in it, ``undated`` with no
    creation date); an error when no lead is in it."""
    label = _window_label(window)
    if not kept:
        raise DataError(_("no lead was created in the period {period}", period=label))
    if undated:
        notes.add(
            "info",
            "leads",
            n_(
                "{count} lead(s) without a creation date are left out: no period can be said "
                "to hold them",
                "{count} lead(s) without a creation date are left out: no period can be said "
                "to hold them",
                undated,
                count=fmt_count(undated),
            ),
        )
    dropped = total - kept - undated
    if dropped:
        notes.add(
            "info",
            "leads",
            _(
                "{n} of {total} leads were created outside the period {period} and are left out",
                n=fmt_count(dropped),
                total=fmt_count(total),
                period=label,
            ),
        )


def _spend_in_period(spend: pd.DataFrame, window, notes: Notes) -> pd.DataFrame:
    if spend.empty:
        return spend
    lo, hi = window
    in_period = (spend["date"] >= lo) & (spend["date"] < hi)
    if (~in_period).any():
        notes.add(
            "info",
            "spend",
            n_(
                "{count} spend rows dated outside the period {period} are left out",
                "{count} spend rows dated outside the period {period} are left out",
                int((~in_period).sum()),
                count=fmt_count(int((~in_period).sum())),
                period=_window_label(window),
            ),
        )
    return spend.loc[in_period].reset_index(drop=True)
