"""Process entry: ``papers-bot`` and ``python -m bot``.

Parses the command line, loads and validates config once, sets up logging once, then runs the
chosen subcommand. A bad setting is one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from bot.cli import build_parser, config_overrides, database_problem_line, error_line
from bot.config import ConfigError, database_override, load_config, setup_logging
from storage.errors import DatabaseProblem

log = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``papers-bot`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help, or a usage error argparse already reported
        return exc.code if isinstance(exc.code, int) else 2
    try:
        config = load_config(overrides=database_override(args.database) | config_overrides(args))
    except ConfigError as exc:
        error_line(str(exc))
        return 2
    quiet = args.quiet if args.quiet is not None else not config.has_token
    setup_logging(config, quiet=quiet)
    log.debug("Starting with %r", config)
    try:
        return args.handler(args, config)
    except DatabaseProblem as exc:
        error_line(database_problem_line(exc))
        return 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:  # `papers-bot export | head`: the reader left; not an error to report
        _silence_stdout()
        return 141


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(main())
