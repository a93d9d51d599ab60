#!/bin/bash
# install.sh: `make install DESTDIR=SANDBOX/root`, run in the build directory
# (read-only source tree and VPATH build under make distcheck), installs both
# programs, the three man pages and the examples, whatever the prefix: the
# files are found under DESTDIR by name, not by path. The installed programs
# answer --version like the built ones, the installed supervisor runs the
# installed fake-agent, and `make uninstall DESTDIR=...` removes every file.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

command -v make >/dev/null 2>&1 || skip "make not found"
[ -f "$ONESHOT_BUILDDIR/Makefile" ] || fatal "no Makefile in $ONESHOT_BUILDDIR"
DEST=$SANDBOX/root

# mk TARGET...: make in the build directory, not as part of the make that
# runs this test: without its jobserver, flags or command-line variables
# (TESTS=...)
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		make --no-print-directory -C "$ONESHOT_BUILDDIR" "$@" >>"$SANDBOX/make.log" 2>&1
}

if ! mk install DESTDIR="$DEST"; then
	tail -n 30 "$SANDBOX/make.log" >&2
	fatal "make install DESTDIR=$DEST failed (above: the end of its output)"
fi

note "installed under DESTDIR: $(cd "$DEST" && find . -type f | sed 's|^\.||' | sort | tr '\n' ' ')"

# installed PATTERN: set INSTALLED to the one file under DEST whose path ends
# in /PATTERN; a failure (and status 1) when there is none, or several
installed() {
	local found
	INSTALLED=
	found=$(cd "$DEST" && find . -type f -path "*/$1" | sed 's|^\.||')
	case $found in
	'') fail "make install: no */$1 under DESTDIR (installed: $(cd "$DEST" && find . -type f | tr '\n' ' '))"; return 1 ;;
	*$'\n'*) fail "make install: several */$1 under DESTDIR: $(echo $found)"; return 1 ;;
	esac
	INSTALLED=$DEST$found
}

# programs: executable, same --version as the built ones
for prog in oneshotd-supervise oneshot-ps oneshot-ctl; do
	installed "bin/$prog" || continue
	bin=$INSTALLED
	[ -x "$bin" ] || fail "$bin is not executable"
	got=$("$bin" --version 2>&1)
	assert_match "^$prog \\(oneshot\\) [0-9]" "$got" "installed $prog --version"
	case $prog in
	oneshot-ps) built=$PS ;;
	oneshot-ctl) built=$ONESHOT_BUILDDIR/ctl/oneshot-ctl ;;
	*) built=$SUPERVISE ;;
	esac
	assert_eq "$("$built" --version 2>&1)" "$got" \
		"installed $prog --version, compared with the built one"
done

# man pages: the four, byte for byte the source's
for page in man1/oneshot-ps.1 man1/oneshot-ctl.1 man7/oneshot.7 man8/oneshotd-supervise.8; do
	installed "$page" || continue
	f=$INSTALLED
	cmp -s "$f" "$ONESHOT_SRCDIR/man/${page#*/}" || fail "installed $page differs from man/${page#*/}"
done

# examples: under .../doc/oneshot/examples/, as in the source tree
exdir=
for ex in demo.tasks agents.tasks fake-agent cron.d/oneshot-nightly \
	systemd/oneshot-nightly.service systemd/oneshot-nightly.timer systemd/oneshot-queue.service \
	slurm/oneshot-array.sbatch slurm/README.md; do
	installed "doc/*/examples/$ex" || continue
	f=$INSTALLED
	cmp -s "$f" "$ONESHOT_SRCDIR/examples/$ex" || fail "installed examples/$ex differs from the source"
	[ "$ex" = agents.tasks ] && exdir=${f%/agents.tasks}
done
[ -z "$exdir" ] || [ -x "$exdir/fake-agent" ] || fail "installed fake-agent is not executable"
[ -z "$exdir" ] || [ -x "$exdir/slurm/oneshot-array.sbatch" ] ||
	fail "installed slurm/oneshot-array.sbatch is not executable"
[ -z "$(cd "$DEST" && find . -type f -name quickstart)" ] ||
	fail "examples/quickstart (builds from a checkout) was installed"

# bash completion (unless configured out): the file, and a link to it under
# each program's name, where bash-completion looks
if grep -q '^bashcompletiondir = .' "$ONESHOT_BUILDDIR/Makefile"; then
	installed "bash-completion/completions/oneshot" &&
		{ cmp -s "$INSTALLED" "$ONESHOT_SRCDIR/completions/oneshot" ||
			fail "installed completions/oneshot differs from the source"; }
	for prog in oneshotd-supervise oneshot-ps oneshot-ctl; do
		link=$(cd "$DEST" && find . -type l -path "*/bash-completion/completions/$prog")
		assert_eq oneshot "$( [ -n "$link" ] && readlink "$DEST/$link")" \
			"installed bash completion for $prog: a link to oneshot"
	done
fi

# the installed supervisor runs a task that uses the installed examples
installed bin/oneshotd-supervise
bin=$INSTALLED
if [ -n "$bin" ] && [ -n "$exdir" ]; then
	new_run installed
	echo './fake-agent installed 0 0 2' >"$SANDBOX/tasks"
	(cd "$exdir" && FAKE_AGENT_STEP=0.01 timeout -k 5 60 "$bin" -n "$RUN" -L "$LOG" "$SANDBOX/tasks")
	assert_eq 0 "$?" "installed oneshotd-supervise running the installed fake-agent: exit status"
	assert_match 'installed: done, exit status 0' "$(cat "$LOG/1.log" 2>/dev/null)" \
		"installed fake-agent transcript"
fi

# make uninstall leaves no file behind
if ! mk uninstall DESTDIR="$DEST"; then
	tail -n 30 "$SANDBOX/make.log" >&2
	fail "make uninstall DESTDIR=$DEST failed"
fi
left=$(cd "$DEST" && find . -type f -o -type l)
assert_eq "" "$left" "files left under DESTDIR after make uninstall"
