#!/usr/bin/env python3
"""How long each WAL restart stopped the SQLite writer: part `restarts` of bench.sh.

    wal_restarts.py STRACE_OUTPUT WRITER_TID

STRACE_OUTPUT is `strace -f -T -tt -e trace=fsync,fdatasync,ftruncate` of
the server. The writer's calls come in clusters, one per restart of the WAL
(its own checkpoint pass: the WAL's sync, the database's truncation and
sync; then the restarted log's header sync and, if the log was over
`journal_size_limit`, its truncation). A cluster's span, from its first
call's start to its last call's end, is how long writes waited at least;
each call's own time is listed after it. The checkpoint thread's calls
are summed.
"""

import re
import sys

# Calls of one restart are milliseconds apart; restarts are about a second.
CLUSTER_GAP = 0.3
LINE = re.compile(r"(\d+)\s+(\d+):(\d+):([\d.]+) (\w+)\((\d+).*<([\d.]+)>")


def main(path, writer):
    calls = []
    for line in open(path):
        m = LINE.match(line)
        if m:
            tid, h, mi, s, name, fd, took = m.groups()
            calls.append((int(h) * 3600 + int(mi) * 60 + float(s), tid, name, fd, float(took)))
    clusters = []
    for call in (c for c in calls if c[1] == writer):
        if clusters and call[0] - clusters[-1][-1][0] <= CLUSTER_GAP:
            clusters[-1].append(call)
        else:
            clusters.append([call])
    for cluster in clusters:
        span = cluster[-1][0] + cluster[-1][4] - cluster[0][0]
        detail = "  ".join(f"{name}({fd}) {took * 1e3:.1f}" for _, _, name, fd, took in cluster)
        print(f"restart: writer stalled {span * 1e3:6.1f} ms   {detail}")
    others = [c for c in calls if c[1] != writer]
    print(f"{len(clusters)} restarts; other threads: {len(others)} calls, {sum(c[4] for c in others) * 1e3:.1f} ms")


if __name__ == "__main__":
    main(*sys.argv[1:])
