"""solver.lm.quiet: library chatter to the run's log file, the solver's own warnings and
library errors still on the console. Each case runs in a fresh interpreter (the routing
changes process-wide state: logger handlers, ``warnings.showwarning``, tqdm's lock)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import solver


def run(code: str, tmp_path: Path) -> tuple[str, str]:
    (tmp_path / "case.py").write_text(textwrap.dedent(code))
    proc = subprocess.run([sys.executable, "case.py"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    log = tmp_path / "run.log"
    return proc.stderr, log.read_text() if log.exists() else ""


def test_library_records_go_to_the_file_once_errors_also_to_stderr(tmp_path):
    stderr, log = run("""
        import logging
        from solver.lm import quiet
        quiet.route_library_noise("run.log")
        bnb = logging.getLogger("bitsandbytes.autograd._functions")
        for _ in range(500):  # what 8-bit layers say on every matrix product
            bnb.warning("MatMul8bitLt: inputs will be cast from %s to float16", "torch.float32")
        logging.getLogger("bitsandbytes.backends.cpu.ops").warning("Failed to load CPU kernel")
        logging.getLogger("peft.tuners").error("a library error")
        logging.getLogger("solver.run").warning("not a library: untouched")
    """, tmp_path)
    assert log.count("MatMul8bitLt: inputs will be cast from torch.float32 to float16") == 1
    assert "bitsandbytes.backends.cpu.ops WARNING: Failed to load CPU kernel" in log
    assert "peft.tuners ERROR: a library error" in log
    assert "MatMul8bitLt" not in stderr and "Failed to load" not in stderr
    assert "a library error" in stderr  # errors stay visible
    assert "not a library: untouched" in stderr and "untouched" not in log


def test_library_warnings_to_the_file_ours_to_the_console(tmp_path):
    ours = str(Path(solver.__file__).parent / "lm" / "model.py")
    stderr, log = run(f"""
        import warnings
        from solver.lm import quiet
        quiet.route_library_noise("run.log")
        warnings.warn_explicit("deprecated inside a library", FutureWarning,
                               "/somewhere/site-packages/lib/mod.py", 12)
        warnings.warn_explicit("about the solver's own call", UserWarning, {ours!r}, 40)
    """, tmp_path)
    assert "FutureWarning: deprecated inside a library" in log
    assert "deprecated inside a library" not in stderr
    assert "UserWarning: about the solver's own call" in stderr
    assert "own call" not in log


def test_none_drops_library_warnings(tmp_path):
    stderr, log = run("""
        import logging
        from solver.lm import quiet
        quiet.route_library_noise(None)
        logging.getLogger("bitsandbytes").warning("chatter")
    """, tmp_path)
    assert "chatter" not in stderr and log == ""


def test_transformers_handler_and_progress_bars(tmp_path):
    """transformers' own stderr handler is replaced, whether it was imported before the
    routing or afterwards (then :func:`route_transformers`, which model loading calls)."""
    for before in (True, False):
        (tmp_path / "run.log").unlink(missing_ok=True)
        stderr, log = run(f"""
            from solver.lm import quiet
            if {before}:
                import transformers.utils.logging
            quiet.route_library_noise("run.log")
            from transformers.utils import logging as hf_logging
            quiet.route_transformers()
            hf_logging.get_logger("transformers.modeling_utils").warning("hf chatter")
            print(hf_logging.is_progress_bar_enabled())
        """, tmp_path)
        assert "transformers.modeling_utils WARNING: hf chatter" in log
        assert "hf chatter" not in stderr


def test_tqdm_takes_a_thread_lock(tmp_path):
    """A worker killed at the hard stop leaves no semaphore for the resource tracker."""
    stderr, _ = run("""
        import multiprocessing as mp, os, time
        def child():
            from solver.lm import quiet
            quiet.route_library_noise("run.log")
            from tqdm import tqdm
            for _ in tqdm(range(3), disable=False):
                pass
            open("ready", "w").close()
            time.sleep(60)
        if __name__ == "__main__":
            p = mp.get_context("spawn").Process(target=child, daemon=True)
            p.start()
            while not os.path.exists("ready") and p.is_alive():
                time.sleep(0.05)
            p.kill()  # as at the budget's hard stop
            p.join()
    """, tmp_path)
    assert "leaked semaphore" not in stderr


def test_cli_sample_8bit_keeps_library_chatter_off_the_console(tmp_path):
    """``solver sample --quantization 8bit`` on CPU: transformers' "Loading weights" bar
    and bitsandbytes' cast notice (said on every 8-bit product) stay off the console; the
    notice is in the verb's library log once. (bitsandbytes' "Failed to load CPU
    gemm_4bit_forward" line is said only on CPUs with AVX-512 BF16: checked when it is.)"""
    import tiny
    from solver.dsl.demo import DEMO_DIR

    folder = tiny.make_tiny_model(tmp_path / "m", solver_json={"max_new_tokens": 8})
    log = tmp_path / "out" / "sample.log"
    proc = subprocess.run(
        [sys.executable, "-m", "solver", "sample", "--tasks", str(DEMO_DIR / "challenges.json"),
         "--task", "squares-9-s2025-0000", "-n", "2", "--model", str(folder),
         "--quantization", "8bit", "--device", "cpu", "--workers", "1",
         "--library-log", str(log)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "solved: 0/1"
    for chatter in ("Loading weights", "MatMul8bitLt", "Failed to load CPU", "kernels-community"):
        assert chatter not in console, chatter
    text = log.read_text()
    assert text.count("MatMul8bitLt: inputs will be cast from torch.float32 to float16") == 1
    assert f"library messages: {log}" in proc.stderr
    assert not (tmp_path / "runs").exists()  # --library-log replaces the default file
