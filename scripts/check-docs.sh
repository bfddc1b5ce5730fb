#!/bin/sh
# The documentation's own checks (make check-docs, part of make check): the
# man pages render without a warning (groff -ww) and man -l reads them, and
# every relative link in README.md and docs/*.md leads to a file of the
# repository. Prints each problem as FILE: what is wrong; exits 1 on any.
# Run from the repository's top folder. That every configuration key is
# documented is tests/test_docs.c's job.
set -u

status=0
problem() {
	echo "$1" >&2
	status=1
}

for page in man/*.[1-8]; do
	[ -f "$page" ] || { problem "man/: no man page"; continue; }
	out=$(groff -ww -man -Tutf8 -z "$page" 2>&1)
	[ -z "$out" ] || problem "$page: groff -ww: $out"
	out=$(MANWIDTH=80 man -l "$page" 2>&1 >/dev/null)
	[ $? -eq 0 ] && [ -z "$out" ] || problem "$page: man -l: $out"
done

# Markdown links and images: ](target) and ](target "title"); web addresses
# and anchors within the page are not files.
for doc in README.md docs/*.md; do
	dir=$(dirname "$doc")
	links=$(grep -o '\]([^)]*)' "$doc" | sed 's/^](//; s/)$//; s/ .*//')
	for target in $links; do
		case "$target" in
		http://* | https://* | mailto:* | \#*) continue ;;
		esac
		file=${target%%#*}
		[ -e "$dir/$file" ] || problem "$doc: link to $target: no file $dir/$file"
	done
done

[ $status -eq 0 ] && echo "check-docs: man pages render cleanly, every relative link resolves"
exit $status
