# Cost per recorded import, measured inside one tracked process
# (bench/bench-python.sh, bench/python-instructions.sh): the import30 workload
# is imported again and again, with the hook recording (on) and with it
# returning at once (off).
#
# per-import.py REPS          both alternated, timed in CPU time (process_time),
#                             keeping the fastest repetition of each: other
#                             developers' load only ever adds time.
# per-import.py REPS on|off   REPS of one only, after the same warm-up, and
#                             the fastest repetition's CPU time: run under
#                             callgrind, on minus off is the hook's share in
#                             instructions, which load does not move.
import os
import sys
import time

finder = sys.meta_path[0]
st = finder.find_spec.__globals__['_st']
src = open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'import30.py')).read()
base = set(sys.modules)
pkgs = os.path.join(os.environ['XALT_SPOOL_DIR'], 'pkgs')


def once(on):
    for k in list(sys.modules):
        if k not in base:
            del sys.modules[k]
    st.seen = set(base)
    st.on = on
    t = time.process_time()
    exec(src, {})
    return time.process_time() - t


def lines():
    with open(pkgs, 'rb') as f:
        return f.read().count(b'\n')


once(True)
once(False)
reps = int(sys.argv[1]) if len(sys.argv) > 1 else 40
if len(sys.argv) > 2:
    on = sys.argv[2] == 'on'
    best = min([once(on) for i in range(reps)] or [0])
    print('%s, best of %d: import30 %.0f us' % (sys.argv[2], reps, best * 1e6))
    sys.exit(0)
res = {True: [], False: []}
n0 = lines()
for i in range(reps):
    for on in ((True, False) if i % 2 else (False, True)):
        res[on].append(once(on))
n = (lines() - n0) // reps
med = {k: min(v) for k, v in res.items()}
print('in-process, best of %d: import30 on %.0f us, off %.0f us; %d lines each; '
      'cost per recorded import %.1f us'
      % (reps, med[True] * 1e6, med[False] * 1e6, n,
         (med[True] - med[False]) / n * 1e6))
