#!/bin/bash
# manlint.sh: every man page in man/ is clean under `mandoc -Tlint -W warning`
# (no message at all, exit status 0), and every .Xr to a oneshot page names a
# page that exists in man/. Skipped when mandoc is not installed (configure
# passes the mandoc it found as MANDOC; Debian: apt-get install mandoc).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

if [ -z "${MANDOC:-}" ]; then
	MANDOC=$(command -v mandoc) || skip "mandoc not found (Debian: mandoc): man pages not linted"
fi

pages=("$ONESHOT_SRCDIR"/man/*.[1-9])
[ -f "${pages[0]}" ] || fatal "no man pages in $ONESHOT_SRCDIR/man"
for want in oneshotd-supervise.8 oneshot-ps.1 oneshot.7; do
	assert_file "$ONESHOT_SRCDIR/man/$want" "man page $want"
done

for page in "${pages[@]}"; do
	name=${page##*/}
	out=$("$MANDOC" -Tlint -W warning "$page" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
		fail "mandoc -Tlint -W warning man/$name: exit status $rc:"$'\n'"$out"
	else
		note "man/$name: clean"
	fi
	# cross references between oneshot's own pages
	while read -r xname xsec; do
		[ -n "$xname" ] || continue
		[ -f "$ONESHOT_SRCDIR/man/$xname.$xsec" ] ||
			fail "man/$name: .Xr $xname $xsec: there is no man/$xname.$xsec"
	done < <(sed -n 's/^\.Xr \(oneshot[A-Za-z0-9_-]*\) \([1-9]\).*/\1 \2/p' "$page")
done
