"""Spectra generated from structural descriptors by a planted rule.

The generator plants a known rule: a few descriptors among many irrelevant
ones decide which of four spectrum shapes a sample has.  An interpretation
method should recover the four groups from the spectra and the rule from the
descriptors.  The module also holds a small table of element properties used
to describe measured reference spectra by their absorbing element.
"""

import numpy as np
from sklearn.utils import Bunch, check_random_state

# descriptors that decide the spectrum shape, and where the rule cuts them
_PLANTED = ("has_d_electrons", "valence", "bond_length")
_THRESHOLDS = {"has_d_electrons": 0.5, "valence": 2.5, "bond_length": 2.0}
# irrelevant descriptors, drawn independently of the shape
_IRRELEVANT = (
    "coordination",
    "electronegativity",
    "period",
    "ionic_radius",
    "atomic_mass",
    "density",
    "melting_point",
)
# column order of the descriptors: planted ones interleaved with others
_ORDER = (
    "coordination",
    "valence",
    "electronegativity",
    "bond_length",
    "period",
    "has_d_electrons",
    "ionic_radius",
    "atomic_mass",
    "density",
    "melting_point",
)

_GROUP_RULES = (
    "has_d_electrons = no",
    "has_d_electrons = yes and valence <= 2",
    "has_d_electrons = yes and valence >= 3 and bond_length <= 2",
    "has_d_electrons = yes and valence >= 3 and bond_length > 2",
)

# spectrum shape of each group: edge position and width, then peaks as
# (position, width, height) in eV relative to the nominal edge
_SHAPES = (
    {"edge": 0.0, "edge_width": 1.5, "peaks": ((5.0, 4.0, 0.6), (18.0, 6.0, 0.2))},
    {"edge": 0.0, "edge_width": 1.0, "peaks": ((3.0, 2.0, 1.2), (14.0, 5.0, 0.25))},
    {
        "edge": 3.0,
        "edge_width": 1.0,
        "peaks": ((-2.0, 0.8, 0.55), (7.0, 2.5, 0.9), (20.0, 5.0, 0.2)),
    },
    {
        "edge": 3.0,
        "edge_width": 1.2,
        "peaks": ((-1.5, 0.8, 0.12), (6.0, 2.0, 1.0), (15.0, 3.0, 0.35)),
    },
)


def _shape(energy, shape, shift, scale):
    """One spectrum: an arctangent edge plus Gaussian peaks."""
    e0 = shape["edge"] + shift
    spectrum = 0.5 + np.arctan((energy - e0) / shape["edge_width"]) / np.pi
    for position, width, height in shape["peaks"]:
        centre = position + shift
        spectrum = spectrum + scale * height * np.exp(
            -0.5 * ((energy - centre) / width) ** 2
        )
    return spectrum


def _planted_groups(has_d, valence, bond_length):
    groups = np.where(has_d < _THRESHOLDS["has_d_electrons"], 0, 1)
    high = (has_d >= _THRESHOLDS["has_d_electrons"]) & (
        valence > _THRESHOLDS["valence"]
    )
    groups = np.where(high & (bond_length <= _THRESHOLDS["bond_length"]), 2, groups)
    groups = np.where(high & (bond_length > _THRESHOLDS["bond_length"]), 3, groups)
    return groups


def make_descriptor_spectra(
    n_samples=300,
    *,
    n_descriptors=10,
    n_channels=200,
    noise=0.02,
    variation=0.3,
    as_frame=False,
    random_state=None,
):
    """Spectra generated from structural descriptors by a planted rule.

    Every sample has ``n_descriptors`` descriptors.  Three of them decide the
    shape of its spectrum through a planted rule with four outcomes::

        group 0: has_d_electrons = no
        group 1: has_d_electrons = yes and valence <= 2
        group 2: has_d_electrons = yes and valence >= 3 and bond_length <= 2.0
        group 3: has_d_electrons = yes and valence >= 3 and bond_length > 2.0

    The others (coordination, electronegativity, period, ...) are drawn
    independently and carry no information.  Each group has its own
    XANES-like shape (arctangent edge, pre-edge and white-line peaks; group 2
    has an intense pre-edge peak and a chemical shift of the edge); every
    spectrum varies a little around its group's shape (a random shift of up
    to a few tenths of an eV and a random peak scale) and carries Gaussian
    noise.  The spectra are non-negative before noise.

    Parameters
    ----------
    n_samples : int, default=300
        Number of samples.
    n_descriptors : int, default=10
        Number of descriptors, at least 3 (the planted ones).  Descriptors
        beyond the ten named ones are called ``irrelevant_<k>``.
    n_channels : int, default=200
        Number of energy channels, spread over -10 to 40 eV.
    noise : float, default=0.02
        Standard deviation of the Gaussian noise, relative to an edge step
        of 1.
    variation : float, default=0.3
        Standard deviation of the random shift (eV) of each spectrum; the
        peak scale varies with a standard deviation of ``variation / 6``.
    as_frame : bool, default=False
        Return the descriptors as a pandas DataFrame with named columns.
    random_state : int, RandomState instance or None, default=None
        Seed of the random draws.

    Returns
    -------
    X : ndarray or DataFrame of shape (n_samples, n_descriptors)
        Descriptors; 0/1 for ``has_d_electrons``, integers for valence,
        coordination and period, reals for the others.
    y : ndarray of shape (n_samples, n_channels)
        The spectra.
    rule : Bunch
        The truth: ``feature_names``; ``relevant`` (the planted
        descriptors); ``thresholds`` (descriptor -> threshold of the rule);
        ``groups`` (group of every sample); ``group_rules`` (the rule of each
        group in words); ``group_spectra`` (the noise-free shape of each
        group, shape (4, n_channels)); ``spectra_noiseless``; ``energy``.

    Examples
    --------
    >>> from skspectra.datasets import make_descriptor_spectra
    >>> X, y, rule = make_descriptor_spectra(n_samples=50, random_state=0)
    >>> X.shape, y.shape
    ((50, 10), (50, 200))
    >>> rule.relevant
    ['has_d_electrons', 'valence', 'bond_length']
    >>> rule.group_rules[2]
    'has_d_electrons = yes and valence >= 3 and bond_length <= 2'
    """
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer; got {n_samples!r}.")
    if not isinstance(n_descriptors, (int, np.integer)) or n_descriptors < 3:
        raise ValueError(
            f"n_descriptors must be an integer of at least 3 (the planted "
            f"descriptors); got {n_descriptors!r}."
        )
    if not isinstance(n_channels, (int, np.integer)) or n_channels < 2:
        raise ValueError(f"n_channels must be an integer >= 2; got {n_channels!r}.")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0; got {noise!r}.")
    if not np.isfinite(variation) or variation < 0:
        raise ValueError(f"variation must be a finite number >= 0; got {variation!r}.")
    rng = check_random_state(random_state)

    columns = {
        "has_d_electrons": (rng.uniform(size=n_samples) < 0.7).astype(float),
        "valence": rng.randint(1, 6, size=n_samples).astype(float),
        "bond_length": rng.uniform(1.8, 2.3, size=n_samples),
        "coordination": rng.randint(4, 9, size=n_samples).astype(float),
        "electronegativity": rng.uniform(0.8, 2.5, size=n_samples),
        "period": rng.randint(2, 7, size=n_samples).astype(float),
        "ionic_radius": rng.uniform(0.5, 1.2, size=n_samples),
        "atomic_mass": rng.uniform(20.0, 200.0, size=n_samples),
        "density": rng.uniform(2.0, 12.0, size=n_samples),
        "melting_point": rng.uniform(500.0, 3000.0, size=n_samples),
    }
    # the planted descriptors always; irrelevant ones fill up to n_descriptors
    extra = [n for n in _ORDER if n not in _PLANTED][: n_descriptors - len(_PLANTED)]
    kept = [n for n in _ORDER if n in _PLANTED or n in extra]
    for k in range(n_descriptors - len(kept)):
        name = f"irrelevant_{k}"
        columns[name] = rng.normal(size=n_samples)
        kept.append(name)
    X = np.column_stack([columns[name] for name in kept])

    groups = _planted_groups(
        columns["has_d_electrons"], columns["valence"], columns["bond_length"]
    )
    energy = np.linspace(-10.0, 40.0, n_channels)
    shifts = rng.normal(scale=variation, size=n_samples)
    scales = 1.0 + rng.normal(scale=variation / 6.0, size=n_samples)
    clean = np.empty((n_samples, n_channels))
    for i in range(n_samples):
        clean[i] = _shape(energy, _SHAPES[groups[i]], shifts[i], scales[i])
    y = clean + rng.normal(scale=noise, size=clean.shape)

    rule = Bunch(
        feature_names=list(kept),
        relevant=list(_PLANTED),
        thresholds=dict(_THRESHOLDS),
        groups=groups,
        group_rules=list(_GROUP_RULES),
        group_spectra=np.array([_shape(energy, s, 0.0, 1.0) for s in _SHAPES]),
        spectra_noiseless=clean,
        energy=energy,
    )
    if as_frame:
        import pandas as pd

        X = pd.DataFrame(X, columns=kept)
    return X, y, rule


# Properties of the isolated atom of the absorbing elements of common XANES
# references.  Atomic number, group and period: IUPAC periodic table (the
# lanthanides Ce and Eu are put in group 3).  Numbers of d and f electrons:
# ground-state electron configurations of the neutral atom, NIST Atomic
# Spectra Database (e.g. Cr [Ar]3d5 4s1, Cu [Ar]3d10 4s1, Ce [Xe]4f 5d 6s2,
# Eu [Xe]4f7 6s2).  Electronegativity: Pauling scale, CRC Handbook of
# Chemistry and Physics (Eu: the commonly tabulated 1.2).
_ELEMENT_PROPERTIES = {
    #      Z, group, period, d electrons, f electrons, electronegativity
    "V": (23, 5, 4, 3, 0, 1.63),
    "Cr": (24, 6, 4, 5, 0, 1.66),
    "Mn": (25, 7, 4, 5, 0, 1.55),
    "Fe": (26, 8, 4, 6, 0, 1.83),
    "Co": (27, 9, 4, 7, 0, 1.88),
    "Ni": (28, 10, 4, 8, 0, 1.91),
    "Cu": (29, 11, 4, 10, 0, 1.90),
    "Ce": (58, 3, 6, 1, 1, 1.12),
    "Eu": (63, 3, 6, 0, 7, 1.2),
    "Au": (79, 11, 6, 10, 14, 2.54),
}
ELEMENT_DESCRIPTORS = (
    "atomic_number",
    "group",
    "period",
    "d_electrons",
    "f_electrons",
    "electronegativity",
)


def element_descriptors(elements, oxidation_states=None):
    """Descriptors of absorbing elements (and oxidation states) as an array.

    Parameters
    ----------
    elements : sequence of str
        Element symbols, e.g. ``["Mn", "Fe"]``.
    oxidation_states : sequence of float or None, optional
        Nominal oxidation state of each sample (NaN where unknown); added as
        the last column ``oxidation_state``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_descriptors)
        Columns: atomic_number, group, period, d_electrons (isolated atom),
        f_electrons (isolated atom), electronegativity (Pauling) and, if
        given, oxidation_state.
    names : list of str
        Column names.
    """
    unknown = sorted({e for e in elements if e not in _ELEMENT_PROPERTIES})
    if unknown:
        raise ValueError(
            f"no tabulated properties for element(s) {unknown}; known: "
            f"{sorted(_ELEMENT_PROPERTIES)}."
        )
    X = np.array([_ELEMENT_PROPERTIES[e] for e in elements], dtype=np.float64)
    names = list(ELEMENT_DESCRIPTORS)
    if oxidation_states is not None:
        ox = np.asarray(oxidation_states, dtype=np.float64).reshape(-1, 1)
        if ox.shape[0] != X.shape[0]:
            raise ValueError(
                f"{ox.shape[0]} oxidation states for {X.shape[0]} elements."
            )
        X = np.hstack([X, ox])
        names.append("oxidation_state")
    return X, names


# First-shell neighbour (ligand) of the absorbing atom in XANES reference
# compounds, read from the chemical formula, or from the mineral's formula
# for mineral names (goethite FeOOH, ferrihydrite, green rust, siderite
# FeCO3, vivianite Fe3(PO4)2.8H2O, magnetite Fe3O4, azurite
# Cu3(CO3)2(OH)2, tenorite CuO, covellite CuS); "metal" for foils and
# metals, where the neighbours are atoms of the same element.
_SULFIDES = ("cr2s3", "cus_covellite", "cu2s", "fes2", "nis", "cus", "chalcopyrite")
_OXYGEN = (
    "mn2o3", "mn3o4", "mno2", "mno", "v2o3", "v2o5", "vo", "vo2", "cr2o3",
    "cro2", "k2cr2o7", "k2cro4", "na2cro4", "ceo2", "cepo4", "eu2o3", "euo",
    "eutio3", "ni2o3", "nioh2", "cuo_tenorite", "cu_azurite", "fe2o3",
    "fe3o4", "feo", "hansel2001_2lineferrihydrite", "hansel2001_goethite",
    "hansel2001_greenrust_cl", "hansel2001_greenrust_so4",
    "hansel2001_magnetite", "hansel2001_siderite", "hansel2001_vivianite",
    "cu_i_o", "cuso4", "nanocuo", "li2mno3", "mn2o3x", "mn_oxalate",
    "psilomelane", "pyrolusite", "ramsdellite", "rhodochrosite", "todorokite",
    "g_mnooh", "mnox", "ferrihydrite", "goerthite", "hematite",
    "lepidocrocite",
)  # fmt: skip
_LIGAND_OF_COMPOUND = {
    **dict.fromkeys(_SULFIDES, "S"),
    **dict.fromkeys(_OXYGEN, "O"),
    "euse": "Se",
    "fe3c": "C",
    "fen": "N",
    "mncl2": "Cl",
}
# Pauling electronegativity of the ligand (CRC Handbook of Chemistry and
# Physics)
_LIGAND_ELECTRONEGATIVITY = {
    "O": 3.44,
    "Cl": 3.16,
    "N": 3.04,
    "S": 2.58,
    "Se": 2.55,
    "C": 2.55,
}


def compound_ligand(compound):
    """First-shell ligand of a reference compound: an element or ``"metal"``.

    Looked up by name among the reference compounds of the XAS data
    libraries (oxides, oxyhydroxides, carbonates, phosphates and oxo-anion
    salts give ``"O"``); names containing "foil" or "metal" give
    ``"metal"``; an unknown name raises ValueError.
    """
    key = str(compound).lower()
    if "foil" in key or "metal" in key:
        return "metal"
    if key not in _LIGAND_OF_COMPOUND:
        raise ValueError(
            f"no ligand tabulated for compound {compound!r}; known: "
            f"{sorted(_LIGAND_OF_COMPOUND)} and foils/metals."
        )
    return _LIGAND_OF_COMPOUND[key]


def xanes_reference_descriptors(elements, oxidation_states, compounds):
    """Compute descriptors of XANES reference spectra from their labels.

    The element properties of :func:`element_descriptors`, the nominal
    oxidation state (NaN where unknown or mixed), and
    ``ligand_electronegativity``: the Pauling electronegativity of the
    first-shell neighbour (for a metal, of the element itself).

    Parameters
    ----------
    elements : sequence of str
        Absorbing element of each spectrum (V, Cr, Mn, Fe, Co, Ni, Cu, Ce,
        Eu or Au).
    oxidation_states : sequence of float
        Nominal oxidation state of each spectrum, NaN where unknown.
    compounds : sequence of str
        Compound of each spectrum, as named in the reference tables (e.g.
        ``"MnO2"``, ``"Fe_foil"``); its first-shell ligand is looked up by
        name.

    Returns
    -------
    X : ndarray of shape (n_samples, 8)
        The descriptors, in the order of ``names``.
    names : list of str
        The descriptor names: atomic_number, group, period, d_electrons,
        f_electrons, electronegativity, oxidation_state,
        ligand_electronegativity.

    Raises
    ------
    ValueError
        If an element or a compound is not tabulated.

    Examples
    --------
    >>> from skspectra.datasets import xanes_reference_descriptors
    >>> X, names = xanes_reference_descriptors(["Mn", "Cu"], [4, 0],
    ...                                        ["MnO2", "Cu_foil"])
    >>> X.shape, names[-1]
    ((2, 8), 'ligand_electronegativity')
    >>> X[:, -1].tolist()  # O for MnO2, copper itself for the foil
    [3.44, 1.9]
    """
    X, names = element_descriptors(elements, oxidation_states)
    own = X[:, names.index("electronegativity")]
    ligands = [compound_ligand(c) for c in compounds]
    chi = np.array(
        [
            own[i] if lig == "metal" else _LIGAND_ELECTRONEGATIVITY[lig]
            for i, lig in enumerate(ligands)
        ]
    )
    return np.column_stack([X, chi]), [*names, "ligand_electronegativity"]
