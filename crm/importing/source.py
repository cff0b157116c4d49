"""Reading the CSV: open any source, refuse what is not text, detect encoding and delimiter, stream records."""

from __future__ import annotations

import codecs
import csv
import io
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from crm.importing.mapping import InvalidImportFile

MAX_FIELD_BYTES = 64 * 1024 * 1024
CHUNK = 1 << 20
csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_BYTES))

Source = str | Path | bytes | BinaryIO

DELIMITERS = {",": "commas (,)", ";": "semicolons (;)", "\t": "tabs", "|": "vertical bars (|)"}
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (with byte-order mark)",
    "utf-16": "UTF-16 (with byte-order mark)",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}
SNIFF_LINES = 50
# Files people upload by mistake, by their first bytes: what to call them in the message.
MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a zip archive or an Excel/Numbers workbook (.xlsx)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"SQLite format 3", "a SQLite database"),
)


@dataclass
class CsvSource:
    """A seekable binary CSV stream with its size and detected encoding."""

    stream: BinaryIO
    start: int
    size: int
    encoding: str
    notes: list[str] = field(default_factory=list)
    owned: bool = False
    delimiter: str = ","

    def describe(self) -> str:
        """How the file was read, in words: "UTF-8 text, columns separated by semicolons (;)"."""
        encoding = ENCODING_NAMES.get(self.encoding, self.encoding)
        return f"{encoding} text, columns separated by {DELIMITERS[self.delimiter]}"

    def close(self) -> None:
        """Close the stream if this object opened it."""
        if self.owned:
            self.stream.close()


def open_source(source: Source) -> CsvSource:
    """Open a path, bytes or binary file-like object; raise InvalidImportFile when empty or unreadable."""
    owned = False
    if isinstance(source, str | Path):
        try:
            stream: BinaryIO = open(source, "rb")  # noqa: SIM115 - closed by CsvSource.close
        except OSError as exc:
            raise InvalidImportFile(f"cannot open {source}: {exc.strerror}", field="file") from None
        owned = True
    elif isinstance(source, bytes | bytearray | memoryview):
        stream = io.BytesIO(bytes(source))
        owned = True
    else:
        stream = source
        if not _seekable(stream):
            spooled = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
            shutil.copyfileobj(stream, spooled, CHUNK)
            stream = spooled  # type: ignore[assignment]
            owned = True
    start = stream.tell()
    stream.seek(0, io.SEEK_END)
    size = stream.tell() - start
    stream.seek(start)
    head = stream.read(CHUNK)
    stream.seek(start)
    if isinstance(head, str):
        raise InvalidImportFile("the file must be opened in binary mode ('rb')", field="file")
    if not head.lstrip(b"\xef\xbb\xbf\xff\xfe\r\n\t ,;").strip():
        raise InvalidImportFile("the file is empty: it has no header row and no data", field="file", row_number=1)
    _refuse_binary(head)
    result = CsvSource(stream=stream, start=start, size=size, encoding="utf-8", owned=owned)
    result.encoding = _detect_encoding(result, head)
    result.delimiter = _detect_delimiter(head, result.encoding)
    return result


def _refuse_binary(head: bytes) -> None:
    """Raise one clear sentence when the file is not text (an image, a workbook, an archive …)."""
    what = next((name for magic, name in MAGIC if head.startswith(magic)), None)
    if what is None and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        sample = head[:4096]
        controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
        if b"\x00" in sample or controls > len(sample) // 20:
            what = "a binary file"
    if what is not None:
        raise InvalidImportFile(
            f"this file is not a CSV text file (it looks like {what}): export the data as CSV and use that file",
            field="file",
        )


def _detect_delimiter(head: bytes, encoding: str) -> str:
    """The separator (``,`` ``;`` tab ``|``) that splits the first lines into the same number of columns."""
    text = head.decode(encoding, errors="ignore")
    if not head.endswith((b"\n", b"\r")) and len(head) >= CHUNK:
        text = text.rsplit("\n", 1)[0]  # drop a line cut by the chunk
    lines = [line for line in text.splitlines() if line.strip()][:SNIFF_LINES]
    if not lines:
        return ","
    best, best_score = ",", (0, 0)
    for candidate in DELIMITERS:
        try:
            rows = list(csv.reader(lines, delimiter=candidate))
        except csv.Error:
            continue
        width = len(rows[0]) if rows else 0
        if width < 2:
            continue
        agreeing = sum(1 for row in rows if len(row) == width)
        score = (agreeing, width)
        if score > best_score:  # earlier candidates win ties: a comma file stays a comma file
            best, best_score = candidate, score
    return best


def _seekable(stream: BinaryIO) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, ValueError):
        return False


def _detect_encoding(source: CsvSource, head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        source.notes.append("the file is UTF-16 (byte-order mark found)")
        return "utf-16"
    bad = _first_undecodable(source, "utf-8")
    if bad is None:
        return "utf-8"
    if _first_undecodable(source, "cp1252") is None:
        source.notes.append(f"the file is not UTF-8 (byte {bad} is not valid UTF-8); read it as Windows-1252")
        return "cp1252"
    source.notes.append(f"the file is not UTF-8 (byte {bad} is not valid UTF-8); read it as Latin-1")
    return "latin-1"


def _first_undecodable(source: CsvSource, encoding: str) -> int | None:
    """The offset of the first byte ``encoding`` cannot decode, or None when the whole file decodes."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    source.stream.seek(source.start)
    try:
        while chunk := source.stream.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset + exc.start
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return offset
        return None
    finally:
        source.stream.seek(source.start)


class _CountingReader(io.RawIOBase):
    """A raw stream that counts the bytes handed to the text decoder (for progress)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.bytes_read += n
        return n


@dataclass
class RecordReader:
    """Streams the records of a CSV source: the header, then (row_number, cells) batches."""

    source: CsvSource
    counter: _CountingReader = field(init=False)
    header: list[str] = field(init=False)
    _rows: Iterator[list[str]] = field(init=False)
    _reader: object = field(init=False)
    row_number: int = field(init=False, default=1)

    def __post_init__(self) -> None:
        self.source.stream.seek(self.source.start)
        self.counter = _CountingReader(self.source.stream)
        text = io.TextIOWrapper(
            io.BufferedReader(self.counter, CHUNK), encoding=self.source.encoding, newline="", errors="strict"
        )
        reader = csv.reader(text, delimiter=self.source.delimiter, strict=True)
        self._reader = reader
        self._rows = reader
        header: list[str] | None = None
        while header is None:
            row = self._next()
            if row is None:
                raise InvalidImportFile("the file is empty: it has no header row", field="file", row_number=1)
            if any(cell.strip() for cell in row):
                header = [cell.strip() for cell in row]
            else:
                self.row_number += 1
        self.header = header

    def _next(self) -> list[str] | None:
        try:
            return next(self._rows)
        except StopIteration:
            return None
        except csv.Error as exc:
            line = getattr(self._reader, "line_num", 0)
            raise InvalidImportFile(
                f"malformed CSV near line {line} (record {self.row_number + 1}): {exc}; nothing was imported "
                "(check for an unclosed quote)",
                field="file",
                row_number=self.row_number + 1,
            ) from None
        except UnicodeDecodeError as exc:  # only when the stream changed after detection
            raise InvalidImportFile(f"cannot decode the file as {self.source.encoding}: {exc}", field="file") from None

    def batches(self, size: int) -> Iterator[list[tuple[int, list[str]]]]:
        """Yield lists of up to ``size`` non-blank records with their row numbers (header = row 1)."""
        batch: list[tuple[int, list[str]]] = []
        while True:
            row = self._next()
            if row is None:
                break
            self.row_number += 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            batch.append((self.row_number, row))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    @property
    def bytes_read(self) -> int:
        """Bytes consumed from the source so far."""
        return self.counter.bytes_read
