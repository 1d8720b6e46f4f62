"""Helpers shared by scripts/flask_examples and scripts/flask_extensions.

Source distributions from PyPI, fetched once with pip into a cache folder and
extracted where a script wants them, and pytest's closing counts read back.
Standard library only.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
from pathlib import Path


def download(dist: str, cache: Path, python: str) -> Path:
    """Return the cached source distribution of ``dist``, fetching it once with pip."""
    project, version = dist.split("==")
    found = find_sdist(cache, project, version)
    if found is None:
        subprocess.run(
            [python, "-m", "pip", "download", "--quiet", "--no-binary", ":all:"]
            + ["--no-deps", dist, "-d", str(cache)],
            check=True,
        )
        found = find_sdist(cache, project, version)
        if found is None:
            raise SystemExit(f"pip downloaded no source distribution of {dist} into {cache}.")
    return found


def normal_name(name: str) -> str:
    """Return a project name as PyPI compares names ("Flask-Login" == "flask_login")."""
    return re.sub(r"[-_.]+", "_", name).lower()


def find_sdist(cache: Path, project: str, version: str) -> Path | None:
    for path in cache.glob("*.tar.gz"):
        name, _, found = path.name.removesuffix(".tar.gz").rpartition("-")
        if normal_name(name) == normal_name(project) and found == version:
            return path
    return None


def extract(sdist: Path, folder: str, target: Path) -> None:
    """Extract ``folder`` of the distribution (its top folder left out) as ``target``."""
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        prefix = f"{top}/{folder}/" if folder != "." else f"{top}/"
        members = [m for m in archive.getmembers() if m.name.startswith(prefix)]
        if not members:
            raise SystemExit(f"{sdist.name} has no folder {folder}.")
        unpacked = target.parent / f"{target.name}.sdist"
        if hasattr(tarfile, "data_filter"):
            archive.extractall(unpacked, members, filter="data")
        else:  # Python without extraction filters (3.10.11, 3.11.3 and older)
            archive.extractall(unpacked, members)
    shutil.move(unpacked / prefix, target)
    shutil.rmtree(unpacked)


def parse_counts(output: str) -> dict[str, int]:
    """Return pytest's closing counts ("24 passed", "1 failed, 7 passed") by word."""
    for line in reversed(output.splitlines()):
        if re.search(r"\bin [\d.]+s\b", line) and re.search(r"\d+ \w+|no tests ran", line):
            return {
                word: int(number)
                for number, word in re.findall(r"(\d+) (\w+)", line)
                if word not in ("warning", "warnings")
            }
    return {}
