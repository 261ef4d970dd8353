"""Kaggle packaging: dataset folder, manifest, notebook and metadata, offline install."""

import hashlib
import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent


def load_script(path: Path, name: str):
    """A script of the checkout (kernel/ and tools/ are not packages) as a module, under a
    name of its own: ``build`` would shadow the PyPA package of that name."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


kernel_build = load_script(REPO / "kernel" / "build.py", "solver_kernel_build")
pack_dataset = load_script(REPO / "tools" / "pack_dataset.py", "solver_tools_pack_dataset")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("pack")
    model = root / "model_src"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"weights")
    (model / "optimizer.pt").write_bytes(b"not shipped")
    house = root / "house"
    house.mkdir()
    (house / "orjson-3.9.0-cp311-cp311-manylinux_2_17_x86_64.whl").write_bytes(b"x")
    (house / "torch-2.13.0-cp311-cp311-linux_x86_64.whl").write_bytes(b"big")
    (house / "nvidia_cublas_cu12-12.4-py3-none-manylinux.whl").write_bytes(b"big")
    out = root / "dataset"
    manifest = pack_dataset.pack(out, model=model, wheelhouse=house, dataset_id="me/arc-solver")
    return out, manifest


def test_dataset_layout_and_manifest(dataset):
    out, manifest = dataset
    wheels = sorted(p.name for p in (out / "wheels").iterdir())
    assert wheels[0].startswith("orjson-") and wheels[1].startswith("solver-0.1.0-")
    assert len(wheels) == 2  # torch and CUDA wheels skipped: the Kaggle image has them
    assert sorted(p.name for p in (out / "model").iterdir()) == ["config.json", "model.safetensors"]
    meta = json.loads((out / "dataset-metadata.json").read_text())
    assert meta == {"title": "arc-solver", "id": "me/arc-solver", "licenses": [{"name": "apache-2.0"}]}
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk == manifest
    for rel, entry in manifest["files"].items():
        data = (out / rel).read_bytes()
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert "dataset-metadata.json" in manifest["files"]


def test_pack_rejects_bad_arguments(tmp_path):
    with pytest.raises(SystemExit, match="not a model folder"):
        pack_dataset.pack(tmp_path / "o", model=tmp_path)
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(SystemExit, match="expected 'user/slug'"):
        pack_dataset.pack(tmp_path / "o", model=tmp_path, dataset_id="noslash")


def test_kernel_notebook_and_metadata(dataset, tmp_path):
    out, _ = dataset
    path = kernel_build.build(out, tmp_path / "k", "arc-prize-2025", "11h30m", "15m", 5, None)
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    source = "\n".join(c.source for c in nb.cells)
    assert '"--no-index"' in source and "KAGGLE_IS_COMPETITION_RERUN" in source
    assert "'11h30m'" in source and "'arc-solver'" in source and "arc-agi_test_challenges.json" in source
    for cell in nb.cells:
        if cell.cell_type == "code":
            compile(cell.source, "<cell>", "exec")  # every cell is valid Python
    meta = json.loads((tmp_path / "k" / "kernel-metadata.json").read_text())
    assert meta == {
        "id": "me/arc-solver-kernel", "title": "arc-solver-kernel", "code_file": "solver-arc.ipynb",
        "language": "python", "kernel_type": "notebook", "is_private": True, "enable_gpu": True,
        "enable_internet": False, "dataset_sources": ["me/arc-solver"],
        "competition_sources": ["arc-prize-2025"], "model_sources": [],
    }


def test_offline_install_from_packed_wheels(dataset, tmp_path):
    """The notebook's install commands, in a fresh venv, with the index disabled."""
    out, _ = dataset
    python = kernel_build._make_venv(tmp_path / "venv")
    env = kernel_build._clean_env(PIP_NO_INDEX="1")  # no PYTHONPATH: the checkout stays unseen
    pip = [str(python), "-m", "pip", "install", "-q", "--no-index", "--find-links", str(out / "wheels")]
    subprocess.run(pip + ["--force-reinstall", "--no-deps", "solver"], check=True, env=env)
    where = subprocess.run([str(python), "-c", "import solver; print(solver.__file__)"],
                           check=True, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert where.stdout.strip().startswith(str(tmp_path / "venv"))  # the wheel, not the checkout
    help_text = subprocess.run([str(python), "-m", "solver", "--help"], check=True,
                               capture_output=True, text=True, cwd=tmp_path, env=env).stdout
    assert "check-tasks" in help_text


@pytest.mark.slow
def test_run_local_end_to_end(tmp_path, capfd):
    """Pack, build, and execute the notebook on an emulated Kaggle tree in a fresh venv."""
    code = kernel_build.main(["--run-local", "--workdir", str(tmp_path), "--local-tasks", "1",
                              "--dry-run-budget", "90s", "--solver-arg=--samples=8",
                              "--solver-arg=--epochs=0", "--timeout", "900"])
    out = capfd.readouterr().out  # the kernel's subprocesses write to the file descriptors
    assert code == 0, out[-3000:]
    assert "OK: " in out and "is a valid submission for 1 tasks" in out
    assert "score: " in out  # the dry-run on evaluation tasks ran outside a rerun
    installed = [line for line in out.splitlines() if line.startswith("solver installed at")]
    assert installed and str(tmp_path / "venv") in installed[0]  # the packed wheel ran
    executed = nbformat.read(tmp_path / "executed.ipynb", as_version=4)
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors


# ---------------------------------------------------------------- from a virtual environment


@pytest.fixture(scope="module")
def outer_venv(tmp_path_factory):
    """A venv standing for a user's: a plain venv (no ``--system-site-packages``, so nothing
    of the base interpreter leaks in) whose own site-packages holds what this test process
    imports (torch, nbformat, ipykernel, the solver: a ``.pth`` there adds this
    interpreter's package folders) and one module of its own. A venv made from it with
    ``--system-site-packages`` would see neither: that flag exposes the base interpreter's
    packages, not the venv's. The same holds whether pytest runs from a venv (a user's
    install, and CI's) or from a system Python."""
    root = tmp_path_factory.mktemp("outer")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    python = root / "venv" / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    adds = "; ".join(f"site.addsitedir({d!r})" for d in kernel_build._site_dirs())
    (Path(purelib) / "solver_test_packages.pth").write_text(f"import site; {adds}\n")
    (Path(purelib) / "solver_outer_marker.py").write_text("WHERE = 'outer venv'\n")
    return python


def _sees_outer_packages(notebook_python: Path, cwd: Path) -> list[str]:
    probe = textwrap.dedent("""
        import importlib.util, sys
        import solver_outer_marker
        print(solver_outer_marker.WHERE)
        print(sys.prefix)
        print(importlib.util.find_spec("ipykernel_launcher") is not None)
    """)
    out = subprocess.run([str(notebook_python), "-c", probe], capture_output=True, text=True,
                         cwd=cwd, env=kernel_build._clean_env())
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.split("\n")


def test_notebook_venv_from_a_venv_sees_its_packages(outer_venv, tmp_path):
    """The notebook's environment, made by a venv's interpreter, imports that venv's own
    packages (and the kernel's), while installing into itself."""
    make = (f"import importlib.util, pathlib, sys\n"
            f"spec = importlib.util.spec_from_file_location('kb', {str(REPO / 'kernel' / 'build.py')!r})\n"
            f"kb = importlib.util.module_from_spec(spec); spec.loader.exec_module(kb)\n"
            f"print(kb._make_venv(pathlib.Path({str(tmp_path / 'nb')!r})))\n")
    made = subprocess.run([str(outer_venv), "-c", make], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr[-2000:]
    python = Path(made.stdout.strip())
    assert python == tmp_path / "nb" / "bin" / "python"
    where, prefix, kernel, _ = _sees_outer_packages(python, tmp_path)
    assert where == "outer venv" and kernel == "True"
    assert prefix == str(tmp_path / "nb")  # pip in the notebook installs here, not outside


@pytest.mark.slow
def test_run_local_from_a_venv(outer_venv, tmp_path):
    """``kernel/build.py --run-local`` run by a venv's interpreter: the notebook's kernel
    starts, installs the packed wheel and writes a valid submission."""
    cmd = [str(outer_venv), str(REPO / "kernel" / "build.py"), "--run-local", "--workdir",
           str(tmp_path), "--local-tasks", "1", "--dry-run-budget", "60s",
           "--solver-arg=--samples=8", "--solver-arg=--epochs=0", "--timeout", "600"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "is a valid submission for 1 tasks" in out and "score: " in out
    installed = [line for line in out.splitlines() if line.startswith("solver installed at")]
    assert installed and str(tmp_path / "venv") in installed[0]  # the packed wheel ran
    assert _sees_outer_packages(tmp_path / "venv" / "bin" / "python", tmp_path)[0] == "outer venv"
