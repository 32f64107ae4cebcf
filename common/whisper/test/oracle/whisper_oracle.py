#!/usr/bin/python3
"""Deterministic oracle around Debian's python3-whisper (must run with /usr/bin/python3).

  whisper_oracle.py info  FILE                              -> JSON header (+fileSize)
  whisper_oracle.py fetch FILE FROM UNTIL NOW [ARCHIVE]     -> JSON {"start","end","step","values"} or null
  whisper_oracle.py dump  FILE                              -> JSON header + every slot of every archive [[ts, value], ...]
  whisper_oracle.py replay OPS.json                         -> applies ops (see below) with explicit `now`
  whisper_oracle.py replay_each OPS.json                    -> same, but goes on after a failing op; prints one
                                                               {"ok":true} or {"error","message"} per op (a JSON list)
  whisper_oracle.py batch QUERIES.json                      -> runs [["info",F],["fetch",F,FROM,UNTIL,NOW(,ARCHIVE)],
                                                               ["dump",F],["diff",A,B,IGNORE_EMPTY,UNTIL,NOW]...] in one
                                                               process; prints the list of results (errors as above)
  whisper_oracle.py setorder LISTS.json                     -> [list(set(x)) for x in LISTS] (CPython set order)
(numeter copy of the shared tool, extended with replay_each, batch, setorder so test suites can batch their oracle calls.)
Non-finite doubles are emitted as the strings "NaN", "Infinity", "-Infinity" so the output is strict JSON.
Exceptions are reported as {"error": "<ExceptionClass>", "message": "..."} with exit status 2.

OPS.json: [{"op":"create","path":P,"archives":[[60,1440],...],"xff":0.5,"agg":"average","sparse":false},
           {"op":"update","path":P,"value":1.5,"ts":T,"now":N},
           {"op":"update_many","path":P,"points":[[T,V],...],"now":N},
           {"op":"set_agg","path":P,"agg":"max","xff":0.3}, {"op":"set_xff","path":P,"xff":0.3},
           {"op":"merge","from":A,"to":B,"now":N}]
"""
import json, math, os, signal, struct, sys
import whisper

signal.signal(signal.SIGPIPE, signal.SIG_DFL)

def enc(v):
    if v is None: return None
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v

def dec(v):
    return float(v) if isinstance(v, str) else v

def out(obj):
    print(json.dumps(obj, allow_nan=False, sort_keys=True))

def apply_op(op):
    o = op["op"]
    if o == "create":
        whisper.create(op["path"], [tuple(x) for x in op["archives"]], xFilesFactor=op.get("xff"),
                       aggregationMethod=op.get("agg"), sparse=op.get("sparse", False))
    elif o == "update":
        whisper.update(op["path"], dec(op["value"]), op["ts"], now=op["now"])
    elif o == "update_many":
        whisper.update_many(op["path"], [(t, dec(v)) for t, v in op["points"]], now=op["now"])
    elif o == "set_agg":
        whisper.setAggregationMethod(op["path"], op["agg"], op.get("xff"))
    elif o == "set_xff":
        whisper.setXFilesFactor(op["path"], op["xff"])
    elif o == "merge":
        whisper.merge(op["from"], op["to"], now=op["now"])
    else:
        raise ValueError("unknown op %r" % o)

def fetch_json(path, frm, until, now, archive=None):
    r = whisper.fetch(path, int(frm), int(until), now=int(now), archiveToSelect=archive)
    return None if r is None else {"start": r[0][0], "end": r[0][1], "step": r[0][2], "values": [enc(v) for v in r[1]]}

def dump_json(path):
    h = whisper.info(path)
    with open(path, "rb") as fh:
        for arc in h["archives"]:
            fh.seek(arc["offset"]); raw = fh.read(arc["size"])
            arc["data"] = [[t, enc(v)] for t, v in struct.iter_unpack("!Ld", raw)]
    h["xFilesFactor"] = enc(h["xFilesFactor"])
    return h

def query(q):
    if q[0] == "info":
        info = whisper.info(q[1])
        if info is not None:
            info["fileSize"] = os.stat(q[1]).st_size
        return info
    if q[0] == "fetch":
        return fetch_json(*q[1:])
    if q[0] == "dump":
        return dump_json(q[1])
    if q[0] == "diff":
        res = whisper.diff(q[1], q[2], ignore_empty=q[3], until_time=q[4], now=q[5])
        return [[n, [[t, enc(a), enc(b)] for t, a, b in d], total] for n, d, total in res]
    raise ValueError("unknown query %r" % q[0])

ERRORS = (whisper.WhisperException, ValueError, struct.error, IOError, ZeroDivisionError, NotImplementedError)

def main(a):
    cmd = a[0]
    if cmd == "replay_each":
        res = []
        for op in json.load(open(a[1])):
            try:
                apply_op(op); res.append({"ok": True})
            except ERRORS as e:
                res.append({"error": type(e).__name__, "message": str(e)})
        out(res)
    elif cmd == "batch":
        res = []
        for q in json.load(open(a[1])):
            try:
                res.append(query(q))
            except ERRORS as e:
                res.append({"error": type(e).__name__, "message": str(e)})
        out(res)
    elif cmd == "setorder":
        out([list(set(x)) for x in json.load(open(a[1]))])
    elif cmd == "info":
        info = whisper.info(a[1])
        if info is not None:
            info["fileSize"] = os.stat(a[1]).st_size
        out(info)
    elif cmd == "fetch":
        r = whisper.fetch(a[1], int(a[2]), int(a[3]), now=int(a[4]), archiveToSelect=(a[5] if len(a) > 5 else None))
        out(None if r is None else {"start": r[0][0], "end": r[0][1], "step": r[0][2], "values": [enc(v) for v in r[1]]})
    elif cmd == "dump":
        h = whisper.info(a[1])
        with open(a[1], "rb") as fh:
            for arc in h["archives"]:
                fh.seek(arc["offset"]); raw = fh.read(arc["size"])
                arc["data"] = [[t, enc(v)] for t, v in struct.iter_unpack("!Ld", raw)]
        h["xFilesFactor"] = enc(h["xFilesFactor"])
        out(h)
    elif cmd == "replay":
        for op in json.load(open(a[1])):
            apply_op(op)
        out({"ok": True})
    else:
        raise SystemExit(__doc__)

if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except ERRORS as e:
        out({"error": type(e).__name__, "message": str(e)}); sys.exit(2)
