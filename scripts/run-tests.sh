#!/bin/sh
# Runs each test binary given, in order, with its cmocka output as it comes,
# and closes with one line "N passed, N failed" counting test binaries.
# Exits 1 if any failed. Run from the repository root.
set -u

passed=0
failed=0
failed_names=""
for t in "$@"; do
	name=$(basename "$t")
	echo "=== $name"
	if "$t"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failed_names="$failed_names $name"
	fi
done
echo
[ "$failed" -eq 0 ] || echo "failed:$failed_names"
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
