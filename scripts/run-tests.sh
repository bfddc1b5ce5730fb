#!/bin/bash
# Runs each test binary given, with its cmocka output and the seconds it
# took, and closes with one line "N passed, N failed" counting test
# binaries. Exits 1 if any failed. Run from the repository root. RUN_WITH,
# when set, is a command each binary runs under, its name in TEST_NAME
# meanwhile (tests/valgrind.sh runs them under valgrind so); RUN_LABEL tags
# each binary's heading, CHECK names the closing line.
#
# TEST_JOBS (default 1) binaries run at once. Then each one's output is kept
# in a file and printed whole when it ends, so two never interleave, and the
# integration tests (it_*, the long ones) start first. Every test picks its
# own ports and folders, so they do not meet.
set -u

jobs_max=${TEST_JOBS:-1}
case $jobs_max in '' | *[!0-9]* | 0) echo "run-tests.sh: TEST_JOBS is not a positive number: $jobs_max"; exit 2 ;; esac

passed=0
failed=0
failed_names=""
# heading NAME: opens a binary's block.
heading() { echo "=== $1${RUN_LABEL:+ ($RUN_LABEL)}"; }
# ended NAME STATUS SECONDS: counts one binary's result and closes its block.
ended() {
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failed_names="$failed_names $1"
	fi
	echo "--- $1: $3 s"
}

if [ "$jobs_max" -eq 1 ]; then
	for t in "$@"; do
		TEST_NAME=$(basename "$t")
		export TEST_NAME
		heading "$TEST_NAME"
		t0=$(date +%s)
		# shellcheck disable=SC2086
		${RUN_WITH:-} "$t"
		ended "$TEST_NAME" $? $(($(date +%s) - t0))
	done
else
	out=$(mktemp -d "${TMPDIR:-/tmp}/rollsense-tests.XXXXXX")
	trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$out"' EXIT
	trap 'exit 130' INT TERM
	order=()
	for t in "$@"; do case ${t##*/} in it_*) order+=("$t") ;; esac; done
	for t in "$@"; do case ${t##*/} in it_*) ;; *) order+=("$t") ;; esac; done
	# The running binaries: their names and start times by PID.
	declare -A name_of=() start_of=()
	next=0
	while [ "$next" -lt ${#order[@]} ] || [ ${#name_of[@]} -gt 0 ]; do
		while [ ${#name_of[@]} -lt "$jobs_max" ] && [ "$next" -lt ${#order[@]} ]; do
			t=${order[$next]}
			next=$((next + 1))
			# shellcheck disable=SC2086
			(TEST_NAME=${t##*/}; export TEST_NAME; exec ${RUN_WITH:-} "$t") >"$out/${t##*/}" 2>&1 &
			name_of[$!]=${t##*/}
			start_of[$!]=$(date +%s)
		done
		wait -n -p pid
		status=$?
		name=${name_of[$pid]}
		heading "$name"
		cat "$out/$name"
		ended "$name" "$status" $(($(date +%s) - ${start_of[$pid]}))
		unset "name_of[$pid]" "start_of[$pid]"
	done
fi
echo
# A binary never counted (the runner itself went wrong) is a failure too.
if [ $((passed + failed)) -ne $# ]; then
	echo "run-tests.sh: $# binaries given, $((passed + failed)) run"
	failed=$(($# - passed))
fi
[ "$failed" -eq 0 ] || echo "failed:$failed_names"
echo "${CHECK:-check}: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
