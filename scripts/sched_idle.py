#!/usr/bin/env python3
"""Why the cores went idle during a `perf sched record`: part `sched` of bench.sh.

    sched_idle.py PERF_DATA TASKS

TASKS has one line per thread, "TID LABEL" (e.g. "4711 server sqlite-writer").
Every moment a CPU spent idle is put in one of three classes:

- a thread was runnable on the other CPU, queued behind the thread running
  there (the scheduler did not move it to the idle CPU); split by thread;
- nothing was runnable anywhere and the other CPU ran one thread: only that
  thread had work (for example the SQLite writer, with every request waiting
  for its commit); split by that thread;
- both CPUs idle, nothing runnable: split into the moments a thread was
  blocked on the disk (switched out uninterruptible, `D`, as in `fsync`),
  by thread, and the rest: nothing to do at all.

Threads are told apart by TID, so the server's and the load generator's
runtime workers are counted apart. A thread counts as runnable from its
wake-up (or its preemption) until it next runs; a wake-up older than 20 ms
with no run since is ignored (a thread that exited, or perf's own), and
so is an uninterruptible sleep older than a second.
"""

import collections
import re
import subprocess
import sys

STALE = 0.02
DISK_STALE = 1.0
EVENT = re.compile(r"\[(\d+)\]\s+([\d.]+):\s+sched:(\w+):\s+(.*)")
FIELDS = re.compile(r"(\w+)=(\S+)")
SWITCH = re.compile(r"prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=.*? next_pid=(\d+)")


def main(data, tasks_file):
    labels = {}
    for line in open(tasks_file):
        tid, label = line.split(maxsplit=1)
        labels[int(tid)] = label.strip()
    out = subprocess.run(
        ["perf", "script", "-i", data, "-F", "cpu,time,event,trace"],
        capture_output=True, text=True, check=True,
    ).stdout

    running = {}  # cpu -> tid, 0 when idle
    runnable = {}  # tid -> (cpu, since)
    on_disk = {}  # tid -> since: switched out uninterruptible, not woken yet
    idle = collections.Counter()
    queued = collections.Counter()  # waiting thread -> seconds
    alone = collections.Counter()  # the one thread with work -> seconds
    blocked = collections.Counter()  # the thread waited on -> seconds
    nothing = 0.0
    last = None

    def label(tid):
        return labels.get(tid, "other")

    def account(now):
        nonlocal nothing
        if last is None or len(running) < 2:
            return
        span = now - last
        for cpu, tid in running.items():
            if tid:
                continue
            idle[cpu] += span
            waiting = [t for t, (c, since) in runnable.items() if c != cpu and now - since < STALE]
            other = next(t for c, t in running.items() if c != cpu)
            if waiting:
                for t in waiting:
                    queued[label(t)] += span / len(waiting)
            elif not any(c == cpu and now - since < STALE for c, since in runnable.values()):
                disk = [t for t, since in on_disk.items() if now - since < DISK_STALE]
                if other:
                    alone[label(other)] += span
                elif disk:
                    for t in disk:
                        blocked[label(t)] += span / len(disk)
                else:
                    nothing += span

    for line in out.splitlines():
        match = EVENT.match(line)
        if not match:
            continue
        cpu, now, event, trace = int(match[1]), float(match[2]), match[3], match[4]
        account(now)
        last = now
        fields = dict(FIELDS.findall(trace))
        if event == "sched_waking":
            runnable[int(fields["pid"])] = (int(fields["target_cpu"]), now)
            on_disk.pop(int(fields["pid"]), None)
        elif event == "sched_migrate_task":
            tid = int(fields["pid"])
            if tid in runnable:
                runnable[tid] = (int(fields["dest_cpu"]), runnable[tid][1])
        elif event == "sched_switch":
            prev, state, nxt = SWITCH.search(trace).groups()
            if int(prev) and state.startswith("R"):
                runnable[int(prev)] = (cpu, now)
            elif int(prev) and state.startswith("D"):
                on_disk[int(prev)] = now
            runnable.pop(int(nxt), None)
            running[cpu] = int(nxt)

    total = sum(idle.values())
    span = f"{total * 1e3:.0f} ms idle over {len(idle)} CPUs"
    print(f"{span}, " + ", ".join(f"cpu{c} {s * 1e3:.0f} ms" for c, s in sorted(idle.items())))
    if not total:
        return

    def share(seconds):
        return f"{seconds * 1e3:7.1f} ms  {100 * seconds / total:5.1f}%"

    print(f"  {'a thread queued on the other CPU':58} {share(sum(queued.values()))}")
    for name, seconds in queued.most_common():
        print(f"    {name:56} {share(seconds)}")
    print(f"  {'nothing runnable, the other CPU running one thread':58} {share(sum(alone.values()))}")
    for name, seconds in alone.most_common():
        print(f"    {name:56} {share(seconds)}")
    print(f"  {'both CPUs idle, a thread blocked on the disk':58} {share(sum(blocked.values()))}")
    for name, seconds in blocked.most_common():
        print(f"    {name:56} {share(seconds)}")
    print(f"  {'both CPUs idle, nothing runnable or blocked':58} {share(nothing)}")


if __name__ == "__main__":
    main(*sys.argv[1:])
