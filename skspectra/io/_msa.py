"""Reader for the EMSA/MSA spectral data format (ISO 22029).

An MSA file is plain text: header lines ``#KEYWORD : value`` (a keyword may
carry a unit after a dash, ``#BEAMKV -kV: 200``), a ``#SPECTRUM`` line, the
data, and ``#ENDOFDATA``.  ``#DATATYPE : XY`` data hold ``x, y`` rows;
``#DATATYPE : Y`` data hold only intensities, ``#NCOLUMNS`` of them per line,
and the energies are ``#OFFSET + i * #XPERCHAN``.  Values are separated by
commas, white space, or both.
"""

import re
from pathlib import Path

import numpy as np

from skspectra.io._common import Spectrum, _to_number

_SEPARATORS = re.compile(r"[,;\s]+")
_HEADER = re.compile(r"^#\s*([A-Za-z0-9_]+)\s*(?:-\s*([^:]*?))?\s*:(.*)$")


def _parse_numbers(line, path, lineno):
    tokens = [t for t in _SEPARATORS.split(line.strip()) if t]
    try:
        return [float(t) for t in tokens]
    except ValueError:
        bad = next(t for t in tokens if not _is_float(t))
        raise ValueError(
            f"{path}: line {lineno}: cannot read {bad!r} as a number in the "
            f"spectrum data: {line.strip()!r}"
        ) from None


def _is_float(token):
    try:
        float(token)
    except ValueError:
        return False
    return True


def read_msa(path, *, encoding="latin-1"):
    """Read an EMSA/MSA (``.msa``, ``.emsa``) spectrum file.

    Parameters
    ----------
    path : str or path-like
        The file to read.
    encoding : str, default="latin-1"
        Text encoding; MSA files are ASCII, and latin-1 reads any byte.

    Returns
    -------
    spectrum : Spectrum
        Named tuple ``(energy, intensity, header)``.  ``energy`` and
        ``intensity`` are float64 arrays; ``intensity`` is 1-D for one data
        column and ``(n_points, n_columns)`` for an XY file with several
        intensity columns.  ``header`` maps each keyword (upper case, without
        ``#``) to its value (int or float where it is a number, else a string),
        with the keyword units in ``header["units"]`` and the energy unit in
        ``header["energy_units"]``.

    Raises
    ------
    ValueError
        If the file has no ``#SPECTRUM`` line or no data, a data line holds
        something that is not a number (the message names the file and the
        line), XY rows differ in length, the number of points differs from
        ``#NPOINTS``, or Y data lack ``#XPERCHAN``.

    See Also
    --------
    read_xdi : The XAS Data Interchange format.
    read_spectrum : Dispatch on the file extension.

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
    header = {}
    units = {}
    rows = []  # (lineno, values)
    in_data = False
    with open(path, encoding=encoding) as f:
        for lineno, raw in enumerate(f, start=1):
            line = raw.strip()
            if not line:
                continue
            if line.startswith("#"):
                match = _HEADER.match(line)
                if match is None:
                    if in_data:
                        raise ValueError(
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
                raise ValueError(
                    f"{path}: line {lineno}: data before the '#SPECTRUM' line: {line!r}"
                )
            values = _parse_numbers(line, path, lineno)
            if values:
                rows.append((lineno, values))
    if not in_data:
        raise ValueError(f"{path}: no '#SPECTRUM' line; not an EMSA/MSA file.")
    if not rows:
        raise ValueError(f"{path}: the file holds no spectrum data.")

    datatype = str(header.get("DATATYPE", "Y")).strip().upper()
    if datatype == "XY":
        width = len(rows[0][1])
        if width < 2:
            raise ValueError(
                f"{path}: line {rows[0][0]}: XY data need an energy and at least "
                f"one intensity per line; found {width} value."
            )
        for lineno, values in rows:
            if len(values) != width:
                raise ValueError(
                    f"{path}: line {lineno}: {len(values)} values where the "
                    f"first data line has {width}."
                )
        data = np.array([values for _, values in rows], dtype=np.float64)
        energy = np.ascontiguousarray(data[:, 0])
        intensity = data[:, 1] if width == 2 else data[:, 1:]
        intensity = np.ascontiguousarray(intensity)
    elif datatype == "Y":
        intensity = np.array([v for _, values in rows for v in values], dtype=float)
        if "XPERCHAN" not in header or not isinstance(header["XPERCHAN"], (int, float)):
            raise ValueError(
                f"{path}: DATATYPE Y needs a numeric '#XPERCHAN' to build the "
                f"energy axis; found {header.get('XPERCHAN')!r}."
            )
        offset = header.get("OFFSET", 0.0)
        if not isinstance(offset, (int, float)):
            raise ValueError(f"{path}: '#OFFSET' is not a number: {offset!r}.")
        energy = offset + header["XPERCHAN"] * np.arange(intensity.size, dtype=float)
    else:
        raise ValueError(
            f"{path}: unknown '#DATATYPE' {header.get('DATATYPE')!r}; "
            "expected 'XY' or 'Y'."
        )

    npoints = header.get("NPOINTS")
    if isinstance(npoints, (int, float)) and int(npoints) != energy.size:
        raise ValueError(
            f"{path}: '#NPOINTS' says {int(npoints)} points but the data hold "
            f"{energy.size}."
        )
    header["units"] = units
    header["energy_units"] = str(header.get("XUNITS", "")).strip()
    return Spectrum(energy, intensity, header)
