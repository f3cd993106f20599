# Install rules for what a site deploys besides the binaries: modulefiles,
# manual pages and documentation. Run by the main Makefile's install target:
#   $(MAKE) -f share/install.mk INST=$(DESTDIR)$(PREFIX) PREFIX=... B=... VERSION=... install-share
# INST is where files go (DESTDIR staging included); PREFIX is what goes
# *into* them: a modulefile must name the final prefix, never the stage
# (t/t5300-install.sh checks both).
#
# Pages are rendered from man/*.scd by scdoc into $(B)/man at install time.

INST ?= $(error INST is required)
PREFIX ?= $(error PREFIX is required)
B ?= build
VERSION ?= 0

SCDOC ?= scdoc
MAN_SRC := $(wildcard man/*.scd)
MAN_OUT := $(MAN_SRC:man/%.scd=$(B)/man/%)
DOCS := $(wildcard docs/*.md)

# Substitute the prefix and version; '|' cannot occur in a path we accept.
SUBST = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g'

install-share: install-modulefiles install-man install-docs

# Always rendered again: the pages contain PREFIX, which a file date cannot
# tell (scdoc takes a few ms per page). `.nh`: no hyphenation, so a path in
# a page can be copied as it is shown.
$(B)/man/%: man/%.scd FORCE
	@mkdir -p $(dir $@)
	@echo '    SCDOC $@'
	@$(SUBST) $< | $(SCDOC) | sed '/^\.TH /a .nh' > $@.tmp && mv $@.tmp $@

man: $(MAN_OUT)

install-modulefiles:
	@case '$(PREFIX)' in *'|'*) echo "PREFIX must not contain '|'" >&2; exit 1;; esac
	install -d -m 755 $(INST)/share/modulefiles/xalt $(INST)/share/modulefiles-tcl/xalt
	@mkdir -p $(B)
	$(SUBST) share/modulefiles/xalt.lua.in > $(B)/xalt.lua.tmp
	install -m 644 $(B)/xalt.lua.tmp $(INST)/share/modulefiles/xalt/$(VERSION).lua
	$(SUBST) share/modulefiles/xalt.tcl.in > $(B)/xalt.tcl.tmp
	install -m 644 $(B)/xalt.tcl.tmp $(INST)/share/modulefiles-tcl/xalt/$(VERSION)
	rm -f $(B)/xalt.lua.tmp $(B)/xalt.tcl.tmp

install-man: $(MAN_OUT)
	install -d -m 755 $(INST)/share/man/man1 $(INST)/share/man/man5
	for f in $(MAN_OUT); do \
		case "$$f" in *.1) d=man1;; *.5) d=man5;; *) continue;; esac; \
		install -m 644 "$$f" $(INST)/share/man/$$d/ || exit 1; done

install-docs:
	install -d -m 755 $(INST)/share/doc/xalt
	for f in $(DOCS); do install -m 644 "$$f" $(INST)/share/doc/xalt/ || exit 1; done

FORCE:
.PHONY: FORCE install-share install-modulefiles install-man install-docs man
