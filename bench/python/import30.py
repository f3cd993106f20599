# Benchmark workload: 30 distinct stdlib packages (bench/bench-python.sh).
import json, csv, decimal, fractions, statistics, argparse, logging, email
import html, xml.dom, sqlite3, uuid, textwrap, string, difflib, pprint
import heapq, bisect, random, hashlib, base64, struct, datetime, calendar
import shlex, glob, fnmatch, tempfile, shutil, zipfile
