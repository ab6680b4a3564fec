# immpd -- build, test and demo.  See README.md.
#
#   make            build every program into build/
#   make check      unit tests (ASan+UBSan build), man page lint,
#                   integration tests against real daemons
#   make demo       a running host for demo.test on 127.0.0.1:1025
#   make install    PREFIX=/usr/local DESTDIR= (see README.md)

# Included fragments may define rules; the first goal stays "all".
.DEFAULT_GOAL :=	all

PREFIX ?=	/usr/local
SBINDIR ?=	$(PREFIX)/sbin
BINDIR ?=	$(PREFIX)/bin
LIBEXECDIR ?=	$(PREFIX)/libexec/immpd
MANDIR ?=	$(PREFIX)/share/man
SYSCONFDIR ?=	/etc

CC ?=		cc
ifeq ($(origin YACC),default)
YACC =		byacc
endif
PKG_CONFIG ?=	pkg-config
PKGS =		libtls libevent libsodium libseccomp libbsd-overlay jansson zlib

# SAN=1 builds with AddressSanitizer and UndefinedBehaviorSanitizer into
# build-san/ (used by make check for the unit tests).
ifeq ($(SAN),1)
B ?=		build-san
SANFLAGS =	-fsanitize=address,undefined -fno-omit-frame-pointer
else
B ?=		build
SANFLAGS =
endif

PKG_CFLAGS :=	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS :=	$(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CFLAGS ?=	-O2 -g
CFLAGS +=	-std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
		-Wshadow -Wpointer-arith -Wstrict-prototypes \
		-D_GNU_SOURCE -DLIBEXECDIR=\"$(LIBEXECDIR)\" \
		-DSYSCONFDIR=\"$(SYSCONFDIR)\" \
		-Icommon -I$(B)/obj/common $(PKG_CFLAGS) $(SANFLAGS)
LDFLAGS +=	$(SANFLAGS)
LDLIBS +=	$(PKG_LIBS) -ldb

include common/Makefile.inc
include immpd/Makefile.inc
include immp-queue/Makefile.inc
include immp-lookup/Makefile.inc
include immp-deliver/Makefile.inc
include immpctl/Makefile.inc
include immp/Makefile.inc
include regress/Makefile.inc
include etc/Makefile.inc

PROGS =		immpd immp-queue immp-lookup immp-deliver immpctl immp

all: $(addprefix $(B)/,$(PROGS))

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/obj/common/parse.c: common/parse.y
	@mkdir -p $(dir $@)
	$(YACC) -o $@ common/parse.y

$(B)/obj/common/parse.o: $(B)/obj/common/parse.c
	$(CC) $(CFLAGS) -Wno-sign-compare -Icommon -c -o $@ $<

$(B)/libcommon.a: $(call obj,$(COMMON_SRCS)) $(B)/obj/common/parse.o
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/immpd: $(call obj,$(IMMPD_SRCS)) $(B)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/immp-queue: $(call obj,$(QUEUE_SRCS)) $(B)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/immp-lookup: $(call obj,$(LOOKUP_SRCS)) $(B)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/immp-deliver: $(call obj,$(DELIVER_SRCS)) $(B)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/immpctl: $(call obj,$(IMMPCTL_SRCS)) $(IMMPCTL_EXTRA) $(B)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/immp: $(call obj,$(IMMP_SRCS)) $(B)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

check: all
	$(MAKE) SAN=1 unit
	sh regress/run-checks.sh

demo: 
	sh regress/demo.sh

clean:
	rm -rf build build-san demo

.PHONY: all check demo clean unit install install-users
