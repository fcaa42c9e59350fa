"""Peak memory of the web process while 8 worst-case photos are uploaded at once.

    .venv/bin/python bench/photo_memory.py                # 8 PNGs of 7,700 x 7,700, just under PHOTO_MAX_PIXELS
    .venv/bin/python bench/photo_memory.py --side 800 --parallel 4

A worst-case photo is small on the wire and huge decoded: a one-colour PNG of 7,700 x 7,700 pixels is
about 180 KB, and 178 MB of pixels once Pillow has decoded it (more while the display and thumbnail
variants are made). Each measurement runs in a child process: the real app (create_app, a SQLite file,
CSRF off) and Flask's test client, logged in as a collector, with one thread per upload, all released at
once against POST /orders/photos (the report form's upload). Every upload must answer 200.

- **one upload**, the floor: the memory a single worst-case photo takes;
- **N parallel, bounded**: the default PHOTO_DECODE_AT_ONCE / PHOTO_DECODE_PIXELS;
- **N parallel, unbounded**: the budget set out of reach, as before it existed (--no-unbounded skips it).

Peak is the process's high-water mark (VmHWM, reset just before the uploads), baseline its RSS then;
ratio = peak of N parallel / peak of one. Target: the bounded peak under 600 MB."""

import argparse
import io
import json
import resource
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT)]

TARGET_MB = 600
UNBOUNDED = {"PHOTO_DECODE_AT_ONCE": 10_000, "PHOTO_DECODE_PIXELS": 10**15}


def png(side: int, colour: tuple[int, int, int]) -> bytes:
    """A one-colour RGB PNG, compressed row by row (never side x side pixels in this process)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(colour) * side
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(side: int, parallel: int, unbounded: bool) -> dict:
    from app import create_app
    from core import db as dbmod
    from core.db import db
    from core.testing import create_user, login

    folder = Path(tempfile.mkdtemp(prefix="xiuhua-bench-photos-"))
    app = create_app(
        {
            "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
            "DATABASE_URL": f"sqlite:///{folder / 'photos.sqlite3'}",
            "INSTANCE_PATH": str(folder / "instance"),
            "SCHEDULER_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            **(UNBOUNDED if unbounded else {}),
        }
    )
    dbmod.upgrade(app)
    with app.app_context(), db.connection_context():
        create_user("collector", "collector")
    clients = []
    for _ in range(parallel):
        client = app.test_client()
        assert login(client, "collector").status_code == 302
        clients.append(client)
    photos = [png(side, (40 + i, 90, 200 - i)) for i in range(parallel)]
    statuses = [None] * parallel
    barrier = threading.Barrier(parallel)

    def upload(i):
        barrier.wait()
        form = {"photo": (io.BytesIO(photos[i]), f"worst-{i}.png")}
        statuses[i] = clients[i].post("/orders/photos", data=form, content_type="multipart/form-data").status_code

    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    baseline = status_mb("VmRSS")
    started = time.perf_counter()
    threads = [threading.Thread(target=upload, args=(i,)) for i in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "seconds": time.perf_counter() - started,
        "baseline_mb": baseline,
        "peak_mb": status_mb("VmHWM"),
        "statuses": statuses,
        "photo_kb": len(photos[0]) / 1024,
    }


def run_child(args, parallel: int, unbounded: bool) -> dict:
    command = [sys.executable, __file__, "--child", "--side", str(args.side), "--parallel", str(parallel)]
    if unbounded:
        command.append("--unbounded")
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(result.stdout + result.stderr)
    found = json.loads(result.stdout.strip().splitlines()[-1])
    if set(found["statuses"]) != {200}:
        raise SystemExit(f"uploads answered {found['statuses']}")
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--side", type=int, default=7_700, help="pixels on each side of the square PNGs")
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--no-unbounded", action="store_true", help="skip the run without a budget")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--unbounded", action="store_true")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.side, args.parallel, args.unbounded)))
        return
    runs = [("one upload (floor)", 1, False), (f"{args.parallel} parallel, bounded", args.parallel, False)]
    if not args.no_unbounded:
        runs.append((f"{args.parallel} parallel, unbounded", args.parallel, True))
    print(
        f"{args.side:,} x {args.side:,} PNGs ({args.side**2 / 1e6:.1f} Mpixels); target: bounded peak < {TARGET_MB} MB"
    )
    print(f"{'run':<26} {'photo KB':>8} {'baseline MB':>11} {'peak MB':>8} {'seconds':>8} {'ratio':>6}")
    floor = None
    for name, parallel, unbounded in runs:
        found = run_child(args, parallel, unbounded)
        floor = floor or found["peak_mb"]
        print(
            f"{name:<26} {found['photo_kb']:>8.0f} {found['baseline_mb']:>11.0f} {found['peak_mb']:>8.0f} "
            f"{found['seconds']:>8.1f} {found['peak_mb'] / floor:>6.2f}",
            flush=True,
        )
        if name.endswith("bounded") and not unbounded:
            verdict = "met" if found["peak_mb"] < TARGET_MB else "missed"
            print(
                f"peak RSS of the web process with {parallel} parallel uploads: {found['peak_mb']:.0f} MB ({verdict})"
            )


if __name__ == "__main__":
    main()
