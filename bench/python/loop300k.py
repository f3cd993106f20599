# Issue 11 budget: a pure-Python loop calling a tracked package's function
# 300,000 times (the package is made by bench-python.sh in a site-packages
# dir on PYTHONPATH). With usage tracking (3.12+) each call site and code
# object costs one sys.monitoring event, then nothing.
import benchpkg
f = benchpkg.f
t = 0
for i in range(300000):
    t += f(i)
