"""Browser assets for running the app without internet (``reformabm viz --prefetch-assets``).

Solara serves its page's JavaScript and CSS (its Vuetify app, require.js, Font Awesome)
through a proxy that downloads them from a CDN on first use and caches them in
``<venv>/share/solara/cdn``. Without internet (a classroom, CI) the page stays blank. This
module reads which npm packages (and exact versions) solara's page template asks for and
fills the cache from the npm registry with ``npm pack`` — the same files the CDN serves.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

__all__ = ["needed_packages", "cache_dir", "missing_packages", "prefetch_solara_assets"]

_REF = re.compile(r"\{\{\s*cdn\s*\}\}/((?:@[\w.-]+/)?[\w.-]+)@(\d[\w.+-]*)/")
_EXTRA = [("@widgetti/vue-grid-layout", "2.3.13-alpha.2")]  # Mesa's component grid (GridDraggable)


def needed_packages() -> list[tuple[str, str]]:
    """``(package, version)`` pairs that solara's page template loads from the CDN."""
    import solara.server

    root = Path(solara.server.__file__).parent
    found: set[tuple[str, str]] = set()
    for tpl in (root / "templates").glob("*.j2"):
        found.update(_REF.findall(tpl.read_text(encoding="utf-8")))
    from solara.server.settings import assets

    m = re.match(r"/?((?:@[\w.-]+/)?[\w.-]+)@(\d[\w.+-]*)/", assets.fontawesome_path)
    if m:
        found.add((m.group(1), m.group(2)))
    vue = Path(solara.server.__file__).parent.parent / "widgets" / "vue" / "gridlayout.vue"
    if vue.is_file() and "vue-grid-layout" in vue.read_text(encoding="utf-8"):
        found.update(_EXTRA)
    return sorted(found)


def cache_dir() -> Path:
    """Solara's CDN proxy cache directory."""
    from solara.server.settings import assets

    return Path(assets.proxy_cache_dir)


def missing_packages() -> list[tuple[str, str]]:
    """Needed packages not yet in the cache."""
    root = cache_dir()
    return [
        (p, v) for p, v in needed_packages() if not (root / f"{p}@{v}" / "package.json").is_file()
    ]


def prefetch_solara_assets(npm: str | None = None, timeout: float = 300.0) -> list[str]:
    """Fill solara's CDN cache from the npm registry; return the ``pkg@version`` fetched.

    Raises ``RuntimeError`` if npm is missing or a package cannot be fetched.
    """
    npm = npm or shutil.which("npm")
    todo = missing_packages()
    if not todo:
        return []
    if npm is None:
        raise RuntimeError("npm is not installed: cannot fetch solara's browser assets")
    root = cache_dir()
    done = []
    with tempfile.TemporaryDirectory() as tmp:
        for pkg, ver in todo:
            spec = f"{pkg}@{ver}"
            res = subprocess.run(
                [npm, "pack", spec, "--pack-destination", tmp, "--silent"],
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=tmp,
            )
            if res.returncode != 0:
                raise RuntimeError(f"npm pack {spec} failed: {res.stderr.strip()[-500:]}")
            tgz = Path(tmp) / res.stdout.strip().splitlines()[-1]
            dest = root / spec
            staging = Path(tmp) / "x"
            shutil.rmtree(staging, ignore_errors=True)
            with tarfile.open(tgz) as tar:
                tar.extractall(staging, filter="data")
            inner = staging / "package"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(inner if inner.is_dir() else staging, dest)
            done.append(spec)
    return done
