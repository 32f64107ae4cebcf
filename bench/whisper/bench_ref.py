#!/usr/bin/python3
"""Reference side of bench/whisper: the same workload as main.ts, run with Debian's
python3-whisper (must run with /usr/bin/python3). Usage: bench_ref.py PHASE DIR FILES T0
PHASE: update | many10 | many100. Creates FILES files in DIR (timed), runs the phase
(timed: wall clock, and CPU time = user + system of this process) and prints
{"create_s", "ops_s", "cpu_s", "points", "calls"} as JSON."""
import json, os, sys, time
import whisper

phase, d, nfiles, t0 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
MINUTES = 100
now = t0 + (MINUTES - 1) * 60
paths = [os.path.join(d, "m%04d.wsp" % i) for i in range(nfiles)]
archives = [(60, 1440), (300, 8640), (3600, 8760)]

def value(i, m):
    return ((i * 7 + m) % 1000) / 10.0

t = time.perf_counter()
for p in paths:
    whisper.create(p, archives)
create_s = time.perf_counter() - t

calls = 0
t = time.perf_counter()
c = time.process_time()
if phase == "update":
    for m in range(MINUTES):
        ts = t0 + m * 60
        for i, p in enumerate(paths):
            whisper.update(p, value(i, m), ts, now=now)
    calls = MINUTES * nfiles
else:
    size = 10 if phase == "many10" else 100
    for b in range(MINUTES // size):
        for i, p in enumerate(paths):
            pts = [(t0 + (b * size + j) * 60, value(i, b * size + j)) for j in range(size)]
            whisper.update_many(p, pts, now=now)
            calls += 1
ops_s = time.perf_counter() - t
cpu_s = time.process_time() - c
print(json.dumps({"create_s": create_s, "ops_s": ops_s, "cpu_s": cpu_s, "points": MINUTES * nfiles, "calls": calls}))
