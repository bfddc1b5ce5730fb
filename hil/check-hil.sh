#!/bin/bash
# `make check-hil`: hil/run.sh for each architecture given (all of them even
# when one fails), then one closing line summing every architecture's checks.
# Exit 1 when any check failed or any guest did not run.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0 status=0
for arch in "$@"; do
	start=$SECONDS
	"$HERE/run.sh" "$arch"
	rc=$?
	echo "hil[$arch]: $((SECONDS - start)) s in all"
	line=$(tail -1 "$HERE/../build/hil/$arch/verify.txt" 2>/dev/null || true)
	if [ "$rc" -ne 0 ]; then
		status=1
	fi
	if [[ $line =~ ^$arch:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
	elif [ "$rc" -ne 0 ]; then
		# The build or the guest failed before anything could be checked.
		failed=$((failed + 1))
	fi
done
echo "hil: $passed passed, $failed failed"
exit $status
