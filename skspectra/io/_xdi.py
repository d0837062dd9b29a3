"""Reader for the XAS Data Interchange format (XDI).

An XDI file is plain text: a version line ``# XDI/1.0 ...``, header fields
``# Namespace.tag: value``, an optional free-text comment block opened by
``# ///``, a line of dashes ``#----``, optionally a line naming the columns,
and white-space separated data rows.  Columns are named by the
``Column.N: name units`` fields.
"""

import re
from pathlib import Path

import numpy as np

from skspectra.io._common import (
    Spectrum,
    SpectrumFileError,
    _read_text_lines,
    _sort_and_merge,
)

_FIELD = re.compile(r"^#\s*([A-Za-z_][\w]*\.[\w.]+)\s*:(.*)$")
_VERSION = re.compile(r"^#\s*XDI/(\S+)(.*)$", re.IGNORECASE)
_MU_COLUMNS = ("mu", "mutrans", "mufluor")
# h c in eV Angstrom (CODATA 2018), for a mono angle column
_HC_EV_ANGSTROM = 12398.419843320026
_EV_PER_KEV = 1000.0
# An energy column without units whose largest value is below this is taken
# as keV: in eV only the K edges of H, He and Li lie below it, in keV every
# K edge up to that of radon does.
_KEV_MAGNITUDE_LIMIT = 100.0


def _column_fields(header):
    """Return ``{index: (name, units)}`` from the ``Column.N`` fields."""
    columns = {}
    for key, value in header.items():
        parts = key.split(".")
        if len(parts) == 2 and parts[0].lower() == "column" and parts[1].isdigit():
            if isinstance(value, list):
                value = value[-1]
            words = value.split("||")[0].split()
            if words:
                units = words[1] if len(words) > 1 else ""
                columns[int(parts[1])] = (words[0].lower(), units)
    return columns


def _mu(columns, mode, path):
    """Absorption mu from the columns, and a description of its source."""
    if mode == "auto":
        for name in _MU_COLUMNS:
            if name in columns:
                return columns[name], name
    if mode in ("auto", "transmission") and {"i0", "itrans"} <= set(columns):
        i0, it = columns["i0"], columns["itrans"]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = i0 / it
        if np.any(~(ratio > 0)) or not np.all(np.isfinite(ratio)):
            raise SpectrumFileError(
                f"{path}: i0/itrans is not positive and finite at every point; "
                "ln(i0/itrans) cannot be formed."
            )
        return np.log(ratio), "ln(i0/itrans)"
    if mode in ("auto", "fluorescence") and {"i0", "ifluor"} <= set(columns):
        i0 = columns["i0"]
        if np.any(i0 == 0):
            raise SpectrumFileError(
                f"{path}: i0 is zero at some point; ifluor/i0 undefined."
            )
        return columns["ifluor"] / i0, "ifluor/i0"
    if mode == "transmission" and "mutrans" in columns:
        return columns["mutrans"], "mutrans"
    if mode == "fluorescence" and "mufluor" in columns:
        return columns["mufluor"], "mufluor"
    raise SpectrumFileError(
        f"{path}: cannot form the absorption mu ({mode!r} mode) from the "
        f"columns {sorted(columns)}; expected a mu/mutrans/mufluor column, "
        "i0 and itrans (transmission), or i0 and ifluor (fluorescence)."
    )


class _XDIText:
    """The parts of an XDI file, filled line by line.

    Attributes: ``version``; ``header``, the ``Namespace.tag`` fields in file
    order (a field given several times maps to the list of its values);
    ``comments``, the free-text lines; ``label_line``, the line after the
    dashes; ``rows``, the data rows as lists of floats, all ``width`` long.
    """

    def __init__(self):
        self.version = None
        self.header = {}
        self.comments = []
        self.label_line = None
        self.rows = []
        self.width = None
        self._in_comments = False
        self._seen_dashes = False

    def header_line(self, line):
        """Take one ``#`` line of the header."""
        body = line[1:].strip()
        if self.version is None and (m := _VERSION.match(line)):
            self.version = m.group(1)
        elif self._seen_dashes:
            self.label_line = body
        elif body.startswith("///"):
            self._in_comments = True
        elif body.startswith("---"):
            self._seen_dashes = True
        elif not self._in_comments and (m := _FIELD.match(line)):
            key, value = m.group(1), m.group(2).strip()
            if key in self.header:
                old = self.header[key]
                self.header[key] = (
                    [*old, value] if isinstance(old, list) else [old, value]
                )
            else:
                self.header[key] = value
        else:
            self.comments.append(body)

    def data_line(self, line, lineno, path):
        """Take one data row; a clear error names the file and the line."""
        try:
            values = [float(t) for t in line.split()]
        except ValueError:
            raise SpectrumFileError(
                f"{path}: line {lineno}: cannot read the data row as numbers: {line!r}"
            ) from None
        if self.width is None:
            self.width = len(values)
        elif len(values) != self.width:
            raise SpectrumFileError(
                f"{path}: line {lineno}: {len(values)} values where the first "
                f"data row has {self.width}."
            )
        self.rows.append(values)


def _parse(path, encoding):
    """Read the file into its header, comments, column labels and data."""
    text = _XDIText()
    for lineno, raw in enumerate(_read_text_lines(path, encoding), start=1):
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("#"):
            text.data_line(line, lineno, path)
        elif not text.rows:  # a comment after the data started is ignored
            text.header_line(line)
    if text.version is None:
        raise SpectrumFileError(
            f"{path}: the first line is not an '# XDI/x.y' version line."
        )
    if not text.rows:
        raise SpectrumFileError(f"{path}: the file holds no data rows.")
    return text


def _named_columns(text):
    """Every data column by name, and the units given for the named ones.

    Names come from the ``Column.N`` fields, else from the label line when it
    has one label per column, else ``colN``.
    """
    data = np.array(text.rows, dtype=np.float64)
    width = text.width
    names = {}
    column_units = {}
    for index, (name, units) in sorted(_column_fields(text.header).items()):
        if 1 <= index <= width:
            names[index - 1] = name
            column_units[name] = units
    if text.label_line is not None:
        labels = text.label_line.split()
        if len(labels) == width:
            for i, label in enumerate(labels):
                names.setdefault(i, label.lower())
    columns = {}
    for i in range(width):
        name = names.get(i, f"col{i + 1}")
        columns[name] = np.ascontiguousarray(data[:, i])
    return columns, column_units


def _energy_column(columns, column_units, path):
    """The energy column in eV, and the units it was written in.

    A column in keV, by its units or, without units, by its magnitude, is
    converted to eV.
    """
    energy = columns["energy"]
    units = column_units.get("energy", "")
    if units.lower() == "kev" or (
        not units and energy.size and np.nanmax(energy) < _KEV_MAGNITUDE_LIMIT
    ):
        return energy * _EV_PER_KEV, "keV"
    if units and units.lower() != "ev":
        raise SpectrumFileError(
            f"{path}: the energy column's units are {units!r}; expected eV or keV."
        )
    return energy, "eV"


def _energy(columns, column_units, header, path):
    """The energy in eV from the energy column or a mono angle column.

    Returns the energy and how the file wrote it: "eV", "keV" or "angle".
    """
    if "energy" in columns:
        return _energy_column(columns, column_units, path)
    if "angle" not in columns:
        raise SpectrumFileError(
            f"{path}: no 'energy' (or 'angle') column among {sorted(columns)}."
        )
    d_spacing = header.get("Mono.d_spacing")
    try:
        d_spacing = float(d_spacing)
    except (TypeError, ValueError):
        raise SpectrumFileError(
            f"{path}: an 'angle' column needs a numeric Mono.d_spacing to "
            f"give energies; found {d_spacing!r}."
        ) from None
    theta = columns["angle"]
    if column_units.get("angle", "degrees").lower().startswith("rad"):
        theta = np.degrees(theta)
    # Bragg's law: E = h c / lambda with lambda = 2 d sin(theta)
    return _HC_EV_ANGSTROM / (2.0 * d_spacing * np.sin(np.radians(theta))), "angle"


def _increasing(energy, columns, path):
    """Sort every column by energy and average the rows of a repeated energy."""
    bad = ~np.isfinite(energy)
    if np.any(bad):
        raise SpectrumFileError(
            f"{path}: {np.count_nonzero(bad)} energies are not finite numbers."
        )
    names = list(columns)
    energy, merged, energy_sorted, n_merged = _sort_and_merge(
        energy, [columns[name] for name in names]
    )
    return energy, dict(zip(names, merged, strict=True)), energy_sorted, n_merged


def read_xdi(path, *, mode="auto", encoding="latin-1"):
    """Read an XAS Data Interchange (``.xdi``) file.

    The intensity returned is the absorption :math:`\\mu(E)`: a ``mu``,
    ``mutrans`` or ``mufluor`` column when the file has one, else
    :math:`\\ln(I_0/I_t)` in transmission or :math:`I_f/I_0` in fluorescence.

    Parameters
    ----------
    path : str or path-like
        The file to read.
    mode : {"auto", "transmission", "fluorescence"}, default="auto"
        Which absorption to return.  ``"auto"`` takes a mu column if present,
        else transmission, else fluorescence.
    encoding : str, default="latin-1"
        Text encoding.  A byte-order mark at the start of the file
        overrides it.

    Returns
    -------
    spectrum : Spectrum
        Named tuple ``(energy, intensity, header)``: the energy in eV,
        strictly increasing (from the energy column, or computed from a mono
        ``angle`` column in degrees and ``Mono.d_spacing``), mu, and a dict
        of the header fields (``"Family.tag"`` keys as written; a field given
        several times maps to the list of its values).  Derived keys in lower
        case: ``"columns"`` (column name -> float64 array, every column, in
        the order of ``energy``), ``"column_units"`` (as written),
        ``"energy_units"`` (``"eV"``), ``"energy_converted_from"`` (``None``,
        ``"keV"`` or ``"angle"``), ``"energy_sorted"`` and
        ``"n_merged_energies"`` (see Notes), ``"mu_source"`` (how mu was
        formed), ``"version"``, ``"comments"`` (the free-text lines).

    Raises
    ------
    SpectrumFileError
        A subclass of :class:`ValueError`: if a data row holds something that
        is not a number or has a different number of values from the first
        (the message names the file and the line), there are no data, no
        energy column, the energy units are neither eV nor keV, an energy or
        mu is not finite, or mu cannot be formed.
    ValueError
        If ``mode`` is not one of the allowed values.

    See Also
    --------
    read_msa : The EMSA/MSA format.
    read_spectrum : Dispatch on the file extension.

    Notes
    -----
    An energy column in keV, by its ``Column.N`` units or, when it has no
    units, because every energy is below 100, is converted to eV.

    The rows are sorted by energy, so a descending scan comes out ascending
    (``header["energy_sorted"]`` is then True), and the rows of a repeated
    energy are replaced by their mean, column by column, before mu is formed
    (``header["n_merged_energies"]`` counts the rows merged away).

    References
    ----------
    .. [1] M. Newville et al., "XAS Data Interchange: A single spectrum XAFS
       data file format", J. Phys.: Conf. Ser. 712, 012007 (2016).
       :doi:`10.1088/1742-6596/712/1/012007`

    Examples
    --------
    >>> import tempfile, os
    >>> from skspectra.io import read_xdi
    >>> text = '''# XDI/1.0
    ... # Column.1: energy eV
    ... # Column.2: i0
    ... # Column.3: itrans
    ... # Element.symbol: Mn
    ... #----
    ... # energy i0 itrans
    ... 6530.0 100.0 50.0
    ... 6531.0 100.0 25.0
    ... '''
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     name = os.path.join(folder, "s.xdi")
    ...     with open(name, "w") as f:
    ...         _ = f.write(text)
    ...     energy, mu, header = read_xdi(name)
    >>> energy
    array([6530., 6531.])
    >>> mu  # ln(i0 / itrans)
    array([0.693..., 1.386...])
    >>> header["Element.symbol"], header["mu_source"], sorted(header["columns"])
    ('Mn', 'ln(i0/itrans)', ['energy', 'i0', 'itrans'])
    """
    if mode not in ("auto", "transmission", "fluorescence"):
        raise ValueError(
            f"mode must be 'auto', 'transmission' or 'fluorescence'; got {mode!r}."
        )
    path = Path(path)
    text = _parse(path, encoding)
    columns, column_units = _named_columns(text)
    header = text.header
    energy, written_as = _energy(columns, column_units, header, path)
    energy, columns, energy_sorted, n_merged = _increasing(energy, columns, path)
    mu, source = _mu(columns, mode, path)
    if not np.all(np.isfinite(mu)):
        raise SpectrumFileError(
            f"{path}: mu ({source}) is not a finite number at "
            f"{np.count_nonzero(~np.isfinite(mu))} points."
        )
    header["columns"] = columns
    header["column_units"] = column_units
    header["energy_units"] = "eV"
    header["energy_converted_from"] = None if written_as == "eV" else written_as
    header["energy_sorted"] = energy_sorted
    header["n_merged_energies"] = n_merged
    header["mu_source"] = source
    header["version"] = text.version
    header["comments"] = text.comments
    return Spectrum(np.array(energy, dtype=np.float64), np.asarray(mu), header)
