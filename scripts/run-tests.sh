#!/bin/sh
# Runs each test binary given, in order, with its cmocka output as it comes
# and the seconds it took, and closes with one line "N passed, N failed"
# counting test binaries. Exits 1 if any failed. Run from the repository
# root. RUN_WITH, when set, is a command each binary runs under, its name in
# TEST_NAME meanwhile (tests/valgrind.sh runs them under valgrind so);
# RUN_LABEL tags each binary's heading, CHECK names the closing line.
set -u

passed=0
failed=0
failed_names=""
for t in "$@"; do
	TEST_NAME=$(basename "$t")
	export TEST_NAME
	echo "=== $TEST_NAME${RUN_LABEL:+ ($RUN_LABEL)}"
	t0=$(date +%s)
	# shellcheck disable=SC2086
	if ${RUN_WITH:-} "$t"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failed_names="$failed_names $TEST_NAME"
	fi
	echo "--- $TEST_NAME: $(($(date +%s) - t0)) s"
done
echo
[ "$failed" -eq 0 ] || echo "failed:$failed_names"
echo "${CHECK:-check}: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
