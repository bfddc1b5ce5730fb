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

# The same options harness.c gives the daemons; one log per process.
start=$(date +%s)
RUN_WITH="valgrind --quiet --error-exitcode=99 --leak-check=full
	--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect
	--error-markers=VALGRIND-ERROR-BEGIN,VALGRIND-ERROR-END
	--suppressions=tests/valgrind.supp --num-callers=30
	--log-file=$LOGS/%q{TEST_NAME}.%p.log" RUN_LABEL=valgrind CHECK=check-valgrind \
	scripts/run-tests.sh "$@"
tests_ok=$?

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
echo "check-valgrind: $processes processes checked, $bad with errors or leaks; $(($(date +%s) - start)) s"
[ "$tests_ok" -eq 0 ] && [ "$bad" -eq 0 ]
