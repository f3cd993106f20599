# XALT Python hook: record every module a tracked Python run imports.
#
# Installed as $XALT_DIR/site/sitecustomize.py and found through
# PYTHONPATH=$XALT_DIR/site (set by `xalt run` and the env module). One file
# for Python 2.7 and 3.6-3.13. Contract: docs/design.md ("Spool"); user page:
# docs/python.md.
#
# Why it looks like this (measurements in docs/python.md, bench/RESULTS.md):
#  - It runs inside every Python start on the cluster, so it does nothing and
#    imports nothing unless this very process is a tracked PKGS run
#    (XALT_RUN_UUID, XALT_SPOOL_DIR ending in ".<our pid>"). It imports only
#    modules `site` already loaded (os, sys) and builtins: no subprocess,
#    re, importlib.metadata (30-55 ms) and no getattr(mod, '__version__')
#    (PEP 562 lazy attributes: 17 ms seen).
#  - Records are appended as we go, one open/write/close of one line per
#    module to $XALT_SPOOL_DIR/pkgs (1.3 us on tmpfs, against 0.4 us through
#    a kept fd: holding no fd leaves the program's fd numbers as they were;
#    a process per import, the talk's design, costs about 1.5 ms); what a
#    library's import imports is written at its end, together
#    (_TimedLoader). The preload library filters and sends them at exit
#    (one filter implementation, in C).
#  - A sys.meta_path finder at position 0 sees each first import (a cache
#    miss). On 3.x it asks the finders behind it for the spec and returns
#    that same object; for a top-level module it times the load by wrapping
#    spec.loader, and puts the original loader back on the spec and the module
#    before the module's code runs. On 2.7 it only notes names (no timing:
#    a loader of ours would be a frame on the import stack, visible to
#    warnings' stacklevel and in tracebacks) and writes them once loaded.
#  - Modules imported before the finder exists are swept from sys.modules.
#  - The sitecustomize we shadow (Debian's apport hook, a site's or a conda
#    env's) is executed afterwards as module `sitecustomize`; its errors are
#    reported by Python exactly as without us. Our own errors are swallowed.
#
# Sections: state and output / versions / the finder (3.x, 2.7) / start /
# chaining.

import os
import sys

_PY3 = sys.version_info[0] >= 3
_TRACE = os.environ.get('XALT_TRACING') == 'yes'


def _trace(msg):
    """Print one 'xalt: ' line on stderr when XALT_TRACING=yes; never fails."""
    if _TRACE:
        try:
            sys.stderr.write('xalt: python hook: %s\n' % (msg,))
        except Exception:
            pass


# --- state and output ---------------------------------------------------------

if _PY3:
    _FSENC = sys.getfilesystemencoding()
    try:
        _FSERR = sys.getfilesystemencodeerrors()
    except AttributeError:
        _FSERR = 'surrogateescape'

    def _b(s):
        """Text to bytes as the OS sees it (surrogateescape keeps raw bytes)."""
        if isinstance(s, bytes):
            return s
        return s.encode(_FSENC, _FSERR)
else:
    _FSENC = sys.getfilesystemencoding() or 'utf-8'

    def _b(s):
        """Python 2: str is already bytes; unicode paths are encoded."""
        if isinstance(s, unicode):  # noqa: F821 (Python 2 only)
            return s.encode(_FSENC, 'replace')
        return s


_SPECIAL = b'\\\t\n\r'


def _esc(b):
    """Escape one spool field (docs/design.md): \\ TAB LF CR as two chars.

    One translate() call finds out whether any is there (0.3 us; four `in`
    tests cost about 1 us), as they almost never are.
    """
    if len(b.translate(None, _SPECIAL)) != len(b):
        b = (b.replace(b'\\', b'\\\\').replace(b'\t', b'\\t')
             .replace(b'\n', b'\\n').replace(b'\r', b'\\r'))
    return b


_CLOEXEC = getattr(os, 'O_CLOEXEC', 0o2000000)
_FLAGS = (os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, 'O_NOFOLLOW', 0)
          | _CLOEXEC)


class _State(object):
    """This run's spool file and what was recorded.

    The file is opened for each write and closed again, so the program never
    sees an fd of ours. A fork()ed child (multiprocessing's fork workers)
    inherits this state and goes on appending to the run's file, whole
    lines in one write each, as the run's own imports and uses: an exec'd
    program is not a fork and never gets here (_start's pid rule).
    """

    def __init__(self, path):
        self.path = path      # $XALT_SPOOL_DIR/pkgs, opened O_APPEND|O_NOFOLLOW
        self.on = True        # False after any failure: record nothing more
        self.seen = set()     # names already recorded or being imported
        self.dists = {}       # site dir -> (listing, its text, any: _dist_index)
        self.toplevel = {}    # site dir -> ({top_level.txt name: info dir},
                              #   [where the dirs not read yet start])
        self.stdlib = ()      # dirs of the interpreter's own library
        self.pending = []     # 2.7: names found, written once loaded
        self.module = None    # our module object, kept alive (2.7 clears
                              # a dead module's globals)
        self.batch = None     # a list while sweeping: lines written together
        self.starting = True  # until the sitecustomize chain has run
        self.libdirs = ()     # the interpreter's prefixes and site dirs (with '/')
        self.islib = {}       # file name -> 1 library code, 0 the user's own
        self.attr = {}        # 2.7: name -> attribution noted at find time
        self.tool = None      # our sys.monitoring tool id (3.12+), or None
        self.uses = {}        # loaded top-level name -> functions seen running
        self.written = {}     # top-level name -> the count its last U line said
        self.counted = {}     # id(code) -> code (kept: no id reused), or
                              #   ~id(C callable) -> None: what was counted
        self.owners = dict.fromkeys(_IMPORT_SYSTEM, 0)  # file name -> _USER,
                              #   its package (_code_owner), or 0: no package
        self.error = None     # why writing stopped, for XALT_TRACING
        self.holding = []     # an entry per library import running
        self.held = []        # lines found meanwhile: release()

    def write(self, line):
        """Append one line with one write(); on any problem stop recording."""
        if not self.on:
            return
        try:
            fd = os.open(self.path, _FLAGS, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except Exception as e:
            self.on = False
            self.error = e

    def flush(self):
        """Write the batched lines (the sweep)."""
        lines, self.batch = self.batch or [], None
        self.write_lines(lines)

    def release(self):
        """Write the held lines. Each is taken by one pop, which is atomic:
        two releases at once (an import ending while another thread's
        package() releases) never write a line twice or drop one; what was
        taken is written even if a signal handler raises meanwhile (one
        raising between a pop and its append loses that line)."""
        lines = []
        held = self.held
        try:
            while held:  # not ended by raising IndexError: a raise costs
                         # each library import more than this test
                lines.append(held.pop())
        except IndexError:
            pass  # another thread took the last one meanwhile
        finally:
            if lines:
                lines.reverse()
                try:
                    self.write_lines(lines)
                except Exception:
                    pass  # never in place of an import's own error

    def write_lines(self, lines):
        """Whole lines in writes of < 4 KiB."""
        if len(lines) == 1:  # a package without submodules
            self.write(lines[0])
            return
        chunk, size = [], 0
        for line in lines:
            if size + len(line) > 4000 and chunk:
                self.write(b''.join(chunk))
                chunk, size = [], 0
            chunk.append(line)
            size += len(line)
        if chunk:
            self.write(b''.join(chunk))

    def package(self, name, version, path, usec, attr):
        """Write (or batch) the 9-field P line of one module (docs/design.md);
        attr is (direct, imported_by, startup) as spool fields."""
        # The three text fields encoded and checked at once; field by field
        # when one needs escaping or they do not join (2.7's str and unicode
        # mixed, a value that is not text).
        try:
            fields = _b('\t'.join((name, version or '', path or '')))
        except Exception:
            fields = None
        if fields is None or len(fields.translate(None, _SPECIAL)) != len(fields) - 2:
            fields = b'\t'.join([_esc(_b(f)) for f in (name, version or '', path or '')])
        line = b'\t'.join((
            b'P\tpython', fields,
            b'' if usec is None else str(int(usec)).encode('ascii'),
            attr[0], attr[1], attr[2])) + b'\n'
        if self.batch is not None:
            self.batch.append(line)
        elif self.holding:
            self.held.append(line)
            if not self.holding:  # that import ended meanwhile
                self.release()
        else:
            self.write(line)


_st = None  # the _State of a tracked run, else None
_clock = None  # time.perf_counter, imported only by tracked runs


# --- where a module came from, and its version --------------------------------

def _dirname(p):
    """os.path.dirname(p), without its two calls for the common case (a
    str with a directory part): that is rpartition's head without its
    trailing separators, unless nothing is left (dirname then gives the
    root, or '')."""
    if isinstance(p, str):
        head = p.rpartition(os.sep)[0].rstrip(os.sep)
        if head:
            return head
    return os.path.dirname(p)


def _spec_path(spec):
    """File or directory a spec loads from.

    Built-in and frozen modules carry their origin, `built-in` or `frozen`,
    as XALT's hook does, so an XALT site's `SKIP path ^[^/]` rule decides
    as it did under XALT (issue 12 item 9).
    """
    origin = getattr(spec, 'origin', None)
    locs = getattr(spec, 'submodule_search_locations', None)
    if origin and getattr(spec, 'has_location', False):
        if locs is not None:
            return _dirname(origin)  # a package: its directory
        return origin
    if locs is not None:
        for loc in locs:  # a namespace package: its first portion
            return loc
    if origin in _ORIGINS:
        return origin
    return ''


_ORIGINS = ('built-in', 'frozen')


def _module_path(mod):
    """Path of an already loaded module, from __spec__ or __file__."""
    d = vars(mod)
    spec = d.get('__spec__')
    if spec is not None:
        path = _spec_path(spec)
        if path:
            return path
    # No spec (2.7, or one without a location): a built-in has no file.
    f = d.get('__file__')
    if not f:
        return 'built-in' if d.get('__name__') in sys.builtin_module_names else ''
    if '__path__' in d:
        return os.path.dirname(f)
    if f.endswith('.pyc') or f.endswith('.pyo'):
        f = f[:-1]  # 2.7 reports the byte code next to the source
    return f


def _norm(name):
    """Distribution/module name in one form: lower case, '-' and '.' -> '_'."""
    return name.lower().replace('-', '_').replace('.', '_')


def _meta_version(meta):
    """The Version: header of a METADATA/PKG-INFO file (or egg-info dir)."""
    if os.path.isdir(meta):
        for n in ('METADATA', 'PKG-INFO'):
            p = os.path.join(meta, n)
            if os.path.isfile(p):
                meta = p
                break
        else:
            return None
    try:
        with open(meta, 'rb') as f:
            for _ in range(64):  # the header comes first
                line = f.readline()
                if not line or line in (b'\n', b'\r\n'):
                    break
                if line.startswith(b'Version:'):
                    v = line[8:].strip()
                    return v.decode('utf-8', 'replace') if _PY3 else v
    except (IOError, OSError):
        pass
    return None


def _dist_index(site):
    """(names, text, any) of a dir: its listing, the same names normalised
    (_norm, keeping the '-' before a version) one per line of a text, each
    metadata dir's (.dist-info, .egg-info) with its suffix replaced by a
    \x01 mark, and whether there is any. Cached: one listdir per directory
    per run.

    No Python code runs per entry: a few string operations over the whole
    listing do the work, and _dist_find searches the text. Indexing Debian's
    179 entries one by one cost 0.45 M instructions, most of a start's
    version lookup (and a conda environment lists hundreds); filtering them
    with endswith alone cost 0.17 M.
    """
    idx = _st.dists.get(site)
    if idx is not None:
        return idx
    try:
        names = os.listdir(site)
        text = '\n'.join([''] + names + [''])
        if text.count('\n') != len(names) + 1:  # a name with a line feed in it
            names = [n for n in names if '\n' not in n]
            text = '\n'.join([''] + names + [''])
    except (OSError, ValueError, TypeError):  # 2.7: str and unicode names mixed
        names, text = [], '\n'
    text = text.replace('.dist-info\n', '\x01\n').replace('.egg-info\n', '\x01\n')
    text = text.lower().replace('.', '_')
    idx = _st.dists[site] = (names, text, '\x01' in text)
    return idx


def _dist_find(idx, key):
    """The first listed metadata dir of normalised dist name key, or None."""
    names, text, _ = idx
    if '\n' in key:  # would match across lines
        return None
    best = text.find('\n' + key + '\x01\n')  # no version in its name
    pat = '\n' + key + '-'
    pos = text.find(pat)
    while pos >= 0 and (best < 0 or pos < best):
        if text[text.find('\n', pos + 1) - 1] == '\x01':  # a metadata dir
            best = pos
            break
        pos = text.find(pat, pos + 1)
    return None if best < 0 else names[text.count('\n', 0, best)]


def _dist_info_after(idx, cur):
    """(the first metadata dir listed at or after offset cur of the text,
    the offset after it), or (None, cur)."""
    names, text, _ = idx
    end = text.find('\x01\n', cur)
    if end < 0:
        return None, cur
    return names[text.count('\n', 0, end) - 1], end + 2


def _info_version(site, info):
    """A dist's version from its metadata dir's name (name-ver.dist-info,
    name-ver[-pyX.Y].egg-info), else from the file in it."""
    parts = info.rpartition('.')[0].split('-')
    if len(parts) > 1 and parts[1]:
        return parts[1]
    return _meta_version(os.path.join(site, info))


def _read_small(path):
    """The first 64 KiB of a file as bytes, or None; never raises.

    os.open/os.read/os.close: 3 system calls, where open() and its buffered
    file object make 9 (fstat twice, ioctl, lseek twice, read twice): this
    runs for every top_level.txt read at a Python start (bench/RESULTS.md,
    "Issue 11 speed").
    """
    try:
        fd = os.open(path, os.O_RDONLY | _CLOEXEC)
    except OSError:
        return None
    try:
        return os.read(fd, 65536)
    except OSError:
        return None
    finally:
        os.close(fd)


def _top_level_dist(site, idx, name):
    """The metadata dir in dir `site` whose top_level.txt lists module `name`.

    The files are read in listing order, only until one lists `name`, and
    what was read is kept for the next name (st.toplevel[site]: the map so
    far and the dirs not read yet). The first dist listing a name wins, as
    if all were read at once. Reading all 33 of Debian's costs 1.7-2.4 ms
    at every start that has matplotlib's mpl_toolkits (its .pth file imports
    it): stopping at the first hit reads 9 of them.
    """
    tl = _st.toplevel.get(site)
    if tl is None:
        tl = _st.toplevel[site] = ({}, [0])
    found, cur = tl  # cur: where the dirs not read yet start in the text
    hit = found.get(name)
    while hit is None:
        # threads importing at once may read a file twice, never skip one
        info, cur[0] = _dist_info_after(idx, cur[0])
        if info is None:
            break
        data = _read_small(site + '/' + info + '/top_level.txt') or b''
        # one name per line: split() drops the blank ones and the spaces
        for line in (data.decode('utf-8', 'replace') if _PY3 else data).split():
            found.setdefault(line, info)
        hit = found.get(name)
    return hit


def _version(name, path, mod):
    """Version of top-level module `name` loaded from `path`, or None.

    The distribution's metadata next to it (matched by normalised name, then
    by top_level.txt), else the module's own __version__ (read from its dict:
    never getattr). The interpreter's own library has no version of its own:
    None (the I line carries the interpreter's).
    """
    # Most modules at a start are the interpreter's: told by their file's
    # directory.
    if not path or path in _ORIGINS:
        return None
    site = _dirname(path)
    if site in _st.stdlib:
        return None
    hit = None
    # A private name is never looked up in the dir: no distribution name
    # starts with '_' (PEP 508: a letter or digit), and top_level.txt is not
    # read for it (skipped by the default filters). Debian's setuptools
    # imports _distutils_hack at every start from a .pth file; listing its
    # dist-packages costs 230-330 us (129 entries).
    if not name.startswith('_'):
        idx = _dist_index(site)
        if idx[2]:  # a dir without metadata needs no search
            hit = _dist_find(idx, _norm(name))
            # top_level.txt files are read only until the name is found,
            # once per dir.
            if hit is None:
                hit = _top_level_dist(site, idx, name)
    if hit is not None:
        ver = _info_version(site, hit)
        if ver:
            return ver
    if mod is not None:
        v = vars(mod).get('__version__')
        if isinstance(v, str):
            return v
    return None


def _record_loaded(name, mod, usec, attr, path=None):
    """Write the P line of a loaded module (version only for top-level)."""
    if path is None:
        path = _module_path(mod)
    ver = None if '.' in name else _version(name, path, mod)
    _st.package(name, ver, path, usec, attr)


def _done(name, spec, module, usec, attr):
    """After a timed load (3.x): write the line; never raises. From now
    on the package's functions that run count as its use."""
    try:
        path = _spec_path(spec) or _module_path(module)
        _st.package(name, _version(name, path, module), path, usec, attr)
        _st.uses.setdefault(name, 0)
    except Exception:
        pass


def _found(name, spec, attr):
    """A submodule was found (3.x): write its line now; never raises."""
    try:
        _st.package(name, None, _spec_path(spec), None, attr)
        if '.' not in name:
            _st.uses.setdefault(name, 0)
    except Exception:
        pass


# --- who imported it --------------------------------------------------------------
#
# The importer is the first frame above the import machinery: importlib's
# frozen frames, ours (they carry importlib's file name, see _as_importlib)
# and importlib.import_module. Its module decides (docs/python.md):
#  - `__main__` (a script, -c, -m, interactive), or runpy importing the
#    package of `-m pkg.mod`: direct;
#  - site, sitecustomize, usercustomize, or anything while the shadowed
#    sitecustomize runs: start-up;
#  - code in a file under the interpreter's prefixes or a site dir: pulled
#    in by that module's top-level package (imported_by);
#  - code in any other file: the user's own module: direct.

_DIRECT = (b'1', b'', b'0')
_STARTUP = (b'0', b'', b'1')
_UNKNOWN = (b'', b'', b'')
_NOT_STARTUP = (b'', b'', b'0')
_STARTUP_MODULES = ('site', 'sitecustomize', 'usercustomize')


def _is_lib(fn):
    """1 when file name fn is the interpreter's or an installed package's."""
    st = _st
    v = st.islib.get(fn)
    if v is None:
        v = 1 if (fn.startswith(st.libdirs) or '/site-packages/' in fn
                  or '/dist-packages/' in fn) else 0
        st.islib[fn] = v
    return v


def _attribution(f):
    """(direct, imported_by, startup) spool fields for an import whose
    machinery's frames start at frame f; never raises."""
    try:
        while f is not None:
            code = f.f_code
            fn = code.co_filename
            if fn.startswith('<frozen importlib') or (
                    code.co_name == 'import_module'
                    and fn.endswith('importlib/__init__.py')):
                f = f.f_back
                continue
            break
        else:
            return _UNKNOWN
        if _st.starting:
            return _STARTUP
        g = f.f_globals
        name = g.get('__name__')
        if name == '__main__' or (name == 'runpy'
                                  and code.co_name == '_get_module_details'):
            return _DIRECT
        if name in _STARTUP_MODULES:
            return _STARTUP
        if fn[:1] == '<':  # frozen or exec'd code: judge by its module's file
            fn = g.get('__file__') or fn
        if fn.startswith('<frozen') or fn[:1] != '<' and _is_lib(fn):
            top = name.partition('.')[0] if isinstance(name, str) else ''
            return (b'0', _esc(_b(top)), b'0')
        if fn[:1] == '<':
            return _NOT_STARTUP  # text exec'd by someone: who, we cannot tell
        return _DIRECT
    except Exception:
        return _UNKNOWN


# --- the finder -----------------------------------------------------------------
#
# The 3.x finder and loader wrapper carry importlib's own file name (see
# _as_importlib). Their frames sit on the user's import stack, and CPython's
# traceback trimming of import frames (import.c remove_importlib_frames) and
# warnings' stacklevel walk (_is_internal_frame: 'importlib' and '_bootstrap'
# in the file name) then skip them as they skip importlib's: an error or a
# warning raised while importing reads exactly as without the hook
# (t/t1000-python-hook.sh compares them).

class _TimedLoader(object):
    """Stands in for a top-level module's loader while it loads: times
    create_module..exec_module, forwards every other attribute, and puts the
    original loader back on spec and module before the module's code runs.

    While a library's module (hold: the interpreter's or an installed one,
    _is_lib; 3.7+) runs its code, the lines found meanwhile (by any thread)
    are held and written together when the outermost such import ends, its
    own line with them: numpy's hundreds of submodules cost a few
    open/write/close instead of one each. A run killed meanwhile loses the
    lines held then; exit writes them (_final_lines), a fork()ed child
    leaves them to its parent (_install). The user's own modules never hold:
    a script imported as a module may run the whole job in its body."""

    __slots__ = ('_x_loader', '_x_spec', '_x_t0', '_x_attr', '_x_hold')

    def __init__(self, loader, spec, attr, hold):
        self._x_loader = loader
        self._x_spec = spec
        self._x_t0 = None
        self._x_attr = attr
        self._x_hold = hold

    def __getattr__(self, attr):
        if attr.startswith('_x_'):  # a slot not set yet: no recursion
            raise AttributeError(attr)
        return getattr(self._x_loader, attr)

    def create_module(self, spec):
        self._x_t0 = _clock()
        return self._x_loader.create_module(spec)

    def exec_module(self, module):
        loader = self._x_loader
        spec = self._x_spec
        try:
            if spec.loader is self:
                spec.loader = loader
            if vars(module).get('__loader__') is self:
                module.__loader__ = loader
        except Exception:
            pass
        t0 = self._x_t0
        if t0 is None:
            t0 = _clock()
        st = _st if self._x_hold else None
        try:
            if st is not None:
                st.holding.append(None)
            loader.exec_module(module)  # its errors pass through untouched
            _done(spec.name, spec, module, (_clock() - t0) * 1e6, self._x_attr)
        finally:
            if st is not None:
                try:
                    st.holding.pop()  # (another thread's entry, if a signal
                                      # came before ours: it releases early)
                except IndexError:
                    pass  # a fork()ed child let go of its parent's (_install)
                if not st.holding:
                    st.release()


_HOLDS = False  # a library's import holds lines (3.7+: os.register_at_fork)


class _Finder(object):
    """sys.meta_path[0]: asks the finders behind it, returns their answer."""

    def find_spec(self, fullname, path=None, target=None):
        st = _st
        if not st.on or fullname in st.seen:
            return None
        # Only real imports (not importlib.util.find_spec probes) are
        # recorded; everything else is left to the finders behind us.
        try:
            f = sys._getframe(2)
            if f.f_code.co_name != '_find_and_load_unlocked':
                return None
        except Exception:
            return None
        st.seen.add(fullname)
        spec = None
        after = False
        for finder in sys.meta_path:
            if not after:
                after = finder is self
                continue
            fs = getattr(finder, 'find_spec', None)
            if fs is None:
                # A find_module-only finder: importlib's own loop (and its
                # warning) must handle it and everything behind it.
                return None
            spec = fs(fullname, path, target)
            if spec is not None:
                break
        if spec is None:
            return None
        attr = _attribution(f)
        if '.' in fullname:
            _found(fullname, spec, attr)
        else:
            loader = spec.loader
            if loader is not None and hasattr(loader, 'exec_module') \
                    and hasattr(loader, 'create_module'):
                try:
                    origin = spec.origin
                    spec.loader = _TimedLoader(loader, spec, attr, (
                        _HOLDS and isinstance(origin, str) and _is_lib(origin)))
                except Exception:
                    _found(fullname, spec, attr)
            else:
                _found(fullname, spec, attr)
        return spec


_IMPORTLIB_FILE = '<frozen importlib._bootstrap_external>'


def _as_importlib(f, name=None, filename=_IMPORTLIB_FILE):
    """Give function f importlib's file name, and name when given (see above).

    code.replace() on 3.8+, the CodeType constructor on 3.6/3.7; about 10 us,
    where compiling the same source at start cost 0.9 ms. The functions hold
    no nested code objects (no comprehensions or lambdas), so one level
    suffices.
    """
    code = f.__code__
    name = name or code.co_name
    if hasattr(code, 'replace'):
        f.__code__ = code.replace(co_filename=filename, co_name=name)
    else:
        f.__code__ = type(code)(
            code.co_argcount, code.co_kwonlyargcount, code.co_nlocals,
            code.co_stacksize, code.co_flags, code.co_code,
            code.co_consts, code.co_names, code.co_varnames,
            filename, name, code.co_firstlineno,
            code.co_lnotab, code.co_freevars, code.co_cellvars)


def _methods_as_importlib(cls):
    for f in vars(cls).values():
        if getattr(f, '__code__', None) is not None:
            _as_importlib(f)


# 2.7 only: a class costs 3.x some 60,000 instructions to create (type_new).
if not _PY3:
    class _Finder2(object):
        """Python 2.7 meta_path finder: notes each first import, never loads.

        2.7 asks meta_path finders for a loader; returning None leaves the
        import to the built-in machinery, unchanged. Names noted here are
        written (with path and version) at the next import or at exit, once
        in sys.modules.
        """

        def find_module(self, fullname, path=None):
            st = _st
            if st is None or not st.on:
                return None
            try:
                if st.pending:
                    _flush_pending(fullname)
                if fullname not in st.seen:
                    st.seen.add(fullname)
                    st.pending.append(fullname)
                    st.attr[fullname] = _attribution(sys._getframe(1))
            except Exception:
                pass
            return None


def _flush_pending(importing=None):
    """2.7: write the noted modules now loaded.

    A package whose submodule is being imported (`importing`) is still running
    its own code: it waits, so its __version__ is set when we look. At exit
    (importing None) whatever is not in sys.modules failed and is dropped.
    """
    keep = []
    mods = sys.modules
    for name in _st.pending:
        mod = mods.get(name)
        if importing is not None and (
                mod is None and name not in mods
                or importing.startswith(name + '.')):
            keep.append(name)  # still loading
        elif mod is not None:
            try:
                _record_loaded(name, mod, None, _st.attr.pop(name, _UNKNOWN))
            except Exception:
                pass
    _st.pending = keep


def _at_exit():
    try:
        if _st is not None and _st.pending:
            _flush_pending()
    except Exception:
        pass


# --- usage (3.12+): which packages' code ran -----------------------------------------
#
# sys.monitoring with a tool id of our own (4, else 3: 0-2 and 5 are the
# debugger's, coverage's, the profiler's and the optimizer's; none free:
# nothing, and `used` stays unknown). PY_START fires at the first run of
# each code object: a function of a loaded package counts as its use, and
# user code gets CALL events so its calls of C callables (numpy ufuncs,
# C functions of an extension) count too. Every callback returns DISABLE:
# each code object and each call site costs one event, then nothing, so a
# hot loop runs at full speed. Module and class bodies (no CO_NEWLOCALS)
# are imports, not use. Functions that ran during their package's own
# import are disabled before it is loaded and are not counted later.

_CO_NEWLOCALS = 0x2
# The import system's code (importlib's; zipimport's, the first path hook;
# our finder's, which carries importlib's file name) runs for every import:
# never a use of anything. It is charged to the owner 0, which is no
# package. (Once importlib is imported, its frozen modules are named
# importlib._bootstrap*, and their functions were counted as importlib's.)
_IMPORT_SYSTEM = ('<frozen importlib._bootstrap>',
                  '<frozen importlib._bootstrap_external>', '<frozen zipimport>')


def _use(top, key, keep):
    """Count a function of package top: key is id(code), kept as keep (a
    code object hashes its whole contents, 0.6 us a time: the id is what
    was looked up twice per event), or ~id of a C callable with keep None."""
    st = _st
    n = st.uses.get(top)
    if n is None or key in st.counted:
        return
    st.counted[key] = keep
    st.uses[top] = n + 1
    if not n:  # the first use: now, so a killed run keeps it
        st.written[top] = 1
        st.write(b'U\tpython\t' + _esc(_b(top)) + b'\t1\n')


def _is_user_code(code, g):
    """Code of the user's own (see _attribution), from its file or module
    (g, the globals running it, is read only for names like <string>)."""
    fn = code.co_filename
    if fn[:1] == '<':
        return g.get('__name__') == '__main__'
    return not _is_lib(fn)


_USER = ('user code',)  # _code_owner's answer for the user's own code


def _code_owner(code, fn):
    """_USER, or the top-level package whose module runs code (from the
    frame that started it: ours are _on_start's and this one).

    Kept per file name: one file is one module's code, so the frame is
    fetched once per file, not per code object (298 callbacks in a start
    importing 30 packages). Not kept: names like <string>, which are not one
    module's (exec'd text, namedtuple's and dataclasses' generated code).
    A module or class body asks too: its file is then known for the
    functions that follow. The import system's files (our finder's code
    among them) are known from the start (_IMPORT_SYSTEM).
    """
    g = sys._getframe(2).f_globals
    if _is_user_code(code, g):
        owner = _USER
    else:
        name = g.get('__name__')
        owner = name.partition('.')[0] if isinstance(name, str) else ''
    if fn[:1] != '<' or fn.startswith('<frozen'):
        _st.owners[fn] = owner
    return owner


def _on_start(code, offset):
    try:
        fn = code.co_filename
        owner = _st.owners.get(fn)
        if owner is None:
            owner = _code_owner(code, fn)
        if owner is _USER:
            _MON.set_local_events(_st.tool, code, _CALL)
        elif code.co_flags & _CO_NEWLOCALS and owner in _st.uses:
            _use(owner, id(code), code)
    except Exception:
        pass
    return _DISABLE


def _on_call(code, offset, func, arg0):
    try:
        c = getattr(func, '__code__', None)
        if c is None:
            f = getattr(func, '__func__', None)  # a bound method
            c = getattr(f, '__code__', None)
        if c is not None:
            key, mod = id(c), getattr(func, '__module__', None)
        else:  # a C callable: its module, or its type's, or its self's type's
            key, c = ~id(func), None
            mod = getattr(func, '__module__', None)
            if not isinstance(mod, str):
                self = getattr(func, '__self__', None)
                mod = type(func if self is None or isinstance(self, type(sys))
                           else self).__module__
        if isinstance(mod, str):
            _use(mod.partition('.')[0], key, c)
    except Exception:
        pass
    return _DISABLE


def _final_lines():
    """At exit (3.7+, or wherever sys.monitoring is): the lines still held
    (another thread's import was running), a U line for each package whose count grew since its last,
    then usage tracking ends and the tool id is given back.

    Ending it is also what lets the interpreter drop this module cheaply at
    shutdown: callbacks still registered keep the module alive into the
    last stage of finalization, where its dict is cleared name by name and
    collected three more times (0.54 M instructions of 3.12's `-c pass`).
    """
    st = _st
    st.release()
    try:
        lines = [b'U\tpython\t%s\t%d\n' % (_esc(_b(top)), n)
                 for top, n in st.uses.items() if n > st.written.get(top, 0)]
        if lines:
            st.batch = lines
            st.flush()
    except Exception:
        pass
    try:
        tid, st.tool = st.tool, None
        if tid is not None:
            _MON.set_events(tid, 0)
            _MON.register_callback(tid, _MON.events.PY_START, None)
            _MON.register_callback(tid, _CALL, None)
            _MON.free_tool_id(tid)
    except Exception:
        pass


def _monitor(st):
    """Start usage tracking if this Python has sys.monitoring and a free id."""
    global _MON, _CALL, _DISABLE
    mon = getattr(sys, 'monitoring', None)
    if mon is None:
        return
    for tid in (4, 3):
        if mon.get_tool(tid) is None:
            break
    else:
        _trace('no free sys.monitoring tool id: package use is not tracked')
        return
    _MON, _CALL, _DISABLE = mon, mon.events.CALL, mon.DISABLE
    mon.use_tool_id(tid, 'xalt')
    st.tool = tid
    mon.register_callback(tid, mon.events.PY_START, _on_start)
    mon.register_callback(tid, mon.events.CALL, _on_call)
    mon.set_events(tid, mon.events.PY_START)
    st.write(b'M\tpython\ton\n')


_MON = _CALL = _DISABLE = None


def _startup_over():
    """Start-up is over: what is imported from now on is the program's, and
    usage tracking starts (3.12+); never raises."""
    _st.starting = False
    try:
        _monitor(_st)
    except Exception as e:
        _trace('package use not tracked: %r' % (e,))


def _after_site():
    """End start-up once site has run usercustomize, its step after us in
    site.main; at once when it will not (no user site, or we were not
    imported by site.main).

    site's search for a usercustomize is start-up: the 30 functions of
    importlib it runs cost 0.5 M instructions of instrumenting and callbacks
    on 3.12 when monitored, a tenth of a tracked start. What a
    usercustomize imports and runs is start-up too. Our stand-in for
    site.execusercustomize puts site's own back before calling it, and
    carries the name of importlib's frame-trimming function, so tracebacks
    and warnings from a usercustomize read as without us (t1000).
    """
    if _HOLDS or hasattr(sys, 'monitoring'):
        # registered before a usercustomize's exit handlers: runs after them
        import atexit  # already loaded by _install: no finder, no P line
        atexit.register(_final_lines)
    site = sys.modules.get('site')
    run = getattr(site, 'execusercustomize', None)
    main = getattr(getattr(site, 'main', None), '__code__', None)
    f = sys._getframe()
    while f is not None and f.f_code is not main:
        f = f.f_back
    if not (_PY3 and f is not None and callable(run)
            and getattr(site, 'ENABLE_USER_SITE', False)):
        _startup_over()
        return

    def execusercustomize():
        site.execusercustomize = run
        try:
            run()
        finally:
            _startup_over()
    _as_importlib(execusercustomize, '_call_with_frames_removed',
                  '<frozen importlib._bootstrap>')
    site.execusercustomize = execusercustomize


# --- start ------------------------------------------------------------------------

def _interpreter_line():
    """The I line: program, version, kind (conda/venv/system), prefix."""
    prefix = sys.prefix
    if os.path.isdir(os.path.join(prefix, 'conda-meta')):
        kind = 'conda'
    elif (getattr(sys, 'base_prefix', prefix) != prefix
          or getattr(sys, 'real_prefix', None)):
        kind = 'venv'
    else:
        kind = 'system'
    version = sys.version.split()[0]
    return b'\t'.join((b'I', b'python', _esc(_b(version)), _b(kind),
                       _esc(_b(prefix)))) + b'\n'


def _start():
    """Install the finder if this process is a tracked PKGS run."""
    global _st
    env = os.environ
    uuid = env.get('XALT_RUN_UUID')
    spool = env.get('XALT_SPOOL_DIR')
    if not uuid or not spool:
        return
    pid = os.getpid()
    if not os.path.basename(spool.rstrip('/')).endswith('.%d' % pid):
        _trace('spool %s is not this process (%d): not recording' % (spool, pid))
        return
    try:
        _install(os.path.join(spool, 'pkgs'), spool)
    except Exception:
        _st = None  # a half-made start records nothing
        raise


def _lib_dirs():
    """The directories whose code is not the user's: the interpreter's
    prefixes, site dirs and our own, each ending in '/' ('/' itself is
    left out: it would hold everything)."""
    dirs = set()
    site = sys.modules.get('site')
    for d in (sys.prefix, sys.exec_prefix, getattr(sys, 'base_prefix', None),
              getattr(sys, 'base_exec_prefix', None),
              getattr(sys, 'real_prefix', None),
              getattr(site, 'USER_SITE', None),
              os.path.dirname(os.path.abspath(__file__))):
        if d and isinstance(d, str) and d != os.sep:
            dirs.add(d.rstrip(os.sep) + os.sep)
    return tuple(dirs)


def _install(path, spool):
    """Write the I line and the sweep, put the finder in place.

    The I line and the sweep go out in one open/write/close (a tracked start
    made four before: a test open, the I line, the sweep, the M line); if it
    fails, nothing is installed. The modules the hook itself needs later
    (time, and atexit where it is used) are imported first, so they are in
    sys.modules before the finder exists, like site's own imports, and
    never pass through it.
    """
    global _st, _clock, _HOLDS
    st = _State(path)
    st.module = sys.modules.get(__name__)
    lib = os.path.dirname(os.__file__)
    st.stdlib = (lib, os.path.join(lib, 'lib-dynload'))
    st.libdirs = _lib_dirs()
    _st = st
    if _PY3:
        from time import perf_counter
        _clock = perf_counter
    if hasattr(os, 'register_at_fork'):  # 3.7+: a library's import holds
        # In a fork()ed child the lines held until then are the parent's to
        # write, and the child holds nothing: the parent's other threads
        # are gone, and a worker forked inside an import may end with
        # os._exit before that import would. The lists' own clear methods:
        # a function of ours would keep this module alive into the last
        # stage of finalization (0.6 M instructions of 3.12's -c pass).
        os.register_at_fork(after_in_child=st.held.clear)
        os.register_at_fork(after_in_child=st.holding.clear)
        _HOLDS = True
    if not _PY3 or _HOLDS or hasattr(sys, 'monitoring'):
        import atexit  # noqa: F401 (2.7's pending names, 3.7+'s held
                       # lines and 3.12+'s counts: _final_lines)

    # Everything imported before the finder exists (site, .pth files, ...)
    # but the modules compiled into the interpreter, built in or frozen: on
    # 3.11+ its whole start (os, io, codecs, site...), the same in every
    # run; writing them cost 0.7 M instructions of a 44 M `-c pass`.
    st.batch = [_interpreter_line()]
    for name, mod in list(sys.modules.items()):
        if mod is None or name in ('__main__', __name__):
            continue
        try:
            path = _module_path(mod)
            if path in _ORIGINS:
                continue
            st.seen.add(name)
            if '.' not in name:
                st.uses[name] = 0
            _record_loaded(name, mod, None, _STARTUP, path)
        except Exception:
            pass  # not a module (sys.modules may hold any object): skip it
    st.flush()
    if not st.on:
        _st = None
        _trace('cannot write spool %s: %s' % (spool, st.error))
        return

    if _PY3:
        _methods_as_importlib(_TimedLoader)
        _methods_as_importlib(_Finder)
        finder = _Finder()
    else:
        finder = _Finder2()
        import atexit
        atexit.register(_at_exit)
    finder._xalt_module = st.module
    sys.meta_path.insert(0, finder)
    _trace('recording imports into %s' % spool)


try:
    _start()
except Exception as _e:  # never break the user's program
    _trace('disabled: %r' % (_e,))


# --- chaining ---------------------------------------------------------------------

def _ours(p):
    """1 when sys.path entry p names our directory."""
    return os.path.abspath(p or '.') == _HERE


def _next_path():
    """sys.path entries after our own directory: where the shadowed one is.

    Every entry naming our directory is dropped, so a copy of us found later
    (our dir twice on sys.path) cannot chain to itself; each chained hook
    searches strictly further along sys.path.
    """
    path = sys.path
    for i, p in enumerate(path):
        if _ours(p):
            return [q for q in path[i + 1:] if not _ours(q)]
    return [q for q in path if not _ours(q)]


def _leave_path():
    """Take our directory off sys.path once we are loaded.

    It holds nothing else a program imports, and every import that misses
    sys.modules would look into it first: about 50,000 instructions per
    import (1.8 M of a start importing 30 packages on 3.12). sys.path is then
    what it is without XALT; the environment's PYTHONPATH is untouched, so
    child Pythons that inherit it load the hook as this one did.
    """
    if any(_ours(p) for p in sys.path):
        sys.path[:] = [p for p in sys.path if not _ours(p)]


def _chain():
    """Find the sitecustomize we shadow; return a function that runs it.

    Finding is ours (errors swallowed); running is the shadowed module's own
    import, so its errors reach site.py as they would without us.
    """
    path = _next_path()
    if _PY3:
        boot = sys.modules['_frozen_importlib']
        spec = sys.modules['_frozen_importlib_external'].PathFinder.find_spec(
            'sitecustomize', path)
        if spec is None or spec.loader is None:
            return None

        def run():
            mod = boot.module_from_spec(spec)
            sys.modules['sitecustomize'] = mod
            spec.loader.exec_module(mod)
        return run
    import imp
    try:
        found = imp.find_module('sitecustomize', path)
    except ImportError:
        return None

    def run2():
        f = found[0]
        sys.modules.pop('sitecustomize', None)
        try:
            imp.load_module('sitecustomize', *found)
        finally:
            if f is not None:
                f.close()
    return run2


try:
    _HERE = os.path.dirname(os.path.abspath(__file__))
    _run_chained = _chain()
except Exception as _e:
    _trace('cannot look for the shadowed sitecustomize: %r' % (_e,))
    _run_chained = None
try:
    if _run_chained is not None:
        _trace('chaining to the shadowed sitecustomize')
        _run_chained()
finally:
    try:
        _leave_path()
    except Exception as _e:
        _trace('cannot take the hook off sys.path: %r' % (_e,))
    if _st is not None:
        # Start-up ends after the chain (a site's or env's own
        # sitecustomize gets the first pick of sys.monitoring's tool ids)
        # and after usercustomize.
        try:
            _after_site()
        except Exception as _e:
            _trace('cannot wait for usercustomize: %r' % (_e,))
            _startup_over()
