# SPDX-License-Identifier: Apache-2.0
# mscan build. `make` builds build/mscan and build/libmscan.a; `make check` installs what it
# needs, then runs every test (unit, CLI, corpus, differential) under ASan+UBSan and a brief
# fuzz of every target; `make demo` scans corpus/ and converts, signs and verifies a sample.

CC       ?= cc
PREFIX   ?= /usr/local
BUILDDIR ?= build
SAN      ?= 0
WERROR   ?= 0
FUZZ_SECONDS ?= 8
NVCC     ?= nvcc
CUDA     ?= $(if $(and $(wildcard convert/gpu_cuda.cu),$(shell command -v $(NVCC) 2>/dev/null)),1,0)
PYTHON   ?= /usr/bin/python3
VENV     := build/venv
VPY      := $(VENV)/bin/python

PKGS     := libzip libcjson yara libsodium
# Everything the build and every test needs: a test whose tool or module is missing prints
# SKIP, and under MSCAN_CI=1 (.ci/run) a skip fails the run. Tests use minisign (t_sign),
# python3-torch/numpy/sklearn/joblib and safetensors (t_convert, t_formats, t_yara,
# t_differential), man-db (t_docs), util-linux's setpriv and unshare (t_faults, t_convert as
# root), bsdutils' script (t_convert), zip/unzip and binutils' objdump (t_faults).
DEB_PKGS := build-essential clang pkg-config libzip-dev libcjson-dev libyara-dev libsodium-dev \
            libcmocka-dev zlib1g-dev libbz2-dev liblzma-dev python3 python3-venv python3-pip \
            python3-numpy python3-torch python3-sklearn python3-joblib minisign hyperfine \
            libclang-rt-14-dev zip unzip man-db util-linux bsdutils binutils
PIP_PKGS := safetensors picklescan

CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wcast-qual \
            -Wformat=2 -Wvla -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN     += -Werror
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# libzip is opened with dlopen on first use (formats/libzip_api.c), by the soname built against.
LIBZIP_SONAME := $(shell objdump -p "$$($(CC) -print-file-name=libzip.so)" 2>/dev/null | \
                   awk '$$1 == "SONAME" {print $$2}')
ALL_CFLAGS = $(if $(LIBZIP_SONAME),-DMS_LIBZIP_SONAME='"$(LIBZIP_SONAME)"') -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DMSCAN_BUILD -fvisibility=hidden \
             -pthread -Iinclude -I. -I$(BUILDDIR) $(WARN) $(PKG_CFLAGS) $(CFLAGS)
LIBS       = $(PKG_LIBS) -lcrypto -lz -lbz2 -llzma -ldl -lpthread -lm
SAN_LDFLAGS :=
ifeq ($(SAN),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SAN_LDFLAGS := -fsanitize=address,undefined
LIBS       += $(SAN_LDFLAGS)
endif

LIB_SRCS := $(filter-out convert/gpu_%,$(wildcard scanner/*.c formats/*.c convert/*.c))
ifeq ($(CUDA),1)
GPU_OBJ  := $(BUILDDIR)/obj/convert/gpu_cuda.o
CUDA_LIBS := -L$(dir $(shell command -v $(NVCC) 2>/dev/null))../lib64 -lcudart_static -ldl -lrt
LIBS     += $(CUDA_LIBS) -lstdc++
else
GPU_OBJ  := $(BUILDDIR)/obj/convert/gpu_none.o
endif

# The mscan binary links the static archives Debian ships (libyara and the libmagic and
# libjansson it needs, libsodium, the compressors, libstdc++ for CUDA): every shared library
# costs a load and its relocations at each start, which is more than a scan of a small file.
# cJSON ships no .a and stays shared; libzip (no .a either) is loaded only when needed.
# STATIC_DEPS=0 links everything shared (sanitizer builds do, and any build missing one of
# the archives).
STATIC_ARCHIVES := libyara.a libmagic.a libjansson.a libcrypto.a libsodium.a libbz2.a liblzma.a libz.a
STATIC_DEPS ?= $(if $(filter 1,$(SAN)),0,$(if $(filter-out /%,$(foreach a,$(STATIC_ARCHIVES),\
                 $(shell $(CC) -print-file-name=$(a)))),0,1))
STATIC_CXX := -static-libgcc -Wl,-Bstatic -lstdc++ -Wl,-Bdynamic
ifeq ($(STATIC_DEPS),1)
CLI_LIBS  = -lcjson -Wl,-Bstatic -lyara -lmagic -ljansson -lcrypto -lsodium -lbz2 -llzma -lz \
            -Wl,-Bdynamic $(CUDA_LIBS) $(if $(CUDA_LIBS),$(STATIC_CXX)) -ldl -lpthread -lm \
            $(SAN_LDFLAGS)
else
CLI_LIBS  = $(LIBS)
endif
LIB_OBJS := $(patsubst %.c,$(BUILDDIR)/obj/%.o,$(LIB_SRCS)) $(BUILDDIR)/obj/rules_data.o \
            $(BUILDDIR)/obj/yara_compiled.o $(BUILDDIR)/obj/policy_compiled.o $(GPU_OBJ)
CLI_SRCS := $(wildcard cli/*.c)
CLI_OBJS := $(patsubst %.c,$(BUILDDIR)/obj/%.o,$(CLI_SRCS))
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_BINS := $(patsubst tests/unit/%.c,$(BUILDDIR)/tests/%,$(TEST_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))
RULE_FILES := $(sort $(wildcard rules/*.txt rules/*.yar rules/*.json))
YAR_FILES  := $(filter %.yar,$(RULE_FILES))

.PHONY: all deps pydeps check test unit cli-test asan fuzz fuzz-smoke demo bench install clean yara-diff

all: $(BUILDDIR)/mscan $(BUILDDIR)/libmscan.a

$(BUILDDIR)/obj/%.o: %.c $(wildcard include/mscan/*.h scanner/*.h formats/*.h convert/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILDDIR)/obj/convert/gpu_cuda.o: convert/gpu_cuda.cu convert/gpu_private.h
	@mkdir -p $(dir $@)
	$(NVCC) -O2 -Xcompiler -fPIC,-fvisibility=hidden -DMSCAN_BUILD -Iinclude -I. -c $< -o $@

# Rules, policy lists and allow/deny data are files in rules/, embedded as C strings so the
# binary never reads configuration from the scanned tree or the working directory.
$(BUILDDIR)/rules_data.c: $(RULE_FILES) scanner/embed.awk
	@mkdir -p $(dir $@)
	awk -f scanner/embed.awk $(RULE_FILES) > $@

$(BUILDDIR)/obj/rules_data.o: $(BUILDDIR)/rules_data.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The built-in YARA rules compiled once at build time (loading them is ~50x faster than
# compiling them at every start). A host tool, never sanitized.
$(BUILDDIR)/yara-precompile: scanner/tools/yara_precompile.c scanner/yara_externals.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 $(WARN) $(PKG_CFLAGS) -o $@ $< $(PKG_LIBS)

# make yara-diff [OLD=REV]: do the rules decide as they did at git revision OLD (default HEAD)
# on the corpus and on generated inputs near their patterns' edges? (rules/README.md)
OLD ?= HEAD
$(BUILDDIR)/yara-rules-diff: scanner/tools/yara_rules_diff.c scanner/yara_externals.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 $(WARN) $(PKG_CFLAGS) -o $@ $< $(PKG_LIBS)

yara-diff: $(BUILDDIR)/yara-rules-diff
	@mkdir -p $(BUILDDIR)/yara-diff
	for f in $(YAR_FILES); do git show $(OLD):$$f; done > $(BUILDDIR)/yara-diff/old.yar
	cat $(YAR_FILES) > $(BUILDDIR)/yara-diff/new.yar
	python3 rules/gen/yara_diff_inputs.py 400000 1 > $(BUILDDIR)/yara-diff/inputs.rec
	find corpus -type f | sort | xargs $(BUILDDIR)/yara-rules-diff $(BUILDDIR)/yara-diff/old.yar \
	  $(BUILDDIR)/yara-diff/new.yar $(BUILDDIR)/yara-diff/inputs.rec

$(BUILDDIR)/yara_compiled.c: $(BUILDDIR)/yara-precompile $(YAR_FILES)
	$(BUILDDIR)/yara-precompile $(YAR_FILES) > $@.tmp && mv $@.tmp $@

$(BUILDDIR)/obj/yara_compiled.o: $(BUILDDIR)/yara_compiled.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The built-in policy's hash maps, made once at build time as C arrays (parsing the rules text
# at every start was a third of a small scan). A host tool, never sanitized.
POLICY_TOOL_SRCS := scanner/tools/policy_precompile.c scanner/policy.c scanner/arena.c \
                    scanner/err.c scanner/rules_data.c
$(BUILDDIR)/policy-precompile: $(POLICY_TOOL_SRCS) $(BUILDDIR)/rules_data.c \
                               $(wildcard scanner/*.h include/mscan/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -DMSCAN_BUILD -O2 $(WARN) -Iinclude -I. -I$(BUILDDIR) \
	  $(PKG_CFLAGS) -o $@ $(POLICY_TOOL_SRCS) $(BUILDDIR)/rules_data.c \
	  $(shell pkg-config --libs libcjson 2>/dev/null)

$(BUILDDIR)/policy_compiled.c: $(BUILDDIR)/policy-precompile
	$(BUILDDIR)/policy-precompile > $@.tmp && mv $@.tmp $@

$(BUILDDIR)/obj/policy_compiled.o: $(BUILDDIR)/policy_compiled.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILDDIR)/libmscan.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILDDIR)/mscan: $(CLI_OBJS) $(BUILDDIR)/libmscan.a
	$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJS) $(BUILDDIR)/libmscan.a $(CLI_LIBS)

$(BUILDDIR)/tests/%: tests/unit/%.c tests/unit/test.h $(BUILDDIR)/libmscan.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILDDIR)/libmscan.a $(LIBS) -lcmocka

# ---- dependencies -----------------------------------------------------------------------
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@$(MAKE) --no-print-directory pydeps

# Interop oracles from PyPI (safetensors, picklescan) in a venv that also sees Debian's torch.
pydeps: $(VENV)/.ok
$(VENV)/.ok:
	$(PYTHON) -m venv --system-site-packages $(VENV)
	$(VPY) -m pip install -q $(PIP_PKGS)
	touch $@

# ---- tests ------------------------------------------------------------------------------
unit: $(TEST_BINS)
	@set -e; for t in $(TEST_BINS); do echo "== $$t"; $$t; done

# MSCAN_CI=1 (set by .ci/run) turns every SKIP of tests/cli/*.sh and tests/demo.sh into a failure.
cli-test: $(BUILDDIR)/mscan
	@MSCAN=$(abspath $(BUILDDIR)/mscan) PY=$(abspath $(VPY)) BUILDDIR=$(abspath $(BUILDDIR)) \
	  SAN_LDFLAGS="$(SAN_LDFLAGS)" BUILD_VARS="SAN=$(SAN) CUDA=$(CUDA)" bash tests/cli/run.sh

test: all unit cli-test

asan:
	$(MAKE) BUILDDIR=build/asan SAN=1 CUDA=0 test

check: deps
	$(MAKE) WERROR=1 all
	$(MAKE) BUILDDIR=build/asan SAN=1 CUDA=0 WERROR=1 test
	$(MAKE) fuzz-smoke

# ---- fuzzing ----------------------------------------------------------------------------
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DMSCAN_BUILD -Iinclude -I. -Ibuild/fuzz \
               -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined $(PKG_CFLAGS)
FUZZ_LIB_SRCS := $(LIB_SRCS) build/rules_data.c build/yara_compiled.c build/policy_compiled.c \
                 convert/gpu_none.c
build/fuzz/libmscan-fuzz.a: $(FUZZ_LIB_SRCS)
	@mkdir -p build/fuzz/o
	cd build/fuzz/o && for f in $(FUZZ_LIB_SRCS); do \
	  clang $(subst -Iinclude -I. -Ibuild/fuzz,-I$(CURDIR)/include -I$(CURDIR),$(FUZZ_CFLAGS)) \
	    -fsanitize=fuzzer-no-link -c $(CURDIR)/$$f -o $$(echo $$f | tr / _).o || exit 1; done
	rm -f $@ && ar rcs $@ build/fuzz/o/*.o

build/fuzz/%: tests/fuzz/%.c build/fuzz/libmscan-fuzz.a
	clang $(FUZZ_CFLAGS) -o $@ $< build/fuzz/libmscan-fuzz.a $(PKG_LIBS) -lz -lbz2 -llzma -lpthread -lm

fuzz-smoke: $(FUZZ_BINS)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh $(FUZZ_BINS)

# ---- demo, bench, install ---------------------------------------------------------------
demo: deps all
	@bash tests/demo.sh $(abspath $(BUILDDIR)/mscan)

bench: deps all
	@bash bench/run.sh $(abspath $(BUILDDIR)/mscan)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	  $(DESTDIR)$(PREFIX)/include/mscan $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/mscan/rules
	install -m 755 $(BUILDDIR)/mscan $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BUILDDIR)/libmscan.a $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/mscan/*.h $(DESTDIR)$(PREFIX)/include/mscan/
	install -m 644 cli/mscan.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(RULE_FILES) $(DESTDIR)$(PREFIX)/share/mscan/rules/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|0.1.0|g' -e 's|@PKGS@|$(PKGS)|g' mscan.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/mscan.pc

clean:
	rm -rf build/obj build/asan build/fuzz build/mscan build/libmscan.a build/tests build/rules_data.c \
	  build/yara_compiled.c build/yara-precompile build/policy_compiled.c build/policy-precompile
