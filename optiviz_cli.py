"""The ``optiviz`` command: export a preset or a shared view as a file, list the presets, start
the page. A lecturer prepares every animation of a lecture in one loop, offline::

    optiviz presets
    for p in $(optiviz presets --ids); do optiviz export --preset $p --out $p.gif; done
    optiviz export --view 'http://localhost:8501/?view=eNq…' --format mp4 --out view.mp4
    optiviz app

Exit status: 0 done; 2 a bad argument, preset, view, format, size or path (one line says what
was wrong and what is allowed); 3 this machine cannot make the format (the line says what to
install); 1 anything else, also as one line: never a traceback."""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

EXIT_USAGE, EXIT_MISSING = 2, 3


class UsageError(ValueError):
    """A bad command line: exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        raise UsageError(f"{message} (see optiviz {self.prog.split()[-1]} --help)"
                         if " " in self.prog else f"{message} (see optiviz --help)")


def _size(text: str) -> tuple[int, int]:
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"--size must be WxH in pixels, e.g. 960x720; got {text!r}")
    return int(parts[0]), int(parts[1])


def _parser() -> argparse.ArgumentParser:
    from viz.export import FORMATS, FPS, SIZE

    parser = _Parser(prog="optiviz", description="Optimizer paths on 2D loss surfaces: exports, "
                     "presets and the page.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    export = commands.add_parser("export", help="write a preset or a view as a file",
                                 description="Write a lecture preset, or exactly what a link shows, "
                                 "as a picture, an animation, a page or the trajectories.")
    source = export.add_mutually_exclusive_group()
    source.add_argument("--preset", help="a preset's id (optiviz presets lists them)")
    source.add_argument("--view", help="a link of the page (the whole address or its ?view= value)")
    export.add_argument("--format", choices=FORMATS, metavar="FORMAT",
                        help=f"one of {', '.join(FORMATS)} (default: the extension of --out)")
    export.add_argument("--out", required=True, type=Path, help="the file to write")
    export.add_argument("--size", type=_size, default=SIZE, metavar="WxH",
                        help=f"picture size in pixels (default {SIZE[0]}x{SIZE[1]})")
    export.add_argument("--fps", type=float, default=FPS, help=f"animation frames per second (default {FPS})")
    listing = commands.add_parser("presets", help="list the lecture presets")
    listing.add_argument("--ids", action="store_true", help="only the ids, one a line")
    commands.add_parser("app", help="start the page (streamlit run app.py); further arguments go "
                        "to streamlit", add_help=False)
    return parser


def view_of(preset: str | None, link: str | None) -> dict:
    """The view config to export: a preset's, a link's, or the page's default view."""
    from ui.presets import presets
    from ui.viewformat import DEFAULT_VIEW, LINK_PARAM, decode

    if preset is not None:
        if preset not in presets():
            raise UsageError(f"Unknown preset {preset!r}; allowed: {', '.join(presets())}.")
        return presets()[preset]
    if link is not None:
        text = link.strip()
        if "?" in text or text.startswith(("http:", "https:")):
            values = parse_qs(urlsplit(text).query).get(LINK_PARAM)
            if not values:
                raise UsageError(f"The address has no ?{LINK_PARAM}=… part: copy the page's address after a "
                                 "view has been drawn.")
            text = values[0]
        return decode(text)
    return DEFAULT_VIEW


def _format(args) -> str:
    from viz.export import FORMATS

    if args.format:
        return args.format
    suffix = args.out.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise UsageError(f"Give --format, or an --out ending in one of "
                         f"{', '.join('.' + f for f in FORMATS)}; got {args.out.name!r}.")
    return suffix


def export(args) -> int:
    from ui.scene import scene_of
    from ui.viewformat import check
    from viz.export import check_size
    from viz.export import export as make

    out: Path = args.out
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; give a file name.")
    if not out.parent.is_dir():
        raise UsageError(f"--out {out}: the folder {out.parent} does not exist.")
    fmt = _format(args)
    check_size(*args.size, fmt)
    config = check(view_of(args.preset, args.view))
    scene = scene_of(config)
    if not scene.results and fmt not in ("csv", "json"):
        raise UsageError("This view draws no optimizer; add one to the view, or export csv / json.")
    settings = scene.settings
    data = make(fmt, scene.landscape, scene.results, view=config, colors=scene.colors, mode=settings.mode,
                scale=settings.levels, size=args.size, fps=args.fps)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"Cannot write {out}: {exc.strerror or exc}.") from None
    print(f"wrote {out} ({fmt}, {len(data) / 1024:.0f} kB)")
    return 0


def list_presets(ids: bool) -> int:
    from ui.presets import presets

    for key, preset in presets().items():
        print(key if ids else f"{key:24} {preset['title']}")
    return 0


def app(extra: list[str]) -> int:
    """``streamlit run app.py`` from the project's folder, so its .streamlit/config.toml applies."""
    script = Path(importlib.util.find_spec("app").origin)
    return subprocess.call([sys.executable, "-m", "streamlit", "run", str(script), *extra], cwd=script.parent)


def main(argv: list[str] | None = None) -> int:
    from viz.export import ExportError

    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv[:1] == ["app"]:
            return app(argv[1:])
        args = _parser().parse_args(argv)
        if args.command == "presets":
            return list_presets(args.ids)
        return export(args)
    except ValueError as exc:  # a bad argument, preset, view, size or path (UsageError too)
        print(f"optiviz: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ExportError as exc:  # on the user's own machine: the library's reason too
        cause = f" ({str(exc.__cause__).splitlines()[0]})" if exc.__cause__ and str(exc.__cause__) else ""
        print(f"optiviz: {exc}{cause}", file=sys.stderr)
        return EXIT_MISSING
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 (a command line shows one line, never a traceback)
        print(f"optiviz: failed ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
