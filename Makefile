# relaywatch - one non-recursive Makefile.
#   make            build build/relaywatch and build/relaywatch-lab
#   make check      build and run every test; last line "N passed, N failed"
#   make asan       the same with ASan+UBSan (build-asan/)
#   make fuzz       libFuzzer targets (build-fuzz/); make fuzz-run FUZZTIME=600
#   make bench      bench/scan (+ bench/proxy): relaywatch against nmap, proxycheck (root)
#   make bench-dnsbl  bench/dnsbl_export: the DNSBL export of 1,000,000 addresses
#   make bench-web  bench/web: 200 API clients against relaywatch web, 100,000 results
#   make bench-scale  bench/scale: one lab by 1, 2, 3 workers on PostgreSQL and 1 on SQLite
#   make demo       install missing packages, build, run the lab and test it
#   make deps       install missing Debian packages (root) or print the line
#   VALGRIND=1 make check   run unit and lab tests under valgrind
#   RW_TEST_JOBS=2 make check  run two integration scripts at a time (CI does)

CC ?= cc
PKGS := libevent libevent_openssl openssl jansson inih sqlite3 libpq libcares gmime-3.0
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ifeq ($(PKG_LIBS),)
ifeq ($(filter deps demo clean format,$(MAKECMDGOALS)),)
$(error pkg-config finds none of: $(PKGS). Run `make deps` (as root) or `make demo`)
endif
endif

ifeq ($(SANITIZE),1)
B ?= build-asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT := -O1
else
B ?= build
SANFLAGS :=
OPT := -O2
endif

CFLAGS ?= $(OPT) -g
CFLAGS += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
	  -MMD -MP $(SANFLAGS) $(PKG_CFLAGS)
# gcc warns about snprintf truncation that is deliberate here (bounded fields)
ifeq ($(shell $(CC) --version 2>/dev/null | grep -c clang),0)
CFLAGS += -Wno-format-truncation
endif
LDFLAGS += $(SANFLAGS)
LDLIBS += $(PKG_LIBS) -lm

LIB_SRC := $(sort $(wildcard src/core/*.c src/smtp/*.c src/net/*.c src/sink/*.c src/scan/*.c \
	src/store/*.c src/desk/*.c src/enforce/*.c src/proxy/*.c src/web/*.c))
CMD_SRC := $(sort $(wildcard src/cmd/*.c))
LAB_SRC := $(sort $(wildcard lab/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
CMD_OBJ := $(CMD_SRC:%.c=$(B)/%.o)
LAB_OBJ := $(LAB_SRC:%.c=$(B)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
# every fuzz target also runs in make check without libFuzzer (tests/fuzz/replay.c)
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(B)/tests/test_fuzz_%)
LIBRW := $(B)/librw.a

.PHONY: all check asan fuzz fuzz-run demo deps clean format unit bench bench-dnsbl bench-web bench-scale

all: $(B)/relaywatch $(B)/relaywatch-lab

# the templates' fallback directory when none is configured or installed
$(B)/src/cmd/cmd_desk.o: CFLAGS += -DRW_TEMPLATE_DIR_SOURCE='"$(abspath contrib/templates)"'

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIBRW): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(B)/relaywatch: $(CMD_OBJ) $(LIBRW)
	$(CC) $(LDFLAGS) -o $@ $(CMD_OBJ) $(LIBRW) $(LDLIBS)

$(B)/relaywatch-lab: $(LAB_OBJ) $(LIBRW)
	$(CC) $(LDFLAGS) -o $@ $(LAB_OBJ) $(LIBRW) $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(LIBRW)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) -DRW_TEST_DATA='"$(abspath tests/unit/data)"' \
		$(LDFLAGS) -o $@ $< $(LIBRW) \
		$(shell pkg-config --libs cmocka) $(LDLIBS)

$(B)/tests/test_fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(LIBRW)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DSEED_DIR='"$(abspath tests/fuzz/seeds/fuzz_$*)"' $(LDFLAGS) -o $@ \
		$< tests/fuzz/replay.c $(LIBRW) $(LDLIBS)

unit: $(UNIT_BIN) $(REPLAY_BIN)

check: all $(UNIT_BIN) $(REPLAY_BIN)
	@RW_BUILD=$(abspath $(B)) RW_SANITIZE=$(SANITIZE) VALGRIND=$(VALGRIND) sh tests/run.sh

asan:
	$(MAKE) SANITIZE=1 CC=$(CC) check

# libFuzzer needs clang; every library source is compiled again with coverage
FUZZ_B := build-fuzz
FUZZ_CFLAGS := -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer-no-link,address,undefined $(PKG_CFLAGS)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_B)/%.o)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_B)/%)

$(FUZZ_B)/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_B)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJ) $(PKG_LIBS)

fuzz: $(FUZZ_BIN)

# the proxy fuzz targets share their harness (tests/fuzz/fuzz_proxy.h)
$(filter $(B)/tests/test_fuzz_proxy_%,$(REPLAY_BIN)) $(filter $(FUZZ_B)/fuzz_proxy_%,$(FUZZ_BIN)): \
	tests/fuzz/fuzz_proxy.h

FUZZTIME ?= 60
fuzz-run: fuzz
	@for f in $(FUZZ_BIN); do \
		n=$$(basename $$f); mkdir -p $(FUZZ_B)/corpus/$$n; \
		echo "fuzz $$n for $(FUZZTIME)s"; \
		$$f -max_total_time=$(FUZZTIME) -max_len=8192 $(FUZZ_B)/corpus/$$n tests/fuzz/seeds/$$n 2>&1 | tail -3 || exit 1; \
	done

# benchmarks are programs, not tests: make check never runs them
bench: all
	@RW_BUILD=$(abspath $(B)) sh bench/scan

# bench/dnsbl_export: relaywatch dnsbl export of 1,000,000 listed addresses
bench-dnsbl: all
	@RW_BUILD=$(abspath $(B)) sh bench/dnsbl_export

# bench/web: relaywatch web under 200 concurrent API clients, a store of 100,000 results
bench-web: all
	@RW_BUILD=$(abspath $(B)) sh bench/web

# bench/scale: one lab /16 by 1, 2, 3 workers on PostgreSQL and 1 on SQLite (issue 9)
bench-scale: all
	@RW_BUILD=$(abspath $(B)) sh bench/scale

deps:
	@sh contrib/deps.sh

# deps first, then a fresh make (pkg-config answers only once the -dev
# packages are there), then the lab
demo:
	@sh contrib/deps.sh
	@$(MAKE) --no-print-directory all
	@RW_BUILD=$(abspath $(B)) sh tests/integration/lab_verdicts.sh

format:
	clang-format -i $(LIB_SRC) $(CMD_SRC) $(LAB_SRC) $(UNIT_SRC) $(FUZZ_SRC)

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(LAB_OBJ:.o=.d) $(UNIT_BIN:=.d)
