"""Immutable releases on disk: ``<data_dir>/releases/<release_id>/`` and a ``CURRENT`` pointer.

A release is built in a hidden temporary folder next to the others, its files are hashed into
``manifest.json``, and only then is the folder renamed to its id and ``CURRENT`` replaced (both
atomic renames on one file system). A cycle that fails or is killed before that leaves the
previous release current; a leftover temporary folder is removed by the next cycle.

The release id is ``R<data cut>-<first 10 hex digits of the content hash>``: the same inputs,
model and rules give the same id and byte-identical files. The wall-clock time of publishing is
kept outside the hashed content (``published.json``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tepat.errors import InvalidInput

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
PUBLISHED = "published.json"  # not part of the content hash


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def releases_dir(data_dir: Path) -> Path:
    """Where releases live."""
    return data_dir / "releases"


def current_release(data_dir: Path) -> str | None:
    """The id of the current release, or None before the first one."""
    pointer = releases_dir(data_dir) / CURRENT
    if not pointer.exists():
        return None
    rid = pointer.read_text().strip()
    return rid if (releases_dir(data_dir) / rid / MANIFEST).exists() else None


def release_folder(data_dir: Path, release_id: str | None = None) -> Path:
    """The folder of ``release_id`` (default: the current release)."""
    rid = release_id or current_release(data_dir)
    if rid is None:
        raise InvalidInput(f"no release under {releases_dir(data_dir)} yet: run `tepat cycle`")
    folder = releases_dir(data_dir) / rid
    if not (folder / MANIFEST).exists():
        raise InvalidInput(f"release {rid} does not exist under {releases_dir(data_dir)}")
    return folder


def new_build_folder(data_dir: Path) -> Path:
    """A fresh temporary folder for building a release; stale ones of killed cycles are removed."""
    root = releases_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob(".build-*"):
        shutil.rmtree(stale, ignore_errors=True)
    build = root / f".build-{os.getpid()}"
    build.mkdir()
    return build


def manifest_files(build: Path) -> list[dict[str, Any]]:
    """Every file in the build (but the manifest) with its size and sha256, sorted by path."""
    out = []
    for path in sorted(p for p in build.rglob("*") if p.is_file()):
        rel = path.relative_to(build).as_posix()
        if rel in (MANIFEST, PUBLISHED):
            continue
        out.append({"path": rel, "bytes": path.stat().st_size, "sha256": sha256_file(path)})
    return out


def content_id(data_cut: str, manifest_body: dict[str, Any]) -> str:
    """The release id for a manifest's content."""
    text = json.dumps(manifest_body, sort_keys=True, separators=(",", ":"))
    return f"R{data_cut.replace('-', '')}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def publish(data_dir: Path, build: Path, release_id: str) -> tuple[Path, bool]:
    """Move the build into place and make it current. Returns (folder, newly published).

    If a release with the same id exists already it is byte-identical by construction: the build
    is discarded and that release is made current again.
    """
    root = releases_dir(data_dir)
    target = root / release_id
    fresh = not target.exists()
    if fresh:
        (build / PUBLISHED).write_text(
            json.dumps({"published_at": datetime.now(UTC).isoformat(timespec="seconds")}) + "\n"
        )
        build.rename(target)
    else:
        shutil.rmtree(build, ignore_errors=True)
    tmp = root / f".{CURRENT}.tmp-{os.getpid()}"
    tmp.write_text(release_id + "\n")
    tmp.replace(root / CURRENT)
    return target, fresh


def set_current(data_dir: Path, release_id: str | None) -> None:
    """Point ``CURRENT`` at ``release_id`` (None removes the pointer): used to roll back."""
    root = releases_dir(data_dir)
    if release_id is None:
        (root / CURRENT).unlink(missing_ok=True)
        return
    tmp = root / f".{CURRENT}.tmp-{os.getpid()}"
    tmp.write_text(release_id + "\n")
    tmp.replace(root / CURRENT)


def list_releases(data_dir: Path) -> list[dict[str, Any]]:
    """Every release with its manifest summary, oldest first by publication time."""
    root = releases_dir(data_dir)
    current = current_release(data_dir)
    out = []
    for folder in sorted(p for p in root.glob("R*") if (p / MANIFEST).exists()):
        manifest = json.loads((folder / MANIFEST).read_text())
        published = {}
        if (folder / PUBLISHED).exists():
            published = json.loads((folder / PUBLISHED).read_text())
        out.append(
            {
                "release_id": folder.name,
                "current": folder.name == current,
                "published_at": published.get("published_at"),
                "data_cut": manifest.get("data_cut"),
                "counts": manifest.get("counts", {}),
                "versions": manifest.get("versions", {}),
            }
        )
    out.sort(key=lambda r: (r["published_at"] or "", r["release_id"]))
    return out
