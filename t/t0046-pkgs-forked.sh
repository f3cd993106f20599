#!/bin/bash
test_description='forked children of a PKGS run: their spool lines count, the end never waits for them

Children made by fork() without exec (multiprocessing workers) append to
their run'"'"'s pkgs file (docs/design.md, "Exit paths"). The run'"'"'s end reads
the whole file, the children'"'"'s lines included, and never waits for a child
that outlives it; what such a child writes after the end removed the spool
is lost. The children here write their lines themselves, as a hook does (one
write of one line, O_APPEND), so this tests the library'"'"'s side alone.'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }
test_have_prereq PYTHON || { skip_all='/usr/bin/python3 is needed'; test_done; }

xalt_setup
UDIR=$XALT_SPOOL_BASE/xalt-$(id -u)

# fork.py N LATE: N children each append a package line and exit, waited
# for; with LATE=1 one more child outlives the parent: it waits until the
# parent is gone, then tries to append "late", and says what happened in ./late.
cat >fork.py <<\EOF
import os, sys, time
n, late = int(sys.argv[1]), sys.argv[2] == "1"
spool = os.environ["XALT_SPOOL_DIR"]
def line(name):
    fd = os.open(spool + "/pkgs", os.O_WRONLY | os.O_APPEND)
    os.write(fd, ("P\tpython\t%s\t1.0\t/x/site-packages/%s\t10\n" % (name, name)).encode())
    os.close(fd)
kids = []
for i in range(n):
    pid = os.fork()
    if pid == 0:
        line("child%d" % i)
        os._exit(0)
    kids.append(pid)
for pid in kids:
    os.waitpid(pid, 0)
if late:
    parent = os.getpid()
    if os.fork() == 0:
        open("kid", "w").write("%d\n" % os.getpid())
        os.setsid()
        fd = os.open("/dev/null", os.O_RDWR)
        for k in (0, 1, 2):
            os.dup2(fd, k)
        while os.getppid() == parent:
            time.sleep(0.01)
        time.sleep(1)
        try:
            line("late")
            res = "written"
        except OSError as e:
            res = "lost: " + os.strerror(e.errno)
        open("late.tmp", "w").write(res + "\n")
        os.rename("late.tmp", "late")
        os._exit(0)
    while not os.path.exists("kid"):
        time.sleep(0.01)
EOF

test_expect_success 'the lines of 4 forked children are in the run'"'"'s record' '
	xalt_tracked /usr/bin/python3 fork.py 4 0 &&
	rec=$(xalt_one_record) &&
	jq -r "[.packages[].name | select(startswith(\"child\"))] | sort | join(\" \")" "$rec" >actual &&
	echo "child0 child1 child2 child3" >expect &&
	test_cmp expect actual &&
	test -z "$(ls "$UDIR")"
'

test_expect_success 'a child that outlives the run: the end does not wait, its late line is lost' '
	rm -rf "$XALT_FILE_PREFIX" late kid &&
	xalt_tracked /usr/bin/python3 fork.py 1 1 &&
	kill -0 $(cat kid) &&
	test -z "$(ls "$UDIR")" &&
	for i in $(seq 100); do test -e late && break; sleep 0.1; done &&
	echo "lost: No such file or directory" >expect && test_cmp expect late &&
	rec=$(xalt_one_record) &&
	jq -e "[.packages[].name] | index(\"child0\") != null and index(\"late\") == null" "$rec" &&
	test -z "$(ls "$UDIR")"
'

test_done
