"""Claims out of the store as CSV, JSONL or Parquet, safe to open in a spreadsheet.

CSV is UTF-8 with a BOM (so Excel picks the encoding), CRLF line ends, ISO dates,
and the columns in EXPORT_COLUMNS order followed by any others. A text cell that a
spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return, or their full-width forms) gets a leading ``'``; numeric columns
are written as numbers, so a negative value stays a number. The cell rule lives in
figures.records (the same for every CSV the project writes); this module writes whole frames.
"""

from __future__ import annotations

import io

import pandas as pd

from figures.records import neutralise

EXPORT_COLUMNS = (
    "claim_id", "date", "metric", "value", "low", "high", "qualifier", "stated", "item", "subject",
    "claimant", "claimant_entity", "side", "period", "conditional", "location", "date_basis", "quote", "doc_id",
    "title", "outlet", "url", "published", "mention_group", "confirmed", "rejected", "corrected", "start", "end", "extractor_version",
)
FORMATS = ("csv", "jsonl", "parquet")
MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson", "parquet": "application/vnd.apache.parquet"}


def ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with the documented columns first, in order, then any others."""
    known = [name for name in EXPORT_COLUMNS if name in frame.columns]
    return frame[known + [name for name in frame.columns if name not in known]]


def _iso_dates(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_datetime64_any_dtype(series):
            midnight = (series.dt.hour == 0) & (series.dt.minute == 0) & (series.dt.second == 0)
            fmt = "%Y-%m-%d" if bool(midnight[series.notna()].all()) else "%Y-%m-%dT%H:%M:%S"
            frame[name] = series.dt.strftime(fmt).astype(object).where(series.notna(), None)
        elif series.dtype == object:
            sample = series.dropna()
            if not sample.empty and hasattr(sample.iloc[0], "isoformat"):
                frame[name] = series.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    return frame


def _neutralise_column(series: pd.Series) -> pd.Series:
    return pd.Series([neutralise(value) for value in series.astype(object).tolist()], index=series.index,
                     dtype=object)


def whole_numbers(series: pd.Series) -> pd.Series:
    """A float column with its whole values as integers ('5710', not '5710.0'); other values
    and missing ones stay as they are."""
    values = series.to_numpy(dtype="float64", na_value=float("nan"))
    whole = ~pd.isna(values) & (values % 1 == 0) & (abs(values) < 2**53)
    if not whole.any():
        return series
    out = series.astype(object).where(series.notna(), None)
    out[whole] = values[whole].astype("int64").tolist()
    return out


def safe_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV for Excel and LibreOffice: BOM, documented column order, ISO dates, whole figures
    as integers, formulas neutralised."""
    frame = _iso_dates(ordered(frame))
    for name in frame.columns:
        if pd.api.types.is_float_dtype(frame[name]):
            frame[name] = whole_numbers(frame[name])
        elif not (pd.api.types.is_numeric_dtype(frame[name]) or pd.api.types.is_bool_dtype(frame[name])):
            frame[name] = _neutralise_column(frame[name])
    text = frame.to_csv(index=False, lineterminator="\r\n")
    return ("\ufeff" + text).encode("utf-8")


def jsonl_bytes(frame: pd.DataFrame) -> bytes:
    """One JSON object per claim and line, ISO dates, nulls for missing values."""
    if frame.empty:
        return b""
    text = _iso_dates(ordered(frame)).to_json(orient="records", lines=True, force_ascii=False)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    ordered(frame).to_parquet(buffer, index=False)
    return buffer.getvalue()


def export_claims(frame: pd.DataFrame, format: str = "csv") -> bytes:
    """The claims frame in one of FORMATS; the one entry point for the CLI and the app."""
    if format == "csv":
        return safe_csv_bytes(frame)
    if format == "jsonl":
        return jsonl_bytes(frame)
    if format == "parquet":
        return parquet_bytes(frame)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
