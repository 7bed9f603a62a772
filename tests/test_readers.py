"""Reading exports as they come: encodings, delimiters, number and date formats."""

import pandas as pd
import pytest

from analysis.base.errors import DataError
from analysis.ingest.parse import parse_dates, parse_flags, parse_numbers
from analysis.ingest.readers import detect_encoding, read_table
from tests.conftest import write_csv

RU = "ID;Качество лида;Бюджет\n1;Горячий;1\xa0234,50\n2;Тёплый;0,00\n"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1251", "cp1251"), ("utf-16", "utf-16")],
)
def test_encodings_detected_and_decoded(tmp_path, encoding, expected):
    path = write_csv(tmp_path / "crm.csv", RU, encoding)
    table = read_table(path, "crm")
    assert table.encoding == expected
    assert table.delimiter == ";"
    assert list(table.frame.columns) == ["ID", "Качество лида", "Бюджет"]
    assert table.frame["Качество лида"].tolist() == ["Горячий", "Тёплый"]


def test_broken_utf8_is_an_error_with_its_line(tmp_path):
    data = ("id,name\n" + "".join(f"{i},Привет\n" for i in range(5))).encode("utf-8")
    data = data.replace("Привет".encode(), b"\xd0\x9f\xd1" + b"\xff" + "ривет".encode(), 1)
    path = tmp_path / "broken.csv"
    path.write_bytes(data)
    with pytest.raises(DataError, match=r"broken\.csv.*not valid UTF-8 \(first at line 2"):
        read_table(path)


def test_unknown_encoding_is_an_error(tmp_path):
    # one accented letter in Latin-1: cp1252 reads "Zoë", cp1251 "Zoл"; too little to tell
    path = write_csv(tmp_path / "latin.csv", "a,b\nZoë,1\n", "latin-1")
    with pytest.raises(DataError, match=r"latin\.csv.*cannot tell the file's text encoding"):
        read_table(path)
    # ...and the profile's `encoding:` setting reads it
    assert read_table(path, encoding="latin-1").frame["a"].tolist() == ["Zoë"]
    # Western text with enough accented words is clearly cp1252
    rich = write_csv(tmp_path / "fr.csv", "a,b\ncafé,crème brûlée\n", "latin-1")
    assert read_table(rich).frame["b"].tolist() == ["crème brûlée"]


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_delimiters(tmp_path, sep):
    path = write_csv(tmp_path / "x.csv", f"a{sep}b\n1{sep}2\n")
    assert read_table(path).frame.to_dict("list") == {"a": ["1"], "b": ["2"]}


def test_empty_and_header_only_files(tmp_path):
    with pytest.raises(DataError, match=r"empty\.csv: the file is empty"):
        read_table(write_csv(tmp_path / "empty.csv", ""))
    with pytest.raises(DataError, match=r"blank\.csv: the file has no rows"):
        read_table(write_csv(tmp_path / "blank.csv", "\n \n"))
    with pytest.raises(DataError, match=r"header\.csv: the file has a header but no data rows"):
        read_table(write_csv(tmp_path / "header.csv", "a,b\n"))


def test_ragged_row_names_its_line(tmp_path):
    path = write_csv(tmp_path / "ragged.csv", "a,b\n1,2\n3,4,5\n")
    with pytest.raises(
        DataError, match=r"ragged\.csv, row 3: 1 row\(s\) do not have as many fields as the header"
    ):
        read_table(path)


def test_duplicate_and_blank_headers(tmp_path):
    # a repeated name is kept, the later column named "a [2]" (amoCRM's utm_* fields)
    dup = read_table(write_csv(tmp_path / "dup.csv", "a,b,a\n1,2,3\n"))
    assert list(dup.frame.columns) == ["a", "b", "a [2]"] and dup.duplicates == {"a": 2}
    with pytest.raises(DataError, match=r"row 1: the header row has 1 blank column name"):
        read_table(write_csv(tmp_path / "blankh.csv", "a,,c\n1,2,3\n"))


def test_missing_file_and_unsupported_type(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_table(tmp_path / "nope.csv", "crm")
    (tmp_path / "x.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(DataError, match=r"x\.xls: an old binary Excel file"):
        read_table(tmp_path / "x.xls")
    (tmp_path / "x.ods").write_bytes(b"PK")
    with pytest.raises(DataError, match=r"unsupported file type '\.ods'"):
        read_table(tmp_path / "x.ods")


def test_excel_and_parquet(tmp_path):
    frame = pd.DataFrame(
        {"id": [1, 2], "day": pd.to_datetime(["2026-01-05", "2026-01-06"]), "cost": [1234.5, 0.25]}
    )
    frame.to_excel(tmp_path / "s.xlsx", index=False)
    frame.to_parquet(tmp_path / "s.parquet", index=False)
    x = read_table(tmp_path / "s.xlsx")
    p = read_table(tmp_path / "s.parquet")
    assert x.first_row == 2 and p.first_row == 1
    for t in (x, p):
        assert parse_numbers(t.frame["cost"]).tolist() == [1234.5, 0.25]
        assert parse_dates(t.frame["day"]).dt.day.tolist() == [5, 6]
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(DataError, match=r"bad\.xlsx: not a readable \.xlsx file"):
        read_table(bad)


def test_numbers_as_people_write_them():
    s = pd.Series(["1\xa0234\xa0567,89", "1 234,5", "12,5", "-3", "", "1.234.567,00", "₽ 500"])
    assert parse_numbers(s, decimal=",").tolist()[:4] == [1234567.89, 1234.5, 12.5, -3.0]
    out = parse_numbers(s, decimal=",")
    assert pd.isna(out[4]) and out[5] == 1234567.0 and out[6] == 500.0
    assert parse_numbers(pd.Series(["1,234.50", "1,234,567", "0.5"])).tolist() == [
        1234.5,
        1234567.0,
        0.5,
    ]


def test_bad_numbers_name_rows_and_column(tmp_path):
    table = read_table(write_csv(tmp_path / "n.csv", "id,cost\n1,10\n2,ten\n3,5\n4,n/a\n"))
    with pytest.raises(
        DataError, match=r"n\.csv, rows 3, 5, column 'cost': 2 value\(s\) are not numbers"
    ):
        parse_numbers(table.frame["cost"], table=table, column="cost")


def test_dates_day_first_iso_and_errors(tmp_path):
    s = pd.Series(["05.02.2026 10:30", "2026-02-05", "05-02-2026", "05/02/2026 10:30:15", ""])
    out = parse_dates(s)
    assert out.dt.month.tolist()[:4] == [2, 2, 2, 2] and out.dt.day.tolist()[:4] == [5, 5, 5, 5]
    assert pd.isna(out[4]) and str(out.dtype) == "datetime64[us]"
    assert parse_dates(pd.Series(["02/05/2026"]), dayfirst=False).dt.day.tolist() == [5]
    table = read_table(
        write_csv(tmp_path / "d.csv", "id,day\n1,2026-01-01\n2,31.02.2026\n3,soon\n")
    )
    with pytest.raises(
        DataError, match=r"d\.csv, rows 3, 4, column 'day': 2 value\(s\) are not dates"
    ):
        parse_dates(table.frame["day"], table=table, column="day")


def test_iso_dates_with_fractions_of_a_second_are_kept_to_the_second():
    """A database's export writes 2026-01-01 14:14:03.000742 (pandas, PostgreSQL) or
    ...T14:14:03.5: dates, kept to the second as every canonical time (they were
    refused as 'not dates')."""
    s = pd.Series(
        ["2026-01-01 14:14:03.000742", "2026-01-01T14:14:03.5", "2026-01-01 14:14:03.999999999"]
    )
    out = parse_dates(s)
    assert out.tolist() == [pd.Timestamp("2026-01-01 14:14:03")] * 3
    assert str(out.dtype) == "datetime64[us]"


def test_flags():
    assert parse_flags(pd.Series(["yes", "No", "1", "0", "", "да", "TRUE"])).tolist() == [
        1,
        0,
        1,
        0,
        0,
        1,
        1,
    ]
    with pytest.raises(DataError, match="not yes/no flags, e.g. 'maybe'"):
        parse_flags(pd.Series(["yes", "maybe"]))


def test_detect_encoding_prefers_utf8_for_ascii():
    assert detect_encoding(b"a,b\n1,2\n") == "utf-8"
