"""``reformabm viz``: launch the SolaraViz app (``solara run``) on one scenario.

Kept free of solara imports so that ``reformabm --help`` stays fast and works without the
``viz`` extra; the app itself is :mod:`reformabm.viz.app`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from reformabm.errors import ReformabmError

__all__ = ["add_viz_arguments", "cmd_viz", "solara_command"]

APP = Path(__file__).with_name("app.py")


def add_viz_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``reformabm viz``."""
    parser.add_argument(
        "scenario",
        nargs="?",
        default="teaching",
        help="scenario name in models/ or path to a .toml file (default: teaching)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this computer only)",
    )
    parser.add_argument(
        "--port", type=int, default=8765, help="port (default 8765; 0: any free port)"
    )
    parser.add_argument("--no-open", action="store_true", help="do not open a browser window")


def _solara_executable() -> str:
    here = Path(sys.executable).with_name("solara")
    if here.is_file():
        return str(here)
    found = shutil.which("solara")
    if found:
        return found
    raise ReformabmError(
        "solara is not installed; install the visualisation extra: pip install 'reformabm[viz]'"
    )


def solara_command(host: str, port: int, open_browser: bool = True) -> list[str]:
    """Return the ``solara run`` command line for the app (production mode: no file watching)."""
    cmd = [
        _solara_executable(),
        "run",
        str(APP),
        "--host",
        host,
        "--port",
        str(port),
        "--production",
    ]
    if not open_browser:
        cmd.append("--no-open")
    return cmd


def cmd_viz(args: argparse.Namespace) -> int:
    """Run the app until interrupted; the scenario is passed in ``$REFORMABM_VIZ_SCENARIO``."""
    from reformabm.scenario import load_scenario, scenario_path

    load_scenario(args.scenario)  # a bad scenario fails here, with the CLI's clear message
    if not 0 <= args.port <= 65535:
        raise ReformabmError(f"--port {args.port}: expected 0..65535")
    name = args.scenario
    if Path(name).suffix == ".toml" or Path(name).exists():
        name = str(scenario_path(name).resolve())
    from reformabm.viz import offline

    if offline.missing_packages():  # Solara loads its page assets from a CDN: cache them once
        print("reformabm viz: caching Solara's page assets from the npm registry (once)...", flush=True)
        try:
            offline.prefetch_solara_assets()
        except Exception as exc:  # noqa: BLE001 - an offline machine can still use a CDN
            print(f"reformabm viz: could not cache the assets ({exc}); the page needs internet access "
                  "to load them", file=sys.stderr)
    env = dict(os.environ, REFORMABM_VIZ_SCENARIO=name)
    cmd = solara_command(args.host, args.port, open_browser=not args.no_open)
    print(
        f"reformabm viz: {args.scenario} on http://{args.host}:{args.port} (Ctrl-C to stop)",
        flush=True,
    )
    proc = subprocess.Popen(cmd, env=env)

    def stop(signum: int, frame: object) -> None:  # forward a termination to solara
        proc.terminate()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
