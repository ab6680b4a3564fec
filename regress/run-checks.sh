#!/bin/sh
# Run by `make check` after `make` and `make SAN=1 unit`: the unit tests
# (build-san/unit/test_*), mandoc -Tlint on man/*, the fuzz targets over
# their seed corpus (make fuzz-smoke, if clang with libFuzzer is there),
# then the integration suite.  Ends with one line "N passed, N failed[,
# N skipped]" and exits 1 if anything failed.
#
# Environment: PYTEST_ARGS is passed to pytest (e.g. "-k deliver -x").

cd "$(dirname "$0")/.." || exit 1

PY=/usr/bin/python3
passed=0
failed=0
skipped=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# first number before WORD in file (e.g. "3 passed"), 0 if none
count() {
	sed -n "s/.*[^0-9]\([0-9][0-9]*\) $1.*/\1/p;s/^\([0-9][0-9]*\) $1.*/\1/p" \
	    "$2" | tail -n 1 | grep . || echo 0
}

echo "== unit tests"
found=0
for t in build-san/unit/test_*; do
	[ -x "$t" ] || continue
	found=1
	"$t" >"$tmp/unit.out" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\..*/\1/p' \
	    "$tmp/unit.out" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test(s).*/\1/p' \
	    "$tmp/unit.out" | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# crashed (sanitizer report, signal) or no summary at all
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		echo "FAIL $t ($p passed, $f failed, exit $rc)"
		cat "$tmp/unit.out"
	else
		echo "ok   $t ($p passed)"
	fi
done
[ "$found" -eq 1 ] || echo "(no unit tests in build-san/unit)"

echo "== man pages"
for m in man/*.[1-8]; do
	[ -f "$m" ] || continue
	if mandoc -Tlint -W warning "$m" >"$tmp/lint.out" 2>&1 &&
	    [ ! -s "$tmp/lint.out" ]; then
		passed=$((passed + 1))
		echo "ok   $m"
	else
		failed=$((failed + 1))
		echo "FAIL $m"
		cat "$tmp/lint.out"
	fi
done

echo "== fuzz targets (seed corpus only)"
# Each target run once over regress/fuzz/corpus/<target>: one passed or
# failed per target; skipped as a whole without clang and libFuzzer.
if make -s fuzz-probe >"$tmp/probe.out" 2>&1; then
	make -s fuzz-smoke >"$tmp/fuzz.out" 2>&1
	rc=$?
	cat "$tmp/fuzz.out"
	p=$(grep -c '^ok   fuzz_' "$tmp/fuzz.out")
	f=$(grep -c '^FAIL fuzz_' "$tmp/fuzz.out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# the targets did not build
		echo "FAIL fuzz targets (make fuzz-smoke exited $rc)"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
else
	echo "skipped: clang/libFuzzer missing"
	sed 's/^/	/' "$tmp/probe.out"
	skipped=$((skipped + 1))
fi

echo "== integration tests"
# shellcheck disable=SC2086
$PY -m pytest -q -p no:cacheprovider regress/integration $PYTEST_ARGS \
    >"$tmp/pytest.out" 2>&1
rc=$?
cat "$tmp/pytest.out"
last=$(grep -E '[0-9]+ (passed|failed|errors?|skipped)' "$tmp/pytest.out" |
    tail -n 1)
echo "$last" >"$tmp/summary"
if [ "$rc" -eq 5 ]; then
	echo "(no integration tests collected)"
else
	p=$(count passed "$tmp/summary")
	f=$(count failed "$tmp/summary")
	e=$(count error "$tmp/summary")
	s=$(count skipped "$tmp/summary")
	if [ "$rc" -ne 0 ] && [ $((f + e)) -eq 0 ]; then
		# pytest itself failed (usage, import error, interrupted)
		echo "pytest exited $rc without a test summary"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f + e))
	skipped=$((skipped + s))
fi

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
