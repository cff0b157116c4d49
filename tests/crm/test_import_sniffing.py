"""Import sniffs what it was given: not text → one sentence; delimiter and encoding detected; duplicates flagged.

The corpus: a PNG named .csv, `;`- and tab-delimited exports, UTF-16 with a byte-order mark, Windows-1252,
in-file duplicate emails. Each gives the right rows, or one clear sentence and nothing changed.
"""

from __future__ import annotations

import codecs
import struct
import zlib

import pytest
from sqlalchemy import Engine, text

from core.db import session_factory
from crm.actors import Actor, actor_from_user
from crm.importing import InvalidImportFile, import_csv, preview
from crm.importing.source import open_source
from tests.crm.conftest import add_user

ROWS = [
    ("Zoë", "Müller", "zoe@example.com", "Café Crème GmbH"),
    ("José", "Núñez", "jose@example.com", "Niño, Ltd"),
]


def _png() -> bytes:
    """A real 1×1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))


def _csv(delimiter: str = ",", rows=ROWS) -> str:
    lines = [delimiter.join(("first_name", "last_name", "email", "company"))]
    for row in rows:
        lines.append(delimiter.join(f'"{v}"' if delimiter in v or "," in v else v for v in row))
    return "\r\n".join(lines) + "\r\n"


def _leads(engine: Engine) -> list[tuple[str, str, str, str]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(text("SELECT first_name, last_name, email, company FROM leads ORDER BY email DESC"))
        ]


@pytest.fixture
def rep(clean_db: Engine) -> Actor:
    """The rep who imports (and owns what is imported)."""
    with session_factory(clean_db).begin() as session:
        return actor_from_user(add_user(session, "Ivy", "rep"))


def _import(engine: Engine, data: bytes, actor: Actor):
    with session_factory(engine).begin() as session:
        return import_csv(session=session, actor=actor, entity="leads", source=data)


def test_a_png_named_csv_gets_one_sentence_and_changes_nothing(clean_db, rep):
    with pytest.raises(InvalidImportFile) as refused:
        _import(clean_db, _png(), rep)
    message = str(refused.value)
    assert message == (
        "this file is not a CSV text file (it looks like a PNG image): export the data as CSV and use that file"
    )
    assert "\\x89" not in message and "PNG" in message
    with pytest.raises(InvalidImportFile, match="not a CSV text file"):
        preview(_png(), None, "leads")
    assert _leads(clean_db) == []


@pytest.mark.parametrize(
    ("delimiter", "described"),
    [(",", "commas (,)"), (";", "semicolons (;)"), ("\t", "tabs"), ("|", "vertical bars (|)")],
)
def test_the_delimiter_is_detected_shown_and_used(clean_db, rep, delimiter, described):
    data = _csv(delimiter).encode("utf-8")
    shown = preview(data, None, "leads")
    assert shown.delimiter == delimiter and shown.read_as == f"UTF-8 text, columns separated by {described}"
    report = _import(clean_db, data, rep)
    assert report.committed and report.inserted == 2
    assert _leads(clean_db) == ROWS


@pytest.mark.parametrize(
    ("encoded", "read_as"),
    [
        (codecs.BOM_UTF8 + _csv(";").encode("utf-8"), "UTF-8 (with byte-order mark) text"),
        (_csv("\t").encode("utf-16"), "UTF-16 (with byte-order mark) text"),  # Python writes the BOM
        (_csv(";").encode("cp1252"), "Windows-1252 text"),
    ],
    ids=["utf-8-bom", "utf-16-bom", "cp1252"],
)
def test_the_encoding_is_detected_shown_and_every_accent_survives(clean_db, rep, encoded, read_as):
    shown = preview(encoded, None, "leads")
    assert shown.read_as.startswith(read_as)
    assert [r["last_name"] for r in shown.rows] == ["Müller", "Núñez"]
    report = _import(clean_db, encoded, rep)
    assert report.committed and _leads(clean_db) == ROWS


def test_in_file_duplicate_emails_are_flagged_in_the_preview_and_refused_whole(clean_db, rep):
    rows = [*ROWS, ("Zoe", "Again", "ZOE@example.com", "Other")]
    data = _csv(",", rows).encode("utf-8")

    shown = preview(data, None, "leads")
    assert [(e.row_number, e.field, e.value) for e in shown.errors] == [(4, "email", "ZOE@example.com")]
    assert shown.errors[0].reason == "duplicate email: also in row 2"
    assert shown.rows[2]["problems"] == "email: duplicate email: also in row 2"

    report = _import(clean_db, data, rep)
    assert not report.committed and report.rows_rejected == 1
    assert _leads(clean_db) == []  # nothing partial


def test_a_bad_email_shows_as_written_with_its_error_in_the_preview():
    data = b"first_name,last_name,email\nAda,Lovelace,not-an-email\nAlan,Turing,alan@example.com\n"
    shown = preview(data, None, "leads")
    bad, good = shown.rows
    assert bad["email"] == "not-an-email" and bad["last_name"] == "Lovelace" and "email:" in bad["problems"]
    assert good["email"] == "alan@example.com" and good["problems"] == ""


def test_a_comma_file_with_semicolons_in_values_stays_a_comma_file():
    data = b"email,company,title\na@example.com,Acme; Sons,VP\nb@example.com,Beta; Co,CTO\n"
    source = open_source(data)
    try:
        assert source.delimiter == ","
    finally:
        source.close()
