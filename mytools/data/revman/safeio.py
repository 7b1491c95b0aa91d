"""Untrusted input: zip archives read in memory with limits, strict text decoding, CSV with lines.

Nothing is ever extracted to disk. A zip is refused (:class:`~mytools.data.DataError`) when it is
corrupt, has too many members, a member name with ``..``, an absolute path or a drive letter, a
member (or all members together) larger than the limits, or a compression ratio typical of a zip
bomb; sizes are checked against the central directory *and* while inflating (a lying header is
caught after at most ``max_member_bytes`` + 1 bytes). Zips are opened one level deep: a zip inside
the package (RevMan Web's ``…-data.zip``) is read, a zip inside that is not.

Text is UTF-8 (a BOM is stripped). Bytes that are not UTF-8 are decoded as Windows-1252 (RevMan 5
on Windows wrote that) and a note names the first such byte's line and column; bytes that are
neither raise a :class:`DataError`. CSV records keep the physical line on which they start.
"""
from __future__ import annotations

import csv
import io
import os
import re
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mytools.data.errors import DataError, Problem

__all__ = ["ZipLimits", "Member", "list_members", "decode", "read_csv_records", "fail",
           "read_file", "regular_file"]

_BAD_NAME = re.compile(r"(^|[\\/])\.\.([\\/]|$)|^[\\/]|^[A-Za-z]:")


def fail(file: str, expected: str, *, line: int | None = None, column: str | None = None,
         found: str | None = None, study: str | None = None, analysis: str | None = None) -> DataError:
    """One-problem :class:`DataError` (file, line, column, study, analysis and what was expected)."""
    return DataError([Problem(file, line, study, column, expected, found, analysis)])


@dataclass(frozen=True)
class ZipLimits:
    """Limits for reading zip archives (defaults are far above any real data package)."""

    max_members: int = 10_000
    max_member_bytes: int = 256 * 2**20
    max_total_bytes: int = 1024 * 2**20
    max_ratio: float = 200.0  # uncompressed / compressed, checked for members above ratio_floor
    ratio_floor: int = 2**20
    max_nested_zips: int = 4  # a RevMan Web package holds one inner ``…-data.zip``
    max_file_bytes: int = 256 * 2**20  # a plain file (CSV, .rm5) read from disk


def regular_file(path: Path) -> str | None:
    """Why ``path`` must not be opened (a FIFO, a device, a socket…), or None for a regular file
    or a folder. Uses ``stat`` only: special files are never opened (a FIFO would block)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return f"cannot read the file ({exc.strerror or exc})"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a character device"
            if stat.S_ISCHR(mode) else "a block device" if stat.S_ISBLK(mode) else "a socket"
            if stat.S_ISSOCK(mode) else "a special file")
    return f"{kind}, not a regular file"


def read_file(path: str | Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file, at most ``limit`` (default ``ZipLimits.max_file_bytes``).

    Opened non-blocking and checked with ``fstat`` before reading: a FIFO, device or socket is a
    :class:`DataError` (never read), and so is a file larger than the limit (never read whole)."""
    limit = ZipLimits().max_file_bytes if limit is None else limit
    name = str(path)
    why = regular_file(Path(path))
    if why is not None:
        raise fail(name, "a readable regular file", found=why)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise fail(name, "a readable file", found=f"cannot read the file ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise fail(name, "a regular file", found="a special file")
        if st.st_size > limit:
            raise fail(name, f"a file of at most {limit} bytes", found=f"{st.st_size} bytes")
        try:  # read what stat promises (no limit-sized buffer), then any growth in chunks
            chunks = [fh.read(st.st_size + 1)]
            size = len(chunks[0])
            while size > st.st_size and size <= limit and (chunk := fh.read(2**16)):
                chunks.append(chunk)
                size += len(chunk)
            data = b"".join(chunks)
        except OSError as exc:
            raise fail(name, "a readable file",
                       found=f"cannot read the file ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise fail(name, f"a file of at most {limit} bytes", found="more (grew while read)")
    return data


@dataclass(frozen=True)
class Member:
    """One file of a package: ``name`` for messages (``a.zip!dir/b.csv``), ``read`` its bytes."""

    name: str
    read: Callable[[], bytes] = field(repr=False)

    @property
    def basename(self) -> str:
        return re.split(r"[\\/!]", self.name)[-1]


def _open_zip(data: bytes | Path, label: str, limits: ZipLimits) -> zipfile.ZipFile:
    if not isinstance(data, bytes):
        data = read_file(data, limits.max_file_bytes)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    except Exception as exc:  # noqa: BLE001 (hostile bytes: BadZipFile, NotImplementedError, …)
        raise fail(label, "a readable zip archive", found=f"{type(exc).__name__}: {exc}") from None
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise fail(label, f"at most {limits.max_members} zip members", found=str(len(infos)))
    total = 0
    for info in infos:
        where = f"{label}!{info.filename}"
        if stat.S_ISLNK(info.external_attr >> 16):
            raise fail(where, "a regular file in the zip", found="a symbolic link member "
                       "(never followed)")
        if _BAD_NAME.search(info.filename) or "\x00" in info.filename:
            raise fail(where, "a relative member name inside the package (no '..', no absolute "
                       "path, no drive letter)", found=info.filename)
        if info.file_size > limits.max_member_bytes:
            raise fail(where, f"a member of at most {limits.max_member_bytes} bytes uncompressed",
                       found=f"{info.file_size} bytes (zip bomb?)")
        if (info.file_size > limits.ratio_floor
                and info.file_size > limits.max_ratio * max(info.compress_size, 1)):
            raise fail(where, f"a compression ratio of at most {limits.max_ratio:g}",
                       found=f"{info.file_size / max(info.compress_size, 1):.0f} (zip bomb?)")
        total += info.file_size
    if total > limits.max_total_bytes:
        raise fail(label, f"at most {limits.max_total_bytes} bytes uncompressed in all",
                   found=f"{total} bytes (zip bomb?)")
    return zf


def _reader(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, limits: ZipLimits
            ) -> Callable[[], bytes]:
    def read() -> bytes:
        cap = min(info.file_size, limits.max_member_bytes)
        try:
            with zf.open(info) as fh:
                chunks, size = [], 0
                while chunk := fh.read(2**16):
                    size += len(chunk)
                    if size > cap:
                        raise fail(where, f"at most {cap} bytes as declared in the zip directory",
                                   found="more (zip bomb or corrupt archive)")
                    if size > limits.ratio_floor and size > limits.max_ratio * max(info.compress_size, 1):
                        raise fail(where, f"a compression ratio of at most {limits.max_ratio:g}",
                                   found="higher while inflating (zip bomb?)")
                    chunks.append(chunk)
        except DataError:
            raise
        except Exception as exc:  # noqa: BLE001 (BadZipFile, zlib.error, NotImplementedError, …)
            raise fail(where, "an intact zip member", found=f"{type(exc).__name__}: {exc}") from None
        return b"".join(chunks)
    return read


def _zip_members(data: bytes | Path, label: str, limits: ZipLimits, depth: int,
                 notes: list[str]) -> list[Member]:
    zf = _open_zip(data, label, limits)
    out: list[Member] = []
    inner = [i for i in zf.infolist() if not i.is_dir() and i.filename.lower().endswith(".zip")]
    if depth < 1 and len(inner) > limits.max_nested_zips:
        raise fail(label, f"at most {limits.max_nested_zips} zips inside the package (RevMan "
                   "writes one)", found=f"{len(inner)} inner zips")
    for info in zf.infolist():
        if info.is_dir():
            continue
        where = f"{label}!{info.filename}"
        read = _reader(zf, info, where, limits)
        if info.filename.lower().endswith(".zip"):
            if depth >= 1:
                notes.append(f"{where}: a zip inside a zip inside a zip is not opened (one level only)")
                continue
            out.extend(_zip_members(read(), where, limits, depth + 1, notes))
            continue
        out.append(Member(where, read))
    return out


def list_members(path: Path, limits: ZipLimits, notes: list[str]) -> list[Member]:
    """Every file of a package given as a folder or a zip (one nested zip level), unread."""
    if path.is_dir():
        root = path.resolve()
        out = []
        for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
            dirnames.sort()
            for name in sorted(filenames):
                p = Path(dirpath) / name
                if p.is_symlink() and not p.resolve().is_relative_to(root):
                    notes.append(f"{p}: symbolic link out of the package; not read")
                    continue
                why = regular_file(p)
                if why is not None:
                    notes.append(f"{p}: {why}; not read")
                    continue
                if name.lower().endswith(".zip"):
                    out.extend(_zip_members(p, str(p), limits, 1, notes))
                else:
                    out.append(Member(str(p), lambda p=p: read_file(p, limits.max_member_bytes)))
        return out
    return _zip_members(path, str(path), limits, 0, notes)


def decode(data: bytes, name: str, notes: list[str]) -> str:
    """UTF-8 text (BOM stripped); Windows-1252 with a note when not UTF-8; else a DataError."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail(name, "UTF-8 text", line=1, found="a UTF-16 byte-order mark")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        where = f"line {line}, byte column {col}"
        bad = data[exc.start:exc.start + 1].hex()
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise fail(name, "UTF-8 (or Windows-1252) text", line=line, column=f"byte {col}",
                   found=f"byte 0x{bad}") from None
    notes.append(f"{name}, {where}: byte 0x{bad} is not UTF-8; the file was decoded as Windows-1252")
    return text


def read_csv_records(text: str, name: str) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, records and the physical line on which each record starts (header = line 1).

    Blank lines are skipped; a record with a different number of fields than the header, or an
    unterminated quote, raises a :class:`DataError` naming the line.
    """
    fast = _records_one_per_line(text)
    if fast is not None:
        return fast
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[list[str]] = []
    lines: list[int] = []
    header: list[str] | None = None
    prev = 0
    try:
        for rec in reader:
            start, prev = prev + 1, reader.line_num
            if not rec or (len(rec) == 1 and not rec[0].strip()):
                continue
            if header is None:
                header = [h.strip() for h in rec]
                continue
            if len(rec) != len(header):
                raise fail(name, f"{len(header)} fields as in the header", line=start,
                           found=f"{len(rec)} fields (truncated or shifted row)")
            records.append(rec)
            lines.append(start)
    except csv.Error as exc:
        raise fail(name, "well-formed CSV (every quote closed)", line=prev + 1,
                   found=str(exc)) from None
    if header is None:
        raise fail(name, "a header line", line=1, found="an empty file")
    return header, records, lines


def _records_one_per_line(text: str) -> tuple[list[str], list[list[str]], list[int]] | None:
    """:func:`read_csv_records` when every record is one physical line (no line break inside
    a quoted field) and every record has the header's number of fields: the records parsed in one
    call, record ``i`` on line ``i + 1``. None otherwise (and on any CSV error): the caller then
    walks the records one by one, to name the line of a problem."""
    if "\r" in text and text.count("\r") != text.count("\r\n"):  # a lone CR ends a line too
        return None
    try:
        recs = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        return None
    physical = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
    if len(recs) != physical:
        return None
    if recs and len(recs[0]) > 1 and set(map(len, recs)) == {len(recs[0])}:  # no blank line
        return [h.strip() for h in recs[0]], recs[1:], list(range(2, len(recs) + 1))
    keep = [i for i, r in enumerate(recs) if r and not (len(r) == 1 and not r[0].strip())]
    if not keep:
        return None
    header = [h.strip() for h in recs[keep[0]]]
    records = [recs[i] for i in keep[1:]]
    if any(len(r) != len(header) for r in records):
        return None
    return header, records, [i + 1 for i in keep[1:]]
