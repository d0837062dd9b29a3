"""Reader for the EMSA/MSA spectral data format (ISO 22029).

An MSA file is plain text: header lines ``#KEYWORD : value`` (a keyword may
carry a unit after a dash, ``#BEAMKV -kV: 200``), a ``#SPECTRUM`` line, the
data, and ``#ENDOFDATA``.  ``#DATATYPE : XY`` data hold ``x, y`` rows (or,
with ``#NCOLUMNS : n``, up to ``n`` pairs per row); ``#DATATYPE : Y`` data
hold only intensities, ``#NCOLUMNS`` of them per line, and the energies are
``#OFFSET + i * #XPERCHAN``.  Values are separated by commas, white space, or
both; files written with decimal commas (``100,00;10,25``) are recognised.
"""

import re
from pathlib import Path

import numpy as np

from skspectra.io._common import (
    Spectrum,
    SpectrumFileError,
    _read_text_lines,
    _sort_and_merge,
    _to_number,
)

_SEPARATORS = re.compile(r"[,;\s]+")
# with decimal commas, fields are separated by semicolons or white space
_COMMA_LOCALE_SEPARATORS = re.compile(r"[;\s]+")
_HEADER = re.compile(r"^#\s*([A-Za-z0-9_]+)\s*(?:-\s*([^:]*?))?\s*:(.*)$")
_DECIMAL_COMMA_NUMBER = re.compile(r"^[+-]?\d+,\d+(?:[eE][+-]?\d+)?$")
_INTEGER = re.compile(r"^[+-]?\d+(?:[eE][+-]?\d+)?$")
# EMSA/MAS's own example files give '#NPOINTS' one less than the rows they
# hold; rosettasciio sizes the axis from the data, and so does this reader
# for that one-point excess.
_NPOINTS_EXCESS_TOLERATED = 1


def _header_and_data(lines, path):
    """Split the lines into header fields, keyword units and raw data lines."""
    header, units, data = {}, {}, []
    in_data = False
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            match = _HEADER.match(line)
            if match is None:
                if in_data:
                    raise SpectrumFileError(
                        f"{path}: line {lineno}: not a '#KEYWORD : value' "
                        f"line inside the data: {line!r}"
                    )
                continue  # a comment line in the header
            key = match.group(1).upper()
            if key == "ENDOFDATA":
                break
            if key == "SPECTRUM":
                in_data = True
                continue
            header[key] = _to_number(match.group(3))
            if match.group(2):
                units[key] = match.group(2).strip()
            continue
        if not in_data:
            raise SpectrumFileError(
                f"{path}: line {lineno}: data before the '#SPECTRUM' line: {line!r}"
            )
        data.append((lineno, line))
    if not in_data:
        raise SpectrumFileError(f"{path}: no '#SPECTRUM' line; not an EMSA/MSA file.")
    if not data:
        raise SpectrumFileError(f"{path}: the file holds no spectrum data.")
    return header, units, data


def _writes_decimal_commas(data):
    """Whether the data lines write decimal commas (``100,00;10,25``).

    Semicolons between fields mean decimal commas; so do white-space
    separated fields, several on some line, that are each a number with at
    most one comma and no point.
    """
    tokens = [_COMMA_LOCALE_SEPARATORS.split(line) for _, line in data]
    if not any("," in t for row in tokens for t in row):
        return False
    if any(";" in line for _, line in data):
        return True
    return any(len(row) >= 2 for row in tokens) and all(
        _DECIMAL_COMMA_NUMBER.match(t) or _INTEGER.match(t)
        for row in tokens
        for t in row
    )


def _parse_rows(data, decimal_comma, path):
    """Every data line as a list of floats; a bad token names its line."""
    rows = []
    for lineno, line in data:
        if decimal_comma:
            tokens = [t for t in _COMMA_LOCALE_SEPARATORS.split(line) if t]
            bad = [t for t in tokens if "." in t or t.count(",") > 1]
            texts = [t.replace(",", ".") for t in tokens]
        else:
            tokens = [t for t in _SEPARATORS.split(line) if t]
            bad, texts = [], tokens
        try:
            if bad:
                raise ValueError
            values = [float(t) for t in texts]
        except ValueError:
            culprit = bad[0] if bad else next(t for t in texts if not _is_float(t))
            style = " (the file writes decimal commas)" if decimal_comma else ""
            raise SpectrumFileError(
                f"{path}: line {lineno}: cannot read {culprit!r} as a number in "
                f"the spectrum data{style}: {line!r}"
            ) from None
        if values:
            rows.append((lineno, values))
    return rows


def _is_float(token):
    try:
        float(token)
    except ValueError:
        return False
    return True


def _ncolumns(header):
    """``#NCOLUMNS`` as a positive int, or None when absent or not a count."""
    value = header.get("NCOLUMNS")
    if isinstance(value, (int, float)) and value >= 1 and float(value).is_integer():
        return int(value)
    return None


def _is_pair_layout(widths, pairs):
    """Whether rows hold ``pairs`` (x, y) pairs each, the last possibly fewer."""
    if pairs is None or pairs < 2:
        return False
    *full, last = widths
    return (
        all(w == 2 * pairs for w in full) and last % 2 == 0 and 2 <= last <= 2 * pairs
    )


def _xy_arrays(rows, header, path):
    """Energy and intensity of ``#DATATYPE : XY`` rows."""
    pairs = _ncolumns(header)
    widths = [len(values) for _, values in rows]
    if _is_pair_layout(widths, pairs):
        flat = np.array([v for _, values in rows for v in values], dtype=np.float64)
        return flat[0::2].copy(), flat[1::2].copy()
    width = widths[0]
    if width < 2:
        raise SpectrumFileError(
            f"{path}: line {rows[0][0]}: XY data need an energy and at least "
            f"one intensity per line; found {width} value."
        )
    for lineno, values in rows:
        if len(values) != width:
            layout = (
                f"; with '#NCOLUMNS : {pairs}' an XY line holds {pairs} "
                f"(energy, intensity) pairs, {2 * pairs} values, the last line "
                "possibly fewer"
                if pairs is not None and pairs > 1
                else ""
            )
            raise SpectrumFileError(
                f"{path}: line {lineno}: {len(values)} values where the first "
                f"data line has {width}{layout}."
            )
    data = np.array([values for _, values in rows], dtype=np.float64)
    intensity = data[:, 1] if width == 2 else data[:, 1:]
    return np.ascontiguousarray(data[:, 0]), np.ascontiguousarray(intensity)


def _y_arrays(rows, header, path):
    """Energy and intensity of ``#DATATYPE : Y`` rows."""
    intensity = np.array([v for _, values in rows for v in values], dtype=float)
    step = header.get("XPERCHAN")
    if not isinstance(step, (int, float)) or not np.isfinite(step) or step == 0:
        raise SpectrumFileError(
            f"{path}: DATATYPE Y needs a numeric '#XPERCHAN', nonzero, to build "
            f"the energy axis; found {header.get('XPERCHAN')!r}."
        )
    offset = header.get("OFFSET", 0.0)
    if not isinstance(offset, (int, float)) or not np.isfinite(offset):
        raise SpectrumFileError(f"{path}: '#OFFSET' is not a number: {offset!r}.")
    return offset + step * np.arange(intensity.size, dtype=float), intensity


def _check_single_pairs(data, header, path):
    """Reject Y data whose every line is one ``a,b`` digit pair, if ambiguous.

    With ``#NCOLUMNS : 1`` such a line is either one value written with a
    decimal comma or two values written without a space; neither can be told
    from the other.
    """
    if _ncolumns(header) == 1 and all(
        _DECIMAL_COMMA_NUMBER.match(line) for _, line in data
    ):
        lineno, line = data[0]
        raise SpectrumFileError(
            f"{path}: line {lineno}: {line!r} is either one value with a decimal "
            "comma or two values, and '#NCOLUMNS : 1' does not settle which; "
            "write the values with a decimal point."
        )


def _check_npoints(header, n_read, path):
    npoints = header.get("NPOINTS")
    if not isinstance(npoints, (int, float)):
        return
    excess = n_read - int(npoints)
    if excess != 0 and excess != _NPOINTS_EXCESS_TOLERATED:
        raise SpectrumFileError(
            f"{path}: '#NPOINTS' says {int(npoints)} points but the data hold {n_read}."
        )


def _comma_header_numbers(header):
    """Header values written with a decimal comma, as numbers."""
    for key, value in header.items():
        if isinstance(value, str) and _DECIMAL_COMMA_NUMBER.match(value):
            header[key] = float(value.replace(",", "."))


def read_msa(path, *, encoding="latin-1"):
    """Read an EMSA/MSA (``.msa``, ``.emsa``) spectrum file.

    Parameters
    ----------
    path : str or path-like
        The file to read.
    encoding : str, default="latin-1"
        Text encoding; MSA files are ASCII, and latin-1 reads any byte.  A
        byte-order mark at the start of the file overrides it.

    Returns
    -------
    spectrum : Spectrum
        Named tuple ``(energy, intensity, header)``.  ``energy`` and
        ``intensity`` are float64 arrays; ``intensity`` is 1-D for one data
        column and ``(n_points, n_columns)`` for an XY file with several
        intensity columns.  ``header`` maps each keyword (upper case, without
        ``#``) to its value (int or float where it is a number, else a string),
        with the keyword units in ``header["units"]``, the energy unit in
        ``header["energy_units"]``, the decimal mark of the data in
        ``header["decimal_separator"]`` (``"."`` or ``","``), and what was
        done to make the energy strictly increasing in
        ``header["energy_sorted"]`` and ``header["n_merged_energies"]``.

    Raises
    ------
    SpectrumFileError
        A subclass of :class:`ValueError`: if the file has no ``#SPECTRUM``
        line or no data, a data line holds something that is not a number (the
        message names the file and the line), XY rows differ in length, the
        number of points differs from ``#NPOINTS``, Y data lack ``#XPERCHAN``,
        a value is not finite, or decimal commas cannot be told apart from
        separators.

    See Also
    --------
    read_xdi : The XAS Data Interchange format.
    read_spectrum : Dispatch on the file extension.

    Notes
    -----
    Fields are separated by commas, semicolons or white space.  Data with
    semicolons between fields, or with white-space separated fields that each
    hold one comma and no point (``100,00  10,25``), are read as written with
    decimal commas.  Y data whose every line is a single ``a,b`` pair of digit
    runs under ``#NCOLUMNS : 1`` are ambiguous and rejected.

    An XY file whose rows hold ``2 * #NCOLUMNS`` values (the last row possibly
    fewer) is read as ``#NCOLUMNS`` (energy, intensity) pairs per row, as ISO
    22029 lays them out; rows of ``1 + k`` values are an energy and ``k``
    intensity columns.  The data may hold one point more than ``#NPOINTS``
    says, as the standard's own example files do; any other difference is an
    error.  Points are returned in increasing energy: a descending axis is
    reversed, and the points of a repeated energy are replaced by their mean.

    References
    ----------
    .. [1] ISO 22029:2022, "Microbeam analysis -- EMSA/MAS standard file
       format for spectral-data exchange".

    Examples
    --------
    >>> import tempfile, os
    >>> from skspectra.io import read_msa
    >>> text = '''#FORMAT : EMSA/MAS Spectral Data File
    ... #VERSION : 1.0
    ... #NPOINTS : 3
    ... #NCOLUMNS : 1
    ... #XUNITS : eV
    ... #DATATYPE : Y
    ... #XPERCHAN : 0.5
    ... #OFFSET : 100.0
    ... #SPECTRUM : Spectral Data Starts Here
    ... 10, 12, 11
    ... #ENDOFDATA : End Of Data and File
    ... '''
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     name = os.path.join(folder, "s.msa")
    ...     with open(name, "w") as f:
    ...         _ = f.write(text)
    ...     energy, intensity, header = read_msa(name)
    >>> energy
    array([100. , 100.5, 101. ])
    >>> intensity
    array([10., 12., 11.])
    >>> header["DATATYPE"], header["energy_units"]
    ('Y', 'eV')
    """
    path = Path(path)
    header, units, data = _header_and_data(_read_text_lines(path, encoding), path)
    decimal_comma = _writes_decimal_commas(data)
    if decimal_comma:
        _comma_header_numbers(header)
    datatype = str(header.get("DATATYPE", "Y")).strip().upper()
    if datatype not in ("XY", "Y"):
        raise SpectrumFileError(
            f"{path}: unknown '#DATATYPE' {header.get('DATATYPE')!r}; "
            "expected 'XY' or 'Y'."
        )
    if datatype == "Y" and not decimal_comma:
        _check_single_pairs(data, header, path)
    rows = _parse_rows(data, decimal_comma, path)
    if datatype == "XY":
        energy, intensity = _xy_arrays(rows, header, path)
    else:
        energy, intensity = _y_arrays(rows, header, path)
    _check_npoints(header, energy.size, path)
    for name, values in (("energy", energy), ("intensity", intensity)):
        if not np.all(np.isfinite(values)):
            raise SpectrumFileError(
                f"{path}: {np.count_nonzero(~np.isfinite(values))} {name} values "
                "are not finite numbers."
            )
    energy, (intensity,), energy_sorted, n_merged = _sort_and_merge(energy, [intensity])
    header["units"] = units
    header["energy_units"] = str(header.get("XUNITS", "")).strip()
    header["decimal_separator"] = "," if decimal_comma else "."
    header["energy_sorted"] = energy_sorted
    header["n_merged_energies"] = n_merged
    return Spectrum(energy, intensity, header)
