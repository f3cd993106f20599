# Issue 11 budget: a numpy/pandas/matplotlib workload (Debian's packages).
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
a = np.random.default_rng(1).normal(size=(400, 400))
b = a @ a.T
df = pd.DataFrame(b[:, :8], columns=list("abcdefgh"))
s = df.describe().sum().sum() + df.groupby((df.a > 0)).mean().sum().sum()
fig, ax = plt.subplots()
ax.plot(df.a.cumsum())
fig.savefig("/dev/null", format="png")
