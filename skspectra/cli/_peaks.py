"""``skspectra peaks``: Lorentzian peaks of one spectrum by ESPRIT."""

from skspectra.cli._common import (
    InputError,
    add_output_options,
    crop,
    csv_text,
    energy_label,
    flag_message,
    output_folder,
    output_stem,
    plural,
    read_input,
    report_written,
    unit_suffix,
    write_results,
)

FLAGS = {
    "max_peaks": "--max-peaks",
    "fit_range": "--background",
    "e_min": "--energy-min",
    "e_max": "--energy-max",
}


def add_parser(sub):
    """Add the ``peaks`` command to the subparsers ``sub``."""
    p = sub.add_parser(
        "peaks",
        help="Lorentzian peaks of a spectrum by ESPRIT, no initial guess",
        description=(
            "Decompose one background-free spectrum into Lorentzian peaks "
            "(position, half-width, area) by ESPRIT. Writes <name>_<ext>_peaks.csv "
            "and a PNG figure, both or neither."
        ),
    )
    p.add_argument("file", help="one spectrum (.msa, .xdi, .dm3, .npy, .npz, ...)")
    p.add_argument(
        "--max-peaks",
        type=int,
        default=10,
        help="largest number of peaks looked for (default: %(default)s)",
    )
    p.add_argument(
        "--background",
        nargs=2,
        type=float,
        metavar=("E1", "E2"),
        help="subtract an EELS power-law background fitted in [E1, E2] first and "
        "keep the channels above E2 (default: no background subtraction)",
    )
    p.add_argument("--energy-min", type=float, help="lowest energy kept (default: all)")
    p.add_argument(
        "--energy-max", type=float, help="highest energy kept (default: all)"
    )
    add_output_options(p)
    p.set_defaults(func=run)
    return p


def _one_spectrum(data, path):
    if data.ndim != 1 and not (data.ndim == 2 and data.shape[0] == 1):
        raise InputError(
            f"{path}: holds data of shape {data.shape}; peaks takes one spectrum"
        )
    return data.reshape(1, -1).astype(float)


def _subtract_background(x, energy, window):
    from skspectra.preprocessing import PowerLawBackground

    lo, hi = window
    try:
        x = PowerLawBackground(energy=energy, fit_range=(lo, hi)).fit_transform(x)
    except ValueError as exc:
        message = flag_message(exc, FLAGS)
        raise InputError(f"--background {lo:g} {hi:g}: {message}") from exc
    keep = energy > hi
    if keep.sum() < 2:
        raise InputError(f"--background {lo:g} {hi:g}: no channels above {hi:g}")
    return x[:, keep], energy[keep]


def run(args):
    """Lorentzian peaks of one spectrum by ESPRIT."""
    data, energy, units, _ = read_input(args.file)
    x = _one_spectrum(data, args.file)
    folder = output_folder(args)
    from skspectra.peaks import ESPRITPeaks

    if args.background:
        x, energy = _subtract_background(x, energy, args.background)
    x, energy = crop(x, energy, args.energy_min, args.energy_max)
    try:
        peaks = ESPRITPeaks(max_peaks=args.max_peaks, energy=energy).fit(x)
        peaks = peaks.decompose(x[0])
    except ValueError as exc:
        raise InputError(f"{args.file}: {flag_message(exc, FLAGS)}") from exc
    found = plural(len(peaks), "peak")
    print(f"{args.file}: {found} in {energy[0]:g}..{energy[-1]:g} {units}".rstrip())
    print(f"{'position':>12} {'HWHM':>10} {'area':>12}")
    for p in peaks:
        print(f"{p.position:12.4f} {p.width:10.4f} {p.area:12.5g}")
    unit = unit_suffix(units)
    stem = output_stem(args.file)
    header = [f"position{unit}", f"hwhm{unit}", "area"]
    written = write_results(
        folder,
        texts={f"{stem}_peaks.csv": csv_text(header, [list(p[:3]) for p in peaks])},
        figure=(
            f"{stem}_peaks.png",
            None if args.no_figure else lambda: _figure(energy, x[0], peaks, units),
        ),
    )
    report_written(written)
    return 0


def _figure(energy, spectrum, peaks, units):
    from skspectra.plotting import plot_peaks

    return plot_peaks(energy, spectrum, peaks, energy_label=energy_label(units))
