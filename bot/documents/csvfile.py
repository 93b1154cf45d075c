"""CSV for the office's spreadsheets: UTF-8 with a byte-order mark and `;` between fields, which
is what Excel opens correctly on a Vietnamese Windows (its list separator is `;` because the
decimal separator is `,`), and what the roster import reads back."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence


def write_csv(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
