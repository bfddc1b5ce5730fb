#!/bin/sh
# make check-valgrind: every test binary given runs under valgrind memcheck,
# and the integration tests run the daemons they start under it too
# (ROLLSENSE_VALGRIND, see tests/harness.h). One log per process in
# $BUILD/valgrind/. Passes only if every test passed and no log holds an
# error or a definite/indirect leak. Run from the repository root.
set -u

BUILD=${BUILD:-build}
LOGS=$BUILD/valgrind
rm -rf "$LOGS"
mkdir -p "$LOGS"
LOGS=$(cd "$LOGS" && pwd)
export BUILD
export ROLLSENSE_VALGRIND="$LOGS"

# The same options harness.c gives the daemons.
VALGRIND="valgrind --quiet --error-exitcode=99 --leak-check=full
	--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect
	--error-markers=VALGRIND-ERROR-BEGIN,VALGRIND-ERROR-END
	--suppressions=tests/valgrind.supp --num-callers=30"

start=$(date +%s)
passed=0
failed=0
failed_names=""
for t in "$@"; do
	name=$(basename "$t")
	echo "=== $name (valgrind)"
	t0=$(date +%s)
	# shellcheck disable=SC2086
	if $VALGRIND --log-file="$LOGS/$name.%p.log" "$t"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failed_names="$failed_names $name"
	fi
	echo "--- $name: $(($(date +%s) - t0)) s"
done

# A process stopped by SIGKILL writes no summary, but every error it made
# before is in its log between the markers.
bad=0
for log in "$LOGS"/*.log; do
	[ -e "$log" ] || continue
	if grep -q VALGRIND-ERROR-BEGIN "$log"; then
		bad=$((bad + 1))
		echo
		echo "valgrind: errors in $log:"
		sed -n '/VALGRIND-ERROR-BEGIN/,/VALGRIND-ERROR-END/p' "$log" | head -n 80
	fi
done
processes=$(find "$LOGS" -name '*.log' | wc -l)
echo
[ "$failed" -eq 0 ] || echo "failed:$failed_names"
echo "check-valgrind: $passed passed, $failed failed; $processes processes checked, $bad with errors or leaks; $(($(date +%s) - start)) s"
[ "$failed" -eq 0 ] && [ "$bad" -eq 0 ]
