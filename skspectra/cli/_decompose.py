"""``skspectra decompose``: components, maps and their number for a spectrum
image, by SparseNMF or PoissonNMF."""

import sys
import warnings
from pathlib import Path

from skspectra.cli._common import (
    InputError,
    add_energy_window_options,
    add_output_options,
    crop,
    csv_text,
    energy_column,
    energy_label,
    flag_message,
    output_folder,
    output_stem,
    plural,
    read_input,
    report_written,
    write_results,
)

# Python parameter (or estimator) -> the flag that sets it
FLAGS = {
    "SparseNMF": "--model sparse",
    "PoissonNMF": "--model poisson",
    "clip_negative": "--clip-negative",
    "n_components": "--n-components",
    "max_iter": "--max-iter",
    "orthogonality": "--orthogonality",
    "tol": "--tol",
}
# strongest peaks of each component printed in the summary, and the names
# (element lines) printed for each: enough for the main elements of a phase
N_SUMMARY_PEAKS = 5
N_NAMES = 2
# decimals of a printed peak energy: 1 eV is a tenth of an EDS channel
ENERGY_DECIMALS = {"keV": 3, "eV": 1}


def add_parser(sub):
    """Add the ``decompose`` command to the subparsers ``sub``."""
    p = sub.add_parser(
        "decompose",
        help="components, maps and their number for a spectrum image (NMF)",
        description=(
            "Factorise a spectrum image into component spectra and abundance maps "
            "with SparseNMF (Gaussian noise) or PoissonNMF (counts), learning the "
            "number of components with --n-components auto. Writes "
            "<name>_<ext>_components.csv, <name>_<ext>_decomposition.npz and a PNG "
            "figure, all or none of them."
        ),
    )
    p.add_argument(
        "file",
        help="spectrum image or line scan (.npz, .npy, .hspy, .bcf, .dm3, ...)",
    )
    p.add_argument(
        "--model",
        choices=["auto", "sparse", "poisson"],
        default="auto",
        help="noise model: 'poisson' for counts (PoissonNMF), 'sparse' for "
        "Gaussian noise (SparseNMF), 'auto' to choose from the data: counts "
        "(non-negative integers whose variance follows their mean) get "
        "'poisson', anything else 'sparse' (default: %(default)s)",
    )
    p.add_argument(
        "--n-components",
        default="auto",
        help="'auto' (learned by automatic relevance determination) or a "
        "number (default: %(default)s)",
    )
    p.add_argument(
        "--max-components",
        type=int,
        default=10,
        help="upper bound for --n-components auto (default: %(default)s)",
    )
    p.add_argument(
        "--orthogonality",
        type=float,
        default=0.0,
        help="weight of the soft orthogonality penalty on the maps; 0 switches "
        "it off, about 0.1-30 removes unnatural overlap (default: %(default)s)",
    )
    p.add_argument(
        "--clip-negative",
        action="store_true",
        help="with --model sparse, set negative values (after background "
        "subtraction) to zero instead of stopping (default: stop)",
    )
    p.add_argument(
        "--max-iter",
        type=int,
        default=300,
        help="maximum number of iterations (default: %(default)s)",
    )
    p.add_argument(
        "--tol",
        type=float,
        default=1e-4,
        help="stop when the last decrease of the objective is below this "
        "fraction of the total decrease (default: %(default)s)",
    )
    add_energy_window_options(p)
    add_output_options(p)
    p.set_defaults(func=run)
    return p


def _choose_model(args, X):
    """``--model``, or with ``auto`` the model the data follow, and why."""
    import numpy as np

    from skspectra.decomposition import suggest_noise_model

    if args.model != "auto":
        return args.model, "--model"
    found = suggest_noise_model(X)
    if not found.integer and np.nanmin(X) < 0:
        raise InputError(
            f"{args.file}: has negative values (minimum {np.nanmin(X):g}), so "
            "they are not counts; for background-subtracted data use --model "
            "sparse --clip-negative"
        )
    return ("poisson" if found.model == "poisson" else "sparse"), found.reason


def _model(args, energy, model_name):
    from skspectra.decomposition import PoissonNMF, SparseNMF

    auto = args.n_components == "auto"
    try:
        k = args.max_components if auto else int(args.n_components)
    except ValueError:
        raise InputError(
            f"--n-components must be 'auto' or an integer; got {args.n_components!r}"
        ) from None
    if args.clip_negative and args.model != "sparse":
        raise InputError("--clip-negative needs --model sparse")
    extra = {"clip_negative": True} if args.clip_negative else {}
    cls = PoissonNMF if model_name == "poisson" else SparseNMF
    model = cls(
        n_components=k,
        ard=auto,
        orthogonality=args.orthogonality,
        max_iter=args.max_iter,
        tol=args.tol,
        energy=energy,
        random_state=args.seed,
        **extra,
    )
    return model, f"auto (up to {k})" if auto else str(k)


def _fit(model, image, quiet, auto):
    """Fit with a progress bar; warnings and errors name the flags."""
    # with --n-components auto the cap is --max-components
    flags = {**FLAGS, "n_components": "--max-components"} if auto else FLAGS
    from skspectra.utils._progress import Progress

    bar = Progress(model.max_iter, type(model).__name__, quiet=quiet)

    def progress(iteration, objective):
        bar.update(iteration - bar.count, info=f"objective {objective:.6g}")

    model.set_params(callback=progress)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit_image(image)
    except ValueError as exc:
        raise InputError(flag_message(exc, flags)) from exc
    finally:
        bar.close()
        model.set_params(callback=None)
    for w in caught:
        print(f"warning: {flag_message(w.message, flags)}", file=sys.stderr)
    return model


def _file_elements(header):
    """The element symbols a file lists: an ``.npz`` array ``elements`` or
    HyperSpy's ``Sample.elements`` of a rosettasciio file; None if none."""
    elements = header.get("arrays", {}).get("elements")
    if elements is None:
        elements = header.get("metadata", {}).get("Sample", {}).get("elements")
    if elements is None or len(elements) == 0:
        return None
    return [str(el) for el in elements]


def _component_peaks(model, energy, units, elements):
    """The strongest peaks of each component, named by their X-ray lines (keV)
    or edges (eV); unnamed on another axis or without xraydb."""
    from skspectra.peaks import find_line_peaks, identify_lines

    named = units in ("keV", "eV")
    if named:
        try:
            import xraydb  # noqa: F401
        except ImportError:
            named = False
            print(
                "note: peaks are not named: naming X-ray lines needs xraydb "
                '(pip install "skspectra[lines]")',
                file=sys.stderr,
            )
    out = []
    for comp in model.components_:
        if named:
            try:
                found = identify_lines(
                    comp,
                    energy,
                    units=units,
                    elements=elements,
                    n_peaks=N_SUMMARY_PEAKS,
                )
            except ValueError as exc:
                raise InputError(f"elements of the file: {exc}") from exc
        else:
            step = abs(energy[-1] - energy[0]) / max(energy.size - 1, 1)
            found = find_line_peaks(comp, energy, resolution=2 * step)[:N_SUMMARY_PEAKS]
        out.append(found)
    return out


def _peak_text(peak, units):
    """``"Fe Ka 6.404"``, ``"? 5.901"`` (no line near), or the energy alone
    on an axis that is not in eV or keV."""
    energy = f"{peak.energy:.{ENERGY_DECIMALS.get(units, 4)}f}"
    if units not in ENERGY_DECIMALS:
        return energy
    names = " or ".join(str(line) for line in peak.lines[:N_NAMES])
    return f"{names or '?'} {energy}"


def _summary(model, peaks, units, elements):
    """A line per component: its share of the signal and its strongest peaks."""
    import numpy as np

    if elements is not None and units == "keV":
        print(f"lines of the file's elements: {' '.join(elements)}")
    maps = model.maps_.reshape(-1, model.n_components_)
    total = max(maps.sum(), np.finfo(float).tiny)
    unit = f" {units}" if units in ("keV", "eV") else ""
    for i, found in enumerate(peaks):
        text = ", ".join(_peak_text(p, units) for p in found) or "none"
        print(
            f"  component {i} ({100 * maps[:, i].sum() / total:.1f}% of the "
            f"signal): {text}{unit}"
        )


def _pixel_size(header, navigation):
    """``(size, units)`` of a map pixel from the file's navigation axes (a
    ``.bcf``, ``.hspy``...), or ``(None, "")`` when the file has none."""
    axes = header.get("navigation_axes") or []
    if len(axes) != len(navigation) or not axes:
        return None, ""
    scale, units = axes[-1].get("scale"), axes[-1].get("units")
    if not isinstance(units, str) or units in ("", "<undefined>") or not scale:
        return None, ""
    return float(scale), units


def _is_counts(data):
    """Whether the data are counts: whole non-negative numbers, whatever
    their dtype (a float array of counts included)."""
    import numpy as np

    if np.issubdtype(data.dtype, np.integer):
        return True
    return bool(np.all(data >= 0) and np.all(data == np.round(data)))


def _figure(model, energy, units, peaks, *, name, pixel, counts):
    from skspectra.plotting import plot_components

    named = units in ENERGY_DECIMALS
    return plot_components(
        model.components_,
        model.maps_,
        energy=energy,
        energy_label=energy_label(units),
        lines=[[p for p in found if p.lines] for found in peaks] if named else None,
        pixel_size=pixel[0],
        pixel_units=pixel[1],
        map_label="counts per pixel" if counts else "intensity per pixel",
        titles=[f"component {i}\n(unit sum)" for i in range(model.n_components_)],
        title=f"{name}: {plural(model.n_components_, 'component')} and their maps",
    )


def run(args):
    """Components, maps and their number for a spectrum image."""
    data, energy, units, header = read_input(args.file)
    if data.ndim == 2 and data.shape[0] > 1:
        # a line scan or a set of spectra: a spectrum image one pixel high
        data = data[None]
    if data.ndim < 3:
        raise InputError(
            f"{args.file}: holds data of shape {data.shape}; decompose needs a "
            "spectrum image (ny, nx, channels) or a line scan (n, channels)"
        )
    folder = output_folder(args)
    import numpy as np

    from skspectra.utils import fold, unfold

    navigation = data.shape[:-1]
    X, energy = crop(unfold(data), energy, args.energy_min, args.energy_max)
    model_name, why = _choose_model(args, X)
    model, asked = _model(args, energy, model_name)
    if not args.quiet:
        print(
            f"{args.file}: {navigation} pixels x {X.shape[1]} channels, "
            f"{type(model).__name__}, n_components={asked}"
        )
        if why != "--model":
            print(f"model {model_name}: {why} (set --model to choose)")
    _fit(model, fold(X, navigation), args.quiet, args.n_components == "auto")
    print(
        f"found {plural(model.n_components_, 'component')} in "
        f"{plural(model.n_iter_, 'iteration')} (reconstruction error "
        f"{model.reconstruction_err_:.6g})"
    )
    elements = _file_elements(header)
    peaks = _component_peaks(model, energy, units, elements)
    _summary(model, peaks, units, elements)
    stem = output_stem(args.file)
    columns = [f"component{i}" for i in range(model.n_components_)]
    table = np.column_stack([energy, model.components_.T]).tolist()
    written = write_results(
        folder,
        texts={
            f"{stem}_components.csv": csv_text([energy_column(units), *columns], table)
        },
        arrays={
            f"{stem}_decomposition.npz": dict(
                components=model.components_,
                maps=model.maps_,
                energy=energy,
                energy_units=np.array(units),
                objective=np.asarray(model.objective_history_, dtype=float),
            )
        },
        figure=(
            f"{stem}_decomposition.png",
            None
            if args.no_figure
            else lambda: _figure(
                model,
                energy,
                units,
                peaks,
                name=Path(args.file).name,
                pixel=_pixel_size(header, navigation),
                counts=_is_counts(data),
            ),
        ),
    )
    report_written(written)
    return 0
