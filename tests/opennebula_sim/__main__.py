"""Standalone: python -m tests.opennebula_sim [--port-file F] [--one-version V] [--auto-advance S]

Prints the endpoints and credentials as one JSON line (and writes them to --port-file),
then serves until killed (SIGTERM/SIGINT)."""

import argparse
import json
import os
import signal
import sys
import threading

from .server import Simulator


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.opennebula_sim")
    parser.add_argument("--port-file", help="write the endpoints JSON here (atomically)")
    parser.add_argument("--one-version", default="7.4.0")
    parser.add_argument("--password")
    parser.add_argument("--auto-advance", type=float, default=1.0,
                        help="simulated seconds each request moves the clock (default 1)")
    parser.add_argument("--cooldown", type=int, help="OneFlow default cooldown in seconds")
    parser.add_argument("--bare", action="store_true", help="no seeded host and network")
    args = parser.parse_args(argv)

    sim = Simulator(one_version=args.one_version, password=args.password, cooldown=args.cooldown,
                    seed_infrastructure=not args.bare).start()
    sim.auto_advance(args.auto_advance)
    info = json.dumps(sim.endpoints())
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as handle:
            handle.write(info + "\n")
        os.replace(tmp, args.port_file)
    print(info, flush=True)

    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    stopped.wait()
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
