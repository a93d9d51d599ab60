#!/bin/bash
# completion.sh: the bash completions of completions/oneshot, loaded by
# command name the way bash-completion loads them (from
# BASH_COMPLETION_USER_DIR: a link per command to the file, as make install
# lays them out) into a non-interactive bash with bash-completion, then
# run on a command line as bash would for TAB: the options of the three
# programs (their option tables and --help, both ways), a live run's name
# and its task ids (live ones for interrupt, send and attach, started ones
# for screen, those not yet typed), finished runs for --rm and a new run's
# -n, oneshot-ctl's commands and their options, the --key names of
# ctl/ctl_keys.c, the --state names, files where a file goes and only
# directories where a directory does; a oneshot-ps that hangs costs the
# shell 2 seconds, not its life.  Skips without bash-completion.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"

CTL=$ONESHOT_BUILDDIR/ctl/oneshot-ctl
PROGS="oneshotd-supervise oneshot-ps oneshot-ctl"
# as make install lays them out: the one file, and a link per command
COMPDIR=$SANDBOX/completions
mkdir -p "$COMPDIR"
ln -s "$ONESHOT_SRCDIR/completions/oneshot" "$COMPDIR/oneshot"
for p in $PROGS; do
	ln -s oneshot "$COMPDIR/$p"
done

# bash-completion's main script: where pkg-config says, else the usual places
BC=
for f in ${ONESHOT_BASH_COMPLETION:-} \
	"$(pkg-config --variable=datadir bash-completion 2>/dev/null)/bash-completion/bash_completion" \
	/usr/share/bash-completion/bash_completion /usr/local/share/bash-completion/bash_completion \
	/etc/bash_completion; do
	if [ -f "$f" ]; then
		BC=$f
		break
	fi
done
[ -n "$BC" ] || skip "bash-completion is not installed (Debian: apt-get install bash-completion)"
note "bash-completion: $BC"

for p in $PROGS; do
	[ -f "$COMPDIR/$p" ] || fatal "no completions/$p"
done

# ------------------------------------------------------------------ driver

# The completion as bash runs it for TAB at the end of a line: the line cut
# into COMP_WORDS at blanks and around runs of COMP_WORDBREAKS characters
# ("--state=RU": --state, =, RU), the function that `complete -p` names
# after bash-completion's loader has found the command's file, COMPREPLY
# printed one per line.  compopt outside a real completion only records.
cat >"$SANDBOX/drv.sh" <<'EOF'
bc=$1 line=$2
. "$bc" || exit 98
compopt() { printf 'compopt %s\n' "$*" >>"$DRV_COMPOPT"; }
brk=${COMP_WORDBREAKS//[$' \t\n']/}
words=() cur= kind=
for ((i = 0; i < ${#line}; i++)); do
	c=${line:i:1}
	if [[ $c == [$' \t\n'] ]]; then
		[[ $kind ]] && words+=("$cur")
		cur= kind=
	elif [[ $brk == *"$c"* ]]; then
		[[ $kind == w ]] && words+=("$cur") && cur=
		cur+=$c kind=b
	else
		[[ $kind == b ]] && words+=("$cur") && cur=
		cur+=$c kind=w
	fi
done
words+=("$cur")
cmd=${words[0]##*/}
if declare -F _comp_load >/dev/null; then
	_comp_load "$cmd"
else
	__load_completion "$cmd"
fi
spec=$(complete -p "$cmd" 2>/dev/null) || { echo "no completion loaded for $cmd" >&2; exit 97; }
[[ $spec =~ -F\ ([^ ]+) ]] || { echo "not a -F completion: $spec" >&2; exit 96; }
fn=${BASH_REMATCH[1]}
COMP_WORDS=("${words[@]}")
COMP_CWORD=$((${#words[@]} - 1))
COMP_LINE=$line
COMP_POINT=${#line}
COMP_TYPE=9
COMP_KEY=9
COMPREPLY=()
"$fn" "${words[0]}" "${words[COMP_CWORD]}" "${words[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
EOF

# the built oneshot-ps is the one on PATH (the completions ask it)
CPATH=$ONESHOT_BUILDDIR/ps:$PATH

# comp LINE: set GOT to the completions of LINE (sorted, unique, one space
# between) and COMPOPT to what the function asked of compopt; the line is
# completed in the current directory with PATH=$CPATH (COMP_PATH if set)
# under a hard limit, stderr kept for the failure message
comp() {
	local rc
	: >"$SANDBOX/compopt"
	GOT=$(env PATH="${COMP_PATH:-$CPATH}" DRV_COMPOPT="$SANDBOX/compopt" \
		BASH_COMPLETION_USER_DIR="$SANDBOX" HOME="$SANDBOX" \
		timeout -k 2 $((20 * SLOW)) bash --norc --noprofile "$SANDBOX/drv.sh" "$BC" "$1" \
		2>"$SANDBOX/comp.err" | LC_ALL=C sort -u | tr '\n' ' ')
	rc=${PIPESTATUS[0]}
	GOT=${GOT% }
	COMPOPT=$(cat "$SANDBOX/compopt")
	if [ "$rc" -ne 0 ]; then
		fail "completing [$1]: the driver exited $rc: $(cat "$SANDBOX/comp.err")"
		return 1
	fi
	return 0
}

# sorted WORD...: the words sorted, unique, one space between
sorted() {
	printf '%s\n' "$@" | LC_ALL=C sort -u | tr '\n' ' ' | sed 's/ $//'
}

# expect LINE WORDS...: LINE completes to exactly WORDS (in any order)
expect() {
	local line=$1
	shift
	comp "$line" || return 1
	assert_eq "$(sorted "$@")" "$GOT" "completions of [$line]"
}

# expect_has LINE WORD...: LINE's completions include each WORD
expect_has() {
	local line=$1 w
	shift
	comp "$line" || return 1
	for w; do
		[[ " $GOT " == *" $w "* ]] || fail "completions of [$line]: no [$w] among [$GOT]"
	done
}

# expect_lacks LINE WORD...: LINE's completions include no WORD
expect_lacks() {
	local line=$1 w
	shift
	comp "$line" || return 1
	for w; do
		[[ " $GOT " == *" $w "* ]] && fail "completions of [$line]: [$w] should not be there [$GOT]"
	done
}

# table FILE: the long options of the struct option tables in FILE
table() {
	grep -o '{ "[a-z][a-z-]*", *[a-z_]*_argument' "$1" | sed 's/^{ "\([^"]*\)".*/--\1/' | LC_ALL=C sort -u
}

# help_opts PROG: the options that PROG --help lists ("  -j, --jobs N",
# "      --crlf"; not those named in the text)
help_opts() {
	"$1" --help 2>&1 | awk '/^  -[a-zA-Z]/ || /^      --[a-z]/ {
		for (i = 1; i <= 2; i++) { f = $i; sub(/,$/, "", f); if (f ~ /^-/) print f } }' |
		LC_ALL=C sort -u
}

# opts_match LINE WHAT TABLE_OPTS HELP_OPTS: the long options LINE completes
# to are TABLE_OPTS, no more and no fewer, and include every HELP_OPTS
opts_match() {
	local line=$1 what=$2 tab=$3 help=$4 o longs
	comp "$line" || return 1
	longs=$(printf '%s\n' $GOT | grep -- '^--.' | LC_ALL=C sort -u | tr '\n' ' ' | sed 's/ $//')
	assert_eq "$(echo $tab)" "$longs" "$what: the long options completed, against the option table"
	for o in $help; do
		[[ " $GOT " == *" $o "* ]] || fail "$what: $o (in --help) is not completed [$GOT]"
	done
}

# ----------------------------------------------------------- the files

for p in $PROGS; do
	bash -n "$COMPDIR/$p" 2>"$SANDBOX/syntax.err" ||
		fail "completions/$p: bash -n: $(cat "$SANDBOX/syntax.err")"
	# sourced on their own (bash-completion's loader hides their errors)
	err=$(bash --norc --noprofile -c '. "$1" && . "$2"' _ "$BC" "$COMPDIR/$p" 2>&1)
	assert_eq "" "$err" "completions/$p sourced after bash-completion: its output"
done

# --------------------------------------------------------------- options

opts_match "oneshotd-supervise -" "oneshotd-supervise" \
	"$(table "$ONESHOT_SRCDIR/supervisor/options.c")" "$(help_opts "$SUPERVISE")"
opts_match "oneshot-ps -" "oneshot-ps" \
	"$(table "$ONESHOT_SRCDIR/ps/ps_opts.c")" "$(help_opts "$PS")"
# oneshot-ctl: before the command, the common options (ctl.c); after it,
# the command's own (ctl/ctl_COMMAND.c) and -n/-u/-h, which go anywhere
COMMON=$(table "$ONESHOT_SRCDIR/ctl/ctl.c")
opts_match "oneshot-ctl -" "oneshot-ctl" "$COMMON" "-n --name -u --user -h --help -V --version"
for c in send screen attach add interrupt close; do
	f=$ONESHOT_SRCDIR/ctl/ctl_$c.c
	[ "$c" = close ] && f=/dev/null # in ctl_add.c, without options
	[ -e "$f" ] || fatal "no $f"
	opts_match "oneshot-ctl -n x $c --" "oneshot-ctl $c" \
		"$( (table "$f"; echo --name; echo --user; echo --help) | LC_ALL=C sort -u)" ""
done
# and --help's, command by command (the lines under "Commands:")
"$CTL" --help | awk '/^Commands:/ { on = 1; next } /^Options:/ { on = 0 }
	on && /^  [a-z]/ { c = $1; next } on && /^      --/ { print c, $1 }' >"$SANDBOX/ctl.help"
[ -s "$SANDBOX/ctl.help" ] || fail "oneshot-ctl --help: no command options found under Commands:"
while read -r c o; do
	expect_has "oneshot-ctl -n x $c -" "$o"
done <"$SANDBOX/ctl.help"

expect "oneshot-ps --me" --merge
expect "oneshotd-supervise --resume-" --resume-failed
expect "oneshot-ctl -n x send 1 --k" --key
# oneshot-ps takes no option after its first task id
expect "oneshot-ps -n x 3 -" ""

# ----------------------------------------------------- oneshot-ctl commands

expect "oneshot-ctl " add attach close interrupt screen send
expect "oneshot-ctl -n x s" screen send
expect "oneshot-ctl --name=x -u root cl" close
# the command's words are a command line of their own
expect_has "oneshot-ctl -n x add ech" echo
expect_has "oneshot-ctl -n x add --json -- ech" echo
expect "oneshot-ctl -n x add - " ""

# ---------------------------------------------------------------- --key

KEYS=$(grep -o '{ "[A-Za-z0-9]*", "' "$ONESHOT_SRCDIR/ctl/ctl_keys.c" | sed 's/{ "\([^"]*\)".*/\1/')
[ "$(echo $KEYS | wc -w)" -ge 20 ] || fail "ctl/ctl_keys.c: only [$(echo $KEYS)] found as key names"
expect_has "oneshot-ctl -n x send 1 --key " $KEYS C-a C-c C-z 'C-\\'
expect "oneshot-ctl -n x send 1 --key ent" Enter
expect "oneshot-ctl -n x send 1 -k pagedo" PageDown
expect "oneshot-ctl -n x send --key=Esc" Escape
expect_has "oneshot-ctl -n x attach --detach-key C-" 'C-\\' 'C-]' C-a
expect_lacks "oneshot-ctl -n x attach --detach-key " Enter

# -------------------------------------------------------------- --state

STATES=$(sed -n '/state_names\[OS_STATE_COUNT\] = {/,/};/p' "$ONESHOT_SRCDIR/shm/state.c" |
	grep -o '"[A-Z]*"' | tr -d '"')
[ -n "$STATES" ] || fail "shm/state.c: no state names found"
expect "oneshot-ps -n x --state " $STATES WAITING
expect "oneshot-ps -n x --state=fa" FAILED
expect "oneshot-ps -n x --state running,co" running,COMPLETED
expect "oneshot-ps -n x --state IDLE,W" IDLE,WAITING

# ------------------------------------------------------- files, values

mkdir -p "$SANDBOX/cwd/jobsdir" || fatal "mkdir"
: >"$SANDBOX/cwd/jobs.tasks"
: >"$SANDBOX/cwd/other"
cd "$SANDBOX/cwd" || fatal "cd $SANDBOX/cwd"
expect "oneshotd-supervise -j 2 jobs" jobs.tasks jobsdir
expect "oneshotd-supervise jo" jobs.tasks jobsdir
expect "oneshotd-supervise jobs.tasks " ""           # one TASKFILE
expect "oneshotd-supervise jobs.tasks --ta" --tail   # options after it
expect "oneshotd-supervise -L jo" jobsdir
expect "oneshotd-supervise --log-dir=jo" jobsdir
expect "oneshotd-supervise -C jo" jobsdir
expect "oneshotd-supervise --metrics jo" jobs.tasks jobsdir
expect "oneshot-ctl -n x send 1 --file jo" jobs.tasks jobsdir
expect "oneshot-ps --merge jo" jobsdir
expect "oneshot-ps --merge -o jo" jobsdir
expect "oneshotd-supervise -j " ""
export ONESHOT_E2E_COMPLETION_VAR=1
expect "oneshotd-supervise --env ONESHOT_E2E_COMPLETION_V" ONESHOT_E2E_COMPLETION_VAR=
assert_match "nospace" "$COMPOPT" "--env NAME=: no space after the ="
expect "oneshotd-supervise --rlimit nof" nofile=
expect "oneshotd-supervise --shard a" auto
cd "$SANDBOX" || fatal "cd $SANDBOX"

# ------------------------------------------------------------ live runs

# a finished run
new_run done
DONE=$RUN
printf 'true\n' >"$SANDBOX/done.tasks"
supervise -n "$DONE" -L "$LOG" "$SANDBOX/done.tasks" </dev/null >/dev/null 2>&1 ||
	fatal "the finished run failed"

# a live one: tasks 1 and 3 held at a gate, 2 completed, 4 not started (-j 2)
new_run live
LIVE=$RUN
G="$SANDBOX/gate"
gate_close "$G"
{
	echo "$(gate_wait "$G")"
	echo "true"
	echo "$(gate_wait "$G")"
	echo "true"
} >"$SANDBOX/live.tasks"
detach -j 2 -n "$LIVE" -L "$LOG" "$SANDBOX/live.tasks"
live_ready() {
	ps_run -n "$LIVE" --json
	[[ $PS_OUT == *'"id":1,"state":"RUNNING"'* && $PS_OUT == *'"id":2,"state":"COMPLETED"'* &&
		$PS_OUT == *'"id":3,"state":"RUNNING"'* && $PS_OUT == *'"id":4,"state":"CREATED"'* ]]
}
wait_for live_ready $((20 * SLOW)) ||
	fatal "run $LIVE: not tasks 1, 3 RUNNING, 2 COMPLETED, 4 CREATED: [$PS_OUT]"

# run names: any run for -n; finished ones for --rm and a new run's name
expect_has "oneshot-ps -n ${LIVE%?}" "$LIVE"
expect_has "oneshot-ps --name=${LIVE%?}" "$LIVE"
expect_has "oneshot-ps -u $(id -un) -n ${LIVE%?}" "$LIVE"
expect_has "oneshot-ps -n e2e-completion-" "$LIVE" "$DONE"
expect_has "oneshot-ctl -n ${LIVE%?}" "$LIVE"
expect_has "oneshot-ctl -n ${DONE%?}" "$DONE"
expect_has "oneshot-ps --rm e2e-completion-" "$DONE"
expect_lacks "oneshot-ps --rm e2e-completion-" "$LIVE"
expect_has "oneshotd-supervise -n e2e-completion-" "$DONE"
expect_lacks "oneshotd-supervise -n e2e-completion-" "$LIVE"
expect "oneshot-ps -n no-such-run-$$" ""

# task ids: all of them for oneshot-ps, less those typed already
expect "oneshot-ps -n $LIVE " 1 2 3 4
expect "oneshot-ps -n $LIVE 1 3 " 2 4
expect "oneshot-ps -n $LIVE --json -w " ""      # a number here is SEC
expect "oneshot-ps -n $LIVE --wait -- " 1 2 3 4
expect "oneshot-ps -n $LIVE --wait=5 4 " 1 2 3
expect "oneshot-ps --name=$LIVE " 1 2 3 4
expect "oneshot-ps -n $DONE " 1
expect "oneshot-ps -n no-such-run-$$ " ""
# oneshot-ctl: the live tasks where a live task is needed, started ones for screen
expect "oneshot-ctl -n $LIVE interrupt " 1 3
expect "oneshot-ctl -n $LIVE interrupt 3 " 1
expect "oneshot-ctl -n $LIVE send " 1 3
expect "oneshot-ctl -n $LIVE send 1 " ""       # TEXT
expect "oneshot-ctl -n $LIVE attach --read-only " 1 3
expect "oneshot-ctl --name=$LIVE attach " 1 3
expect "oneshot-ctl -n $LIVE screen " 1 2 3
expect "oneshot-ctl -n $LIVE screen --json " 1 2 3
expect "oneshot-ctl interrupt " ""              # which run?
expect "oneshot-ctl -n $LIVE close " ""
# a program typed with its directory asks the oneshot-ps beside it (a build
# tree: ../ps/), whatever PATH holds
COMP_PATH=/usr/bin:/bin expect "$CTL -n $LIVE interrupt " 1 3
COMP_PATH=/usr/bin:/bin expect "$PS -n $LIVE 4 " 1 2 3

# a oneshot-ps that never answers: nothing to complete, after 2 s
HANG="sleep 59.$$" # unique: its pid
mkdir "$SANDBOX/hang" && printf '#!/bin/sh\nexec %s\n' "$HANG" >"$SANDBOX/hang/oneshot-ps" &&
	chmod +x "$SANDBOX/hang/oneshot-ps" || fatal "cannot write the hanging oneshot-ps"
t0=$(now_us)
COMP_PATH=$SANDBOX/hang:$PATH expect "oneshot-ctl -n $LIVE interrupt " ""
COMP_PATH=$SANDBOX/hang:$PATH expect "oneshot-ps -n " ""
ms=$(ms_since "$t0")
assert_le "$ms" $((8000 * SLOW)) "two completions with a oneshot-ps that hangs: ms taken"
if command -v pgrep >/dev/null; then
	wait_for "! pgrep -x -f '$HANG' >/dev/null" 3 ||
		fail "the hanging oneshot-ps outlived its completion: $(pgrep -a -x -f "$HANG")"
fi

gate_open "$G"
wait_gone "$SUP_PID" $((30 * SLOW))
ps_run -n "$LIVE" --wait=10
assert_eq 0 "$PS_RC" "the live run ends well once its gate opens ($PS_ERR)"
assert_no_survivors "$LIVE" 3
