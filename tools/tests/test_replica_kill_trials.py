"""A replica killed with SIGKILL at random moments under load comes back equal to its master.

Job: a few trials of tools/replica_kill_trials.py (the 100-kill run is that
script; figures in the closing note): each restart must continue, by partial
resync where its RDB allows, and end with the master's DEBUG DIGEST. The seed
is printed; CAIRN_SEED replays one.

Contract: the script starts and stops both servers by pid on free loopback ports.
"""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from replica_kill_trials import run_trials  # noqa: E402


def test_killed_replicas_never_diverge():
    seed = int(os.environ.get("CAIRN_SEED", random.randrange(1 << 30)))
    print("seed %d (replay: CAIRN_SEED=%d)" % (seed, seed))
    diverged, partial, full, failures = run_trials(5, seed, log=lambda line: print(line, flush=True))
    assert diverged == 0, failures
    # Each restart resynced once: its dump.rdb (save 1 1) lets most continue by partial resync.
    assert partial + full >= 5 and partial >= 1, (partial, full)
