"""``make fuzz`` only: reports killed at random moments, 20 times, with the other core busy.

The deterministic tests (a signal at each named phase) are in
``test_interrupts.py``; this one checks that no moment between them is
unprotected, on a loaded machine.  A run that finished before its signal
counts as not interrupted, and at least half of the runs must be interrupted."""
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parent.parent
RUNS = 20
EARLIER = b"%PDF-1.5 the earlier report\n"


def run_report(target: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "symgrad", "report", "sigma_mlp", "-o", target], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_reports_killed_at_random_moments_under_load(tmp_path):
    load = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        started = time.monotonic()
        with run_report(tmp_path / "timing.pdf") as warm:
            warm.communicate(timeout=600)
        seconds = time.monotonic() - started
        rng = random.Random(20261202)
        interrupted = 0
        for run in range(RUNS):
            folder = tmp_path / f"run{run}"
            folder.mkdir()
            target = folder / "r.pdf"
            target.write_bytes(EARLIER)
            how = rng.choice([signal.SIGINT, signal.SIGTERM])
            with run_report(target) as job:
                time.sleep(rng.uniform(0.02, 1.0) * seconds)
                job.send_signal(how)
                _, err = job.communicate(timeout=600)
            written = target.read_bytes()
            if job.returncode == 0:
                assert written.startswith(b"%PDF") and written.rstrip().endswith(b"%%EOF")
                continue
            interrupted += 1
            assert job.returncode in (128 + how, -how), (job.returncode, err)   # -how: before Python started
            assert written == EARLIER or written.rstrip().endswith(b"%%EOF")
            assert sorted(p.name for p in folder.iterdir()) == ["r.pdf"], list(folder.iterdir())
        print(f"\nfuzzing interrupts: {RUNS} reports signalled under load, {interrupted} interrupted, "
              f"0 half-written, 0 temporary files left")
        assert interrupted >= RUNS // 2
    finally:
        load.kill()
        load.wait()
