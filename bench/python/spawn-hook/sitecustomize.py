# Benchmark baseline only (bench/bench-python.sh): the seed talk's design,
# one process per recorded import. Like XALT 3.2.4's hook it imports
# subprocess at start and runs a program for each first import; the program
# is $XALT_BENCH_RECORDER (default /bin/true) so the cost is the spawn.
import os
import subprocess
import sys

_RECORDER = os.environ.get('XALT_BENCH_RECORDER', '/bin/true')


class _SpawnFinder(object):
    def __init__(self):
        self.seen = set()

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.seen:
            self.seen.add(fullname)
            subprocess.call([_RECORDER, '-u', os.environ.get('XALT_RUN_UUID', ''),
                             'program', 'python', 'package_name', fullname])
        return None


if os.environ.get('XALT_RUN_UUID'):
    sys.meta_path.insert(0, _SpawnFinder())
