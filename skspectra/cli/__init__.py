"""The ``skspectra`` command.

``skspectra demo`` runs every method on built-in data; ``decompose``,
``peaks``, ``estimate`` and ``interpret`` take the files a microscopist or an
XAS scientist already has, read through :func:`skspectra.io.read_file`, run
one estimator and write their results as one set (complete or absent).  One
module per command; errors in the input end the command with one line on
stderr and exit code 2.
"""

import os
import signal
import sys
import warnings

import skspectra
from skspectra.cli import _decompose, _estimate, _interpret, _peaks
from skspectra.cli._common import ArgumentParser, InputError

__all__ = ["build_parser", "main"]

# exit codes: a problem with the input, an interruption (128 + SIGINT), and
# a closed output pipe (128 + SIGPIPE, as the shell reports it)
EXIT_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
_FILE_COMMANDS = (_decompose, _peaks, _estimate, _interpret)


def _add_demo(sub):
    # the demo command, wired as it has always been
    from skspectra.cli import _demo_command

    _demo_command.add_parser(sub)


def build_parser():
    """Return the argument parser of the ``skspectra`` command.

    Returns
    -------
    parser : argparse.ArgumentParser
        Subcommands ``demo``, ``decompose``, ``peaks``, ``estimate`` and
        ``interpret``; each sets ``func``, the function that runs it.
    """
    parser = ArgumentParser(
        prog="skspectra",
        description=(
            "Machine learning for EELS, XAS/XANES and EDS spectra: "
            "scikit-learn estimators from the command line."
        ),
    )
    parser.add_argument(
        "--version", action="version", version=f"skspectra {skspectra.__version__}"
    )
    parser.add_argument(
        "--traceback",
        action="store_true",
        help="show the Python traceback of an unexpected error (default: one line)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_demo(sub)
    for command in _FILE_COMMANDS:
        command.add_parser(sub)
    return parser


def _terminate(signum, frame):
    raise KeyboardInterrupt


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {' '.join(str(message).split())}", file=sys.stderr)


def main(argv=None):
    """Run the ``skspectra`` command.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments; None reads ``sys.argv``.

    Returns
    -------
    code : int
        0 on success, 2 for a problem with the input, 130 when interrupted,
        141 when the reader of the output has gone, 1 for an unexpected
        error.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    prog = f"skspectra {args.command}"
    # a terminated run unwinds like an interrupted one, so that temporary
    # result files are removed and no partial output is left behind
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return args.func(args)
    except InputError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader of stdout (``| head``) has gone: stop without a word, and
        # keep Python from failing again when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as exc:
        if args.traceback:
            raise
        message = " ".join(str(exc).split())
        print(
            f"{prog}: unexpected error ({type(exc).__name__}: {message}); no "
            "results written; run with skspectra --traceback for details",
            file=sys.stderr,
        )
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
