# XALT-style execution and package tracking: one plain Makefile.
#
# Targets:
#   make                 build everything into $(B)/
#   make check           unit tests (cmocka) and end-to-end tests (t/*.sh) via prove
#   make check-asan      the same suite, built with ASan+UBSan into build-asan/
#   make check-valgrind  the CLI tools under valgrind on a small corpus
#   make install         install into $(DESTDIR)$(PREFIX)
#   make bench           interleaved benchmarks; results in bench/RESULTS.md
#   make fuzz            bounded libFuzzer runs (clang)
#
# Knobs (override on the command line):
#   CC, CFLAGS, LDFLAGS  compiler and flags; CFLAGS is added to the required ones
#   PREFIX, DESTDIR      install location (PREFIX=/usr/local) and staging root
#   B                    build directory (default build); several can coexist
#   SANITIZE=1           build with -fsanitize=address,undefined
#   V=1                  print full commands instead of "CC file"
#   PROVE_OPTS           extra options for prove (e.g. -j2, -v)

CC ?= cc
PREFIX ?= /usr/local
DESTDIR ?=
B ?= build
PROVE ?= prove
PROVE_OPTS ?=
VERSION := 1.0.0

REQ_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -gdwarf-4 -MMD -MP \
	-Isrc/common -DXALT_VERSION='"$(VERSION)"'
CFLAGS ?=
LDFLAGS ?=
ifeq ($(SANITIZE),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
ALL_CFLAGS = $(REQ_CFLAGS) $(SAN_FLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SAN_FLAGS) $(LDFLAGS)

ifneq ($(V),1)
QUIET_CC = @echo '   ' CC $@;
QUIET_LINK = @echo '   ' LINK $@;
QUIET_AR = @echo '   ' AR $@;
endif

# --- sources: every .c in a component directory belongs to it ---------------
COMMON_SRC  := $(wildcard src/common/*.c)
PRELOAD_SRC := $(wildcard src/preload/*.c)
RECPKG_SRC  := $(wildcard src/record-pkg/*.c)
CLI_MAIN    := src/cli/xalt.c
CLI_SRC     := $(filter-out $(CLI_MAIN),$(wildcard src/cli/*.c src/cli/*/*.c))
# The CLI's folders follow the data's path (ingest -> db -> report).
CLI_INC     := -Isrc/cli -Isrc/cli/ingest -Isrc/cli/db -Isrc/cli/report
UNIT_SRC    := $(wildcard t/unit/test-*.c)
FUZZ_SRC    := $(wildcard fuzz/fuzz-*.c)

# The preload library and everything linked into it is PIC with hidden symbols.
PIC_FLAGS := -fPIC -fvisibility=hidden
COMMON_OBJ  := $(COMMON_SRC:%.c=$(B)/%.o)
PRELOAD_OBJ := $(PRELOAD_SRC:%.c=$(B)/%.o)
RECPKG_OBJ  := $(RECPKG_SRC:%.c=$(B)/%.o)
CLI_OBJ     := $(CLI_SRC:%.c=$(B)/%.o)
UNIT_BIN    := $(UNIT_SRC:t/unit/%.c=$(B)/t/unit/%)
FUZZ_REPLAY := $(FUZZ_SRC:fuzz/%.c=$(B)/fuzz/%-replay)

CLI_LIBS := -ljansson -lsqlite3 -lpq -lm
UNIT_LIBS := -lcmocka $(CLI_LIBS) -lpthread

PRELOAD_SO := $(B)/libxalt_init.so
XALT_BIN   := $(B)/xalt
RECPKG_BIN := $(B)/xalt_record_pkg

all: $(PRELOAD_SO) $(XALT_BIN) $(RECPKG_BIN) $(UNIT_BIN) $(FUZZ_REPLAY)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) $(PIC_FLAGS) -c -o $@ $<

$(CLI_OBJ) $(B)/$(CLI_MAIN:.c=.o): ALL_CFLAGS += $(CLI_INC)
# xalt recover builds records with the library's own code (src/preload/recover.c).
$(B)/src/cli/cmd-recover.o: ALL_CFLAGS += -Isrc/preload

$(B)/libcommon.a: $(COMMON_OBJ)
	$(QUIET_AR)rm -f $@ && ar rcs $@ $^
# Not init.o (the constructor) nor signals.o (it interposes sigaction and
# signal, which the unit tests and cmocka must get from libc).
$(B)/libpreload.a: $(filter-out $(B)/src/preload/init.o $(B)/src/preload/signals.o,$(PRELOAD_OBJ))
	$(QUIET_AR)rm -f $@ && ar rcs $@ $^
$(B)/libcli.a: $(CLI_OBJ)
	$(QUIET_AR)rm -f $@ && ar rcs $@ $^

# libc only: no -l flags here, ever (t/t0001 checks with readelf -d).
# -nostartfiles: no crtbegin/crtend. Their code (TM clone tables, a .bss
# flag read then written at exit, weak symbols the loader looks up in vain)
# serves C++ and gprof, and costs every exec 4 symbol lookups and 2 page
# faults; our constructor and destructor run from .init_array/.fini_array,
# which the loader runs either way (bench/RESULTS.md, "SKIP path").
$(PRELOAD_SO): $(PRELOAD_OBJ) $(B)/libcommon.a src/preload/exports.map
	$(QUIET_LINK)$(CC) -shared -nostartfiles -Wl,--version-script=src/preload/exports.map \
		-Wl,-z,now -Wl,--as-needed $(ALL_LDFLAGS) -o $@ $(PRELOAD_OBJ) $(B)/libcommon.a

$(RECPKG_BIN): $(RECPKG_OBJ) $(B)/libcommon.a
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $^

$(XALT_BIN): $(B)/$(CLI_MAIN:.c=.o) $(B)/libcli.a $(B)/libpreload.a $(B)/libcommon.a
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CLI_LIBS)

$(B)/t/unit/%: t/unit/%.c $(B)/libpreload.a $(B)/libcli.a $(B)/libcommon.a
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -Isrc/preload $(CLI_INC) -Isrc/record-pkg $(ALL_LDFLAGS) \
		-o $@ $< $(B)/libpreload.a $(B)/libcli.a $(B)/libcommon.a $(UNIT_LIBS)

# Fuzz harnesses without libFuzzer: replay.c feeds them the committed corpus
# (t/t4300-fuzz-corpus.sh), so every build, ASan included, runs them.
FUZZ_LIBS = $(B)/libpreload.a $(B)/libcli.a $(B)/libcommon.a $(CLI_LIBS)
$(B)/fuzz/%-replay: fuzz/%.c fuzz/replay.c fuzz/fuzz.h $(B)/libpreload.a $(B)/libcli.a $(B)/libcommon.a
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -Isrc/preload $(CLI_INC) $(ALL_LDFLAGS) \
		-o $@ $< fuzz/replay.c $(FUZZ_LIBS)

# --- install ------------------------------------------------------------------
INST = $(DESTDIR)$(PREFIX)
# Interpreters that byte-compile the Python hook at install: users cannot
# write into site/, and an uncompiled hook costs every Python start about
# 3 ms of compiling (docs/python.md). compileall makes __pycache__ and the
# .pyc files with the umask: 022, or under root's 077 users could not read them.
# PYTHONDONTWRITEBYTECODE (common in containers) is for the user's runs, not
# for this step: it is unset here.
PY_COMPILE ?= $(wildcard /usr/bin/python3 $(HOME)/.pyenv/versions/*/bin/python)
install: all
	install -d -m 755 $(INST)/lib $(INST)/bin $(INST)/libexec $(INST)/etc $(INST)/site
	install -m 644 $(PRELOAD_SO) $(INST)/lib/libxalt_init.so
	install -m 755 $(XALT_BIN) $(INST)/bin/xalt
	install -m 755 $(RECPKG_BIN) $(INST)/libexec/xalt_record_pkg
	test -e $(INST)/etc/xalt.conf || install -m 644 etc/xalt.conf $(INST)/etc/xalt.conf
	for f in hooks/python/*.py hooks/R/*.site; do \
		test -e "$$f" && install -m 644 "$$f" $(INST)/site/ || :; done
	umask 022; for py in $(PY_COMPILE); do \
		env -u PYTHONDONTWRITEBYTECODE $$py -m compileall -q $(INST)/site >/dev/null 2>&1 || :; done
	@if test -f share/install.mk; then $(MAKE) --no-print-directory -f share/install.mk INST=$(INST) PREFIX=$(PREFIX) B=$(B) VERSION=$(VERSION) install-share; fi

# --- tests ----------------------------------------------------------------------
# Tests run against an installed tree, the layout users get.
TEST_PREFIX = $(abspath $(B))/inst
check: all
	@rm -rf $(TEST_PREFIX)
	@$(MAKE) --no-print-directory install PREFIX=$(TEST_PREFIX) DESTDIR= >/dev/null
	XALT_TEST_PREFIX=$(TEST_PREFIX) XALT_TEST_BUILD=$(abspath $(B)) XALT_TEST_ASAN=$(SANITIZE) \
		CMOCKA_MESSAGE_OUTPUT=TAP CC=$(CC) $(PROVE) $(PROVE_OPTS) $(UNIT_BIN) t/t[0-9]*.sh

check-asan:
	$(MAKE) B=build-asan SANITIZE=1 CC=$(CC) check

# The CLI tools under valgrind on a small corpus (scripts/check-valgrind.sh).
check-valgrind: all
	B=$(B) scripts/check-valgrind.sh

bench: all
	@rm -rf $(TEST_PREFIX)
	@$(MAKE) --no-print-directory install PREFIX=$(TEST_PREFIX) DESTDIR= >/dev/null
	XALT_TEST_PREFIX=$(TEST_PREFIX) XALT_TEST_BUILD=$(abspath $(B)) bench/run.sh

# --- fuzzing: bounded libFuzzer runs (clang), FUZZ_SECONDS per target ------------
# New inputs go to build-fuzz/corpus/<target>; copy the useful ones into
# fuzz/corpus/<target>/ to commit them. Crashes land in build-fuzz/.
FUZZ_SECONDS ?= 60
FB := build-fuzz
FUZZ_TARGETS := $(FUZZ_SRC:fuzz/%.c=%)
fuzz:
	$(MAKE) --no-print-directory B=$(FB) CC=clang SANITIZE=1 CFLAGS=-fsanitize=fuzzer-no-link \
		$(FB)/libpreload.a $(FB)/libcli.a $(FB)/libcommon.a
	@set -e; for t in $(FUZZ_TARGETS:fuzz-%=%); do \
		echo "    FUZZ $$t ($(FUZZ_SECONDS) s)"; \
		clang $(REQ_CFLAGS) -Isrc/preload $(CLI_INC) -fsanitize=fuzzer,address,undefined \
			-fno-sanitize-recover=undefined -o $(FB)/fuzz-$$t fuzz/fuzz-$$t.c \
			$(FB)/libpreload.a $(FB)/libcli.a $(FB)/libcommon.a $(CLI_LIBS); \
		mkdir -p $(FB)/corpus/$$t; \
		$(FB)/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -max_len=200000 -timeout=10 \
			-rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=$(FB)/$$t- \
			$(FB)/corpus/$$t fuzz/corpus/$$t 2>$(FB)/$$t.log || { tail -40 $(FB)/$$t.log; exit 1; }; \
		grep -E "stat::number_of_executed_units|stat::new_units_added" $(FB)/$$t.log | tr "\n" " "; echo; \
	done

clean:
	rm -rf $(B) build-asan build-fuzz

.PHONY: all install check check-asan check-valgrind bench clean fuzz
-include $(COMMON_OBJ:.o=.d) $(PRELOAD_OBJ:.o=.d) $(RECPKG_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(B)/$(CLI_MAIN:.c=.d)
