#!/usr/bin/env python
"""Pack the Kaggle dataset that a competition notebook installs from, offline.

    python tools/pack_dataset.py --out DIR [--model DIR] [--wheelhouse DIR] [--download]
                                 [--python 3.11] [--id user/slug]

DIR receives:
  wheels/                the solver wheel and the wheels of its dependencies
  model/                 the model checkpoint (the embedded default unless --model)
  dataset-metadata.json  Kaggle's dataset metadata (title, id, licenses)
  manifest.json          size and sha256 of every file

Dependency wheels come from a local ``--wheelhouse`` folder and, only when ``--download``
is given, from the package index for the target platform and Python. Packages the Kaggle
image always has (torch and its CUDA wheels) are skipped: installing with
``pip install --no-index --find-links wheels solver`` then takes only what is missing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = REPO / "solver" / "models" / "default"
SKIP = ("torch", "triton", "nvidia-")  # in every Kaggle GPU image; multi-GB
PLATFORM = "manylinux2014_x86_64"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_name(path: Path) -> str:
    """The distribution name of a wheel file, normalised."""
    return _norm(path.name.split("-")[0])


def skipped(name: str, skip: tuple[str, ...] = SKIP) -> bool:
    name = _norm(name)
    return any(name == s or (s.endswith("-") and name.startswith(s)) for s in skip)


def build_solver_wheel(dest: Path) -> Path:
    """Build the solver wheel from this checkout (no index, no build isolation)."""
    before = set(dest.glob("solver-*.whl"))
    made_here = [d for d in (REPO / "build", REPO / "solver.egg-info") if not d.exists()]
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index",
           "--no-build-isolation", "-q", "-w", str(dest), str(REPO)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"error: building the solver wheel failed:\n{proc.stderr[-2000:]}")
    made = sorted(set(dest.glob("solver-*.whl")) - before) or sorted(dest.glob("solver-*.whl"))
    if not made:
        raise SystemExit("error: pip reported success but no solver wheel was written")
    # setuptools leaves build/ and *.egg-info in the checkout: remove what it just made.
    for folder in made_here:
        shutil.rmtree(folder, ignore_errors=True)
    return made[-1]


def copy_wheelhouse(src: Path, dest: Path) -> list[Path]:
    """Copy every wheel from a local folder, except the skipped packages."""
    if not src.is_dir():
        raise SystemExit(f"error: --wheelhouse {src}: not a folder")
    copied = []
    for whl in sorted(src.glob("*.whl")):
        if skipped(wheel_name(whl)) or wheel_name(whl) == "solver":
            continue
        target = dest / whl.name
        shutil.copy2(whl, target)
        copied.append(target)
    return copied


def download_wheels(solver_wheel: Path, dest: Path, python: str) -> None:
    """Download dependency wheels for Kaggle's platform (network; only when asked)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--only-binary=:all:",
               "--platform", PLATFORM, "--python-version", python, "-d", tmp,
               str(solver_wheel)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"error: downloading wheels failed:\n{proc.stderr[-2000:]}")
        copy_wheelhouse(Path(tmp), dest)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_manifest(root: Path) -> dict:
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != "manifest.json":
            files[str(path.relative_to(root))] = {"bytes": path.stat().st_size, "sha256": sha256(path)}
    manifest = {"files": files, "total_bytes": sum(f["bytes"] for f in files.values())}
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def pack(out: Path, model: Path | None = None, wheelhouse: Path | None = None,
         download: bool = False, python: str = "3.11",
         dataset_id: str = "username/arc-solver") -> dict:
    """Lay out the dataset folder; returns the manifest."""
    if "/" not in dataset_id:
        raise SystemExit(f"error: --id {dataset_id!r}: expected 'user/slug'")
    model = Path(model) if model else DEFAULT_MODEL
    if not (model / "config.json").is_file():
        raise SystemExit(f"error: --model {model}: no config.json (not a model folder)")
    out.mkdir(parents=True, exist_ok=True)
    wheels = out / "wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    wheels.mkdir()
    solver_wheel = build_solver_wheel(wheels)
    if wheelhouse:
        copy_wheelhouse(Path(wheelhouse), wheels)
    if download:
        download_wheels(solver_wheel, wheels, python)
    shutil.rmtree(out / "model", ignore_errors=True)
    shutil.copytree(model, out / "model", ignore=shutil.ignore_patterns("optimizer*", "*.pt"))
    meta = {"title": dataset_id.split("/", 1)[1], "id": dataset_id,
            "licenses": [{"name": "apache-2.0"}]}
    (out / "dataset-metadata.json").write_text(json.dumps(meta, indent=1) + "\n")
    return write_manifest(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, type=Path, help="dataset folder to write")
    p.add_argument("--model", type=Path, help="model folder (default: the embedded model)")
    p.add_argument("--wheelhouse", type=Path, help="local folder of dependency wheels to include")
    p.add_argument("--download", action="store_true",
                   help="download missing dependency wheels for Kaggle (needs the index)")
    p.add_argument("--python", default="3.11", help="Kaggle's Python version, for --download")
    p.add_argument("--id", default="username/arc-solver", help="Kaggle dataset id user/slug")
    args = p.parse_args(argv)
    manifest = pack(args.out, args.model, args.wheelhouse, args.download, args.python, args.id)
    wheels = [f for f in manifest["files"] if f.startswith("wheels/")]
    print(f"packed {args.out}: {len(manifest['files'])} files, "
          f"{manifest['total_bytes'] / 1e6:.1f} MB ({len(wheels)} wheels)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
