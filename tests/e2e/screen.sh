#!/bin/bash
# screen.sh: screen/ against tmux.  The same bytes are shown by tmux and by
# tests/screen_dump (screen/'s replay), and the two screens must be equal:
# every line (capture-pane -p trims trailing blanks, as screen/ does), the
# cursor, and the title where the bytes set one.
#
# Both ways a run writes its transcript:
#  - without --crlf the transcript has the program's bare LFs and screen/
#    replays each as CR LF: tmux gets the file through `stty onlcr`, which
#    is what an interactive terminal would have got;
#  - with --crlf the transcript is what the terminal got (the kernel made
#    each LF CR LF): tmux gets that file through `stty -onlcr`, byte for
#    byte, and screen_dump runs with --crlf.  A bare LF in such a file
#    stays a line feed (a staircase).
#
# Cases: a clear and cursor addressing, a \r progress bar, the alternate
# screen still active and entered then left, a scroll region, wide and
# combining characters, line editing (insert/delete characters and lines,
# erase in line), wrapping, a title; and transcripts longer than the replay
# bound (--replay-max), so that replay starts at the reset point find.c
# chooses: after a clear, in the alternate screen, and after leaving it.
#
# tmux runs on a private socket in the sandbox, killed at exit.  No fixed
# sleeps: after the file, the pane asks tmux for the cursor position (DSR),
# which tmux answers only once it has taken in every byte before it, and
# then signals a tmux wait-for channel the test waits on.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"

DUMP="$ONESHOT_BUILDDIR/tests/screen_dump"
[ -x "$DUMP" ] || fatal "$DUMP is not built"
command -v tmux >/dev/null 2>&1 || skip "tmux is not installed"

# tmux wants a UTF-8 locale for wide characters; its socket goes in the sandbox
export TMUX_TMPDIR="$SANDBOX"
unset TMUX TMUX_PANE
SOCK=screen-e2e
tm() {
	LC_ALL=C.UTF-8 timeout 20 tmux -u -L "$SOCK" -f /dev/null "$@"
}

screen_cleanup() {
	local st=$?
	tm kill-server >/dev/null 2>&1
	(exit "$st")
	e2e_cleanup
}
trap screen_cleanup EXIT

COLS=40
ROWS=10
N=0

# The pane's program: FILE through `stty ONLCR`, then the DSR round trip
# (-echo -icanon: its answer is read, never shown), then the signal.
cat >"$SANDBOX/show.sh" <<'EOF'
stty -echo -icanon "$2"
cat "$1"
printf '\033[6n'
IFS= read -r -d R _
tmux wait-for -S "$3"
exec sleep 1000
EOF

# tmux_screen FILE ONLCR: FILE shown in a new COLSxROWS tmux session; sets
# T_LINES (capture-pane -p), T_CURSOR ("row col") and T_TITLE.
tmux_screen() {
	local file=$1 onlcr=$2 name
	N=$((N + 1))
	name="case$N"
	tm new-session -d -s "$name" -x "$COLS" -y "$ROWS" \
		"bash '$SANDBOX/show.sh' '$file' $onlcr ready-$name" ||
		fatal "tmux new-session failed"
	tm wait-for "ready-$name" || fatal "$name: tmux did not show $file"
	T_LINES=$(tm capture-pane -p -t "$name")
	T_CURSOR=$(tm display -p -t "$name" '#{cursor_y} #{cursor_x}')
	T_TITLE=$(tm display -p -t "$name" '#{pane_title}')
	tm kill-session -t "$name"
}

# json_cursor JSON, json_title JSON: from screen_dump --json (a title
# without quotes or backslashes)
json_cursor() {
	sed -n 's/.*"cursor":{"row":\([0-9]*\),"col":\([0-9]*\)}.*/\1 \2/p' <<<"$1"
}
json_title() {
	sed -n 's/.*"title":"\([^"]*\)".*/\1/p' <<<"$1"
}

# compare WHAT FILE [--title] [SCREEN_DUMP_OPTIONS...]: FILE in tmux and
# through screen_dump, both ways (see the top): FILE as a transcript
# without --crlf, and FILE with each LF made CR LF, as the kernel writes it
# with --crlf, as a transcript with --crlf.
compare() {
	local what=$1 file=$2 title=0 mode
	shift 2
	if [ "${1:-}" = --title ]; then
		title=1
		shift
	fi
	perl -pe 's/\n/\r\n/g' "$file" >"$file.crlf"
	compare_one "$what" "$file" onlcr "$title" "$@"
	compare_one "$what (--crlf)" "$file.crlf" -onlcr "$title" --crlf "$@"
}

# compare_one WHAT FILE ONLCR TITLE [SCREEN_DUMP_OPTIONS...]
compare_one() {
	local what=$1 file=$2 onlcr=$3 title=$4 ours json cursor
	shift 4
	tmux_screen "$file" "$onlcr"
	# $(...) drops trailing newlines: the same for both sides
	ours=$("$DUMP" "$@" "${COLS}x$ROWS" "$file") || fail "$what: screen_dump failed"
	json=$("$DUMP" --json "$@" "${COLS}x$ROWS" "$file")
	assert_eq "$T_LINES" "$ours" "$what: lines"
	# after the last column tmux counts the cursor one past it, libvterm
	# (like xterm) keeps it on the last column until the next character
	cursor=${T_CURSOR% *}
	cursor="$cursor $(( ${T_CURSOR#* } < COLS ? ${T_CURSOR#* } : COLS - 1 ))"
	assert_eq "$cursor" "$(json_cursor "$json")" "$what: cursor (row col)"
	if [ "$title" = 1 ]; then
		assert_eq "$T_TITLE" "$(json_title "$json")" "$what: title"
	fi
}

# put NAME PRINTF-FORMAT [ARGS...]: the bytes into $SANDBOX/NAME; sets F
put() {
	F="$SANDBOX/$1"
	shift
	# shellcheck disable=SC2059
	printf "$@" >"$F"
}

# ------------------------------------------------------------------ cases

put clear 'old line 1\nold line 2\nold line 3\n\e[2J\e[Htop left\e[5;10Hmiddle\e[10;35Hend\e[3;1Hthird'
compare "clear and cursor addressing" "$F"

put progress 'downloading\n'
for p in 0 10 20 30 40 50 60 70 80 90 100; do
	printf '\r[%-10s] %3d%%' "$(printf '%*s' $((p / 10)) '' | tr ' ' '#')" "$p" >>"$F"
done
printf '\ndone\n' >>"$F"
compare "progress bar" "$F"

put alt-on 'shell line 1\nshell line 2\n\e[?1049h\e[H\e[2Jin the alternate screen\e[4;6Hstatus: on'
compare "alternate screen, still active" "$F"

put alt-off 'shell line 1\nshell line 2\n$ less\n\e[?1049h\e[H\e[2Jpager page\e[10;1H:\e[?1049l$ after\n'
compare "alternate screen, entered and left" "$F"

put region '\e[H\e[2Jheader\e[10;1Hfooter\e[2;9r\e[2;1H'
for i in $(seq 1 20); do printf 'scrolled %d\n' "$i" >>"$F"; done
printf '\e[r\e[1;10Hstill here' >>"$F"
compare "scroll region" "$F"

put wide '中文字符 wide\n😀 emoji 🎉\ncafe\xcc\x81 combining\nＡＢＣＤ\n%038dxx中\n%039d中end\n' 0 0
compare "wide and combining characters" "$F"

put editing 'abcdefghij\e[4D\e[2@XY\nsecond line here\e[6D\e[3P\nerase to end\e[5D\e[K\nline 4\nline 5\e[4;1H\e[L\e[6;1H\e[M'
compare "line editing" "$F"

put wrap '%s\n' "$(printf 'w%.0s' $(seq 1 95))" $'tab\tstop\tx' "$(seq -s ' ' 1 40)"
compare "wrapping, tabs and scrolling" "$F"

put title '\e]2;a task title\aline\n'
compare "title" "$F" --title

# a bare LF in a --crlf transcript (a program that turned ONLCR off itself)
# is a line feed only
put staircase 'one\ntwo\nthree\n'
compare_one "bare LF with --crlf" "$F" -onlcr 0 --crlf

# Longer than the replay bound: filler before the reset point, which must
# not show, and the replay must say it is exact and start past the file's
# start (more than SCREEN_CONTEXT, 64 KiB, before the reset point).
filler() {
	local i
	for i in $(seq 1 "$1"); do printf '\e[3%dmfiller %d\e[0m line\n' $((i % 8)) "$i"; done
}
# replayed_from WHAT FILE MAX: the replay of FILE under --replay-max MAX is
# exact and starts past the file's start
replayed_from() {
	local info
	info=$("$DUMP" -v --replay-max "$3" "${COLS}x$ROWS" "$2" 2>&1 >/dev/null)
	assert_match '^exact=1 from=[1-9][0-9]*$' "$info" "$1: where the replay starts"
}

put long-clear "%s" "$(filler 3000)"
printf '\e[H\e[2Jafter the clear\e[4;4Hsecond' >>"$F"
compare "replay from a clear" "$F" --replay-max 4096
replayed_from "replay from a clear" "$F" 4096

put long-alt "%s" "$(filler 3000)"
printf 'prompt\n\e[?1049h\e[Hfull screen app\e[3;3Hbox' >>"$F"
compare "replay from entering the alternate screen" "$F" --replay-max 4096
replayed_from "replay from entering the alternate screen" "$F" 4096

# the clear inside the alternate screen is no reset point for the primary
# one shown at the end: the replay starts at the primary clear before it
put long-alt-left "%s" "$(filler 3000)"
printf '\e[H\e[2Jprimary after clear\nmore\n\e[?1049h\e[H\e[2Japp\e[2J\e[Hstill app\n' >>"$F"
printf '%s' "$(filler 150)" >>"$F"
printf '\e[?1049lback in primary\n' >>"$F"
compare "replay past an alternate screen session" "$F" --replay-max 8192
replayed_from "replay past an alternate screen session" "$F" 8192

exit 0
