#!/bin/bash
# queue-security.sh: a queue run's endpoint (supervisor/queue_serve.c, wire
# format steer/queue.h) against other users and hostile clients.  The
# clients are a hand-made one (qclient.py, written into the sandbox below)
# that speaks the record format or deliberately breaks it, and oneshot-ctl.
# The supervisor speaks first: READY to a client that has one of its 8
# places (QUEUE_CLIENTS), a BUSY reply to one more of the owner's, nothing
# to another user's.
#  - only the run's owner and root get in, as the kernel says (SO_PEERCRED):
#    user nobody's `oneshot-ctl -u root add` is refused (exit 1, one line),
#    and nobody's raw clients of the abstract socket (its name is public in
#    /proc/net/unix) are closed at once without a byte, not even READY;
#    nothing is added (oneshot-ps total and LOGDIR/queue unchanged, the
#    command never runs).  Needs root, setpriv and a user nobody; without
#    them that part is left out (noted);
#  - a client costs a bounded amount and is cut off: 8 clients that take
#    READY and send nothing (or one ADD and then nothing) are all cut off at
#    their 10 s deadline (QUEUE_CLIENT_NS), not before, with no reply, and
#    never more than 8 are held.  While they hold every place, a 9th client
#    gets a BUSY reply at once and is closed (accept_clients greets it and
#    closes it before reading anything), and a real `oneshot-ctl add` (the
#    10th) is not refused: it is told BUSY and tries again (for up to 10 s,
#    ctl_queue_request); it is still waiting, nothing added, a second after
#    it started, and once the idle clients are cut it gets its place and its
#    id (exit 0).  It starts 2 s after the idle clients so that their 10 s
#    end well inside its 10 s.  (Its exit 75 after 10 s of BUSY would need
#    places held past the deadline, which the deadline forbids: not tested.)
#    Only the owner and root can take a place (anyone else is closed before
#    taking one), so only they can keep others waiting, 10 s at a time.  All
#    along the supervisor is not blocked: a task added before the idle
#    clients completes while they hang;
#  - records that are not well formed (wrong magic or version, short, empty,
#    a size that is not its type's, an ADD whose length field does not match
#    its bytes, an ADD of zero or over QUEUE_CMD_MAX bytes or with a NUL or a
#    line break in its command or stray fields, a COMMIT whose count is not
#    the ADDs sent or is 0, a CLOSE after ADDs or with stray fields, a REPLY,
#    a READY or an unknown type sent by the client) each end the connection
#    within a moment (long before the 10 s deadline) with no reply; nothing
#    is added, nothing runs, the queue stays open;
#  - an add over the limits is cut off, nothing added: QUEUE_ADD_MAX (65536)
#    ADD records and their COMMIT draw a reply (FULL here: the table has 8
#    slots), one more ADD is cut at once (no COMMIT needed); 64 commands of
#    QUEUE_CMD_MAX bytes (8388544 bytes, under QUEUE_BYTES_MAX) and their
#    COMMIT draw a reply, 65 are cut;
#  - at the end LOGDIR/queue holds exactly the tasks the test added, the
#    run ends on `oneshot-ctl close` with status 0 (every task COMPLETED).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$ONESHOT_SRCDIR/tests/e2e/lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ps-lib.sh"
. "$ONESHOT_SRCDIR/tests/e2e/ctl-lib.sh"

HAVE_NOBODY=0
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && id -u nobody >/dev/null 2>&1; then
	. "$ONESHOT_SRCDIR/tests/e2e/nobody-lib.sh" "$CTL" "$PYTHON"
	HAVE_NOBODY=1
fi

QCLIENT="$SANDBOX/qclient.py"
MARK="$SANDBOX/mark" # a command that should never run touches a file here
mkdir -m 0777 "$MARK"

# qclient.py ADDR MODE [ARGS]: one client of a queue endpoint; ADDR is the
# abstract name without the leading @.  It waits for the supervisor's first
# word (5 s) and, unless that is READY, prints it and stops.  Prints:
#   ready                      the supervisor's READY (hold only)
#   reply STATUS FIRST COUNT   a REPLY (steer/queue.h: 0 OK, 2 FULL, 6 BUSY)
#   closed                     the connection ended without a record
#   timeout                    nothing within the wait
#   refused ERRNO              connect failed
# Modes:
#   add CMD                one well-formed ADD of CMD and COMMIT 1 (wait 10 s)
#   bad NAME MARKDIR       after READY the broken request NAME (see BAD),
#                          then wait 5 s: well under the 10 s deadline, so
#                          "closed" is the record's doing; every command
#                          would touch a file in MARKDIR if it ever ran
#   many N SIZE COUNT WAIT N ADDs of SIZE-byte commands, then COMMIT COUNT
#                          (none if 0), then wait WAIT s for the answer
#   hold silent|staged     print the first word; after READY (staged: send
#                          one ADD) or a REPLY wait up to 30 s for the end:
#                          "closed SECS" (since the connect) or "timeout"
cat >"$QCLIENT" <<'PY'
import socket, struct, sys, time

MAGIC, VERSION = 0x514F, 1
ADD, COMMIT, CLOSE, REPLY, READY = 1, 2, 3, 4, 5
CMD_MAX = 131071


def head(kind, a=0, b=0, c=0, magic=MAGIC, version=VERSION):
    return struct.pack("<HBBIII", magic, version, kind, a, b, c)


def add(cmd, a=None, b=0, c=0, **kw):
    cmd = cmd.encode() if isinstance(cmd, str) else cmd
    return head(ADD, len(cmd) if a is None else a, b, c, **kw) + cmd


def connect(addr):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    # a record must fit the send buffer whole (the kernel doubles this)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 19)
    s.connect("\0" + addr)
    return s


def answer(s, wait):
    s.settimeout(wait)
    try:
        data = s.recv(64)
    except socket.timeout:
        return "timeout"
    except (ConnectionResetError, BrokenPipeError):
        return "closed"
    if not data:
        return "closed"
    if len(data) != 16:
        return "bad-reply %d bytes" % len(data)
    magic, version, kind, a, b, c = struct.unpack("<HBBIII", data)
    if magic == MAGIC and version == VERSION and kind == READY and not (a or b or c):
        return "ready"
    if magic != MAGIC or version != VERSION or kind != REPLY:
        return "bad-reply %r" % data
    return "reply %d %d %d" % (a, b, c)


def request(addr, records, wait):
    try:
        s = connect(addr)
    except OSError as e:
        return "refused %d" % e.errno
    first = answer(s, 5)
    if first != "ready":
        return first
    try:
        for r in records:
            s.send(r)
    except (BrokenPipeError, ConnectionResetError):
        return "closed"  # cut off while sending
    return answer(s, wait)


addr, mode = sys.argv[1], sys.argv[2]
if mode == "add":
    print(request(addr, [add(sys.argv[3]), head(COMMIT, 1)], 10))
elif mode == "bad":
    name, mark = sys.argv[3], sys.argv[4]
    t = lambda tag: "touch %s/%s.%s" % (mark, name, tag)
    commit1 = head(COMMIT, 1)
    BAD = {
        "bad-magic": [add(t("x"), magic=0x4F51), commit1],
        "bad-version": [add(t("x"), version=2), commit1],
        "short": [head(COMMIT, 1)[:8]],
        "empty-record": [b""],
        "commit-too-long": [add(t("x")), head(COMMIT, 1) + b"\0"],
        "add-len-over": [add(t("x"), a=len(t("x")) + 5), commit1],
        "add-len-under": [add(t("x"), a=len(t("x")) - 3), commit1],
        "add-zero": [add(b"", a=0), commit1],
        "add-nul": [add(t("nul") + "\0; " + t("after")), commit1],
        "add-newline": [add(t("nl") + "\n" + t("line2")), commit1],
        "add-cr-lf": [add(t("crlf") + "\r\n2\t" + t("fake")), commit1],
        "add-stray-b": [add(t("x"), b=1), commit1],
        "add-stray-c": [add(t("x"), c=7), commit1],
        "add-too-long": [add(t("x") + " #" + "y" * (CMD_MAX + 1 - len(t("x")) - 2)), commit1],
        "commit-more": [add(t("1")), add(t("2")), head(COMMIT, 3)],
        "commit-fewer": [add(t("1")), add(t("2")), head(COMMIT, 1)],
        "commit-zero": [head(COMMIT, 0)],
        "commit-stray": [add(t("x")), head(COMMIT, 1, 1)],
        "close-after-add": [add(t("x")), head(CLOSE)],
        "close-stray": [head(CLOSE, 1)],
        "reply-from-client": [head(REPLY, 0, 1, 1)],
        "ready-from-client": [head(READY)],
        "unknown-type": [head(9, 1), commit1],
        "type-zero": [head(0, 1), commit1],
    }
    if name not in BAD:
        sys.exit("qclient.py: no such bad request: " + name)
    print(request(addr, BAD[name], 5))
elif mode == "many":
    n, size, count, wait = (int(a) for a in sys.argv[3:7])
    rec = add("true #" + "x" * (size - 6))
    t0 = time.monotonic()
    out = request(addr, [rec] * n + ([head(COMMIT, count)] if count else []), wait)
    print(out, "%.2f" % (time.monotonic() - t0), file=sys.stderr)
    print(out)
elif mode == "hold":
    t0 = time.monotonic()
    try:
        s = connect(addr)
    except OSError as e:
        print("refused %d" % e.errno, flush=True)
        sys.exit(0)
    first = answer(s, 5)
    print(first, flush=True)
    if first == "ready" or first.startswith("reply"):
        try:
            if first == "ready" and sys.argv[3] == "staged":
                s.send(add("touch /nonexistent/staged"))
            out = answer(s, 30)
        except (BrokenPipeError, ConnectionResetError):
            out = "closed"
        print(out if out != "closed" else "closed %.2f" % (time.monotonic() - t0), flush=True)
else:
    sys.exit("qclient.py: no such mode: " + mode)
PY
chmod 0644 "$QCLIENT"

# queue_endpoint PID: the queue endpoint process PID holds open
queue_endpoint() {
	endpoint "$1" queue
}

# sockets PID: how many sockets process PID holds open
sockets() {
	local n=0 f l
	for f in /proc/"$1"/fd/*; do
		l=$(readlink "$f" 2>/dev/null) || continue
		[[ $l == socket:* ]] && n=$((n + 1))
	done
	echo "$n"
}

# total: the tasks run RUN has accepted (oneshot-ps's header count)
total() {
	psx -n "$RUN" --json 2>/dev/null | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["run"]["total"])' 2>/dev/null
}

qsum() { sha256sum <"$LOG/queue" 2>/dev/null; }

# unchanged WHAT: nothing was added since the last snapshot (snap)
snap() {
	SNAP_TOTAL=$(total)
	SNAP_QUEUE=$(qsum)
}
unchanged() {
	assert_eq "$SNAP_TOTAL" "$(total)" "$1: oneshot-ps total unchanged"
	assert_eq "$SNAP_QUEUE" "$(qsum)" "$1: LOGDIR/queue unchanged"
}

# --- the run ----------------------------------------------------------------
new_run q
G="$SANDBOX/gate"
gate_close "$G"
start_bg --queue --queue-size 8 -j 2 -n "$RUN" -L "$LOG" </dev/null >"$SANDBOX/sup.out" 2>&1
wait_table "$RUN" "$SUP_PID" 10 || fatal "run $RUN never showed its table"
wait_for "[ -n \"\$(queue_endpoint $SUP_PID)\" ]" 10 || fatal "the supervisor has no queue endpoint"
addr=$(queue_endpoint "$SUP_PID")
assert_match "^oneshot\\.queue\\.$E2E_UID\\.[0-9a-f]{32}$" "$addr" "one abstract endpoint, named by uid and key"
assert_eq 0 "$(total)" "an empty queue to start with"
base0=$(sockets "$SUP_PID") # the listening socket (and any other of the supervisor's)
expect_queue="" # what LOGDIR/queue must hold in the end

# --- 1. other users: refused by the kernel's word -------------------------
if [ "$HAVE_NOBODY" = 1 ]; then
	snap
	out=$(as_nobody "$CTL" -n "$RUN" -u root add touch "$MARK/ctl-u-root" 2>&1)
	rc=$?
	assert_eq 1 "$rc" "nobody: -u root add: exit status"
	assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "nobody: -u root add: one line ($out)"
	assert_match "only root can act on another user's runs" "$out" "nobody: -u root add: refused"
	out=$(as_nobody "$CTL" -n "$RUN" add touch "$MARK/ctl" 2>&1)
	assert_eq 1 "$?" "nobody: add without -u: exit status"
	assert_match "no run named $RUN" "$out" "nobody: add without -u: no such run for nobody"
	out=$(as_nobody "$CTL" -n "$RUN" -u root close 2>&1)
	assert_eq 1 "$?" "nobody: -u root close: exit status ($out)"
	as_nobody test -r "$SHM" && fail "nobody can read the table (where the key is)"
	assert_match "@$addr" "$(as_nobody grep -F "@$addr" /proc/net/unix)" \
		"the endpoint's name is public to nobody in /proc/net/unix"
	for req in "add touch $MARK/raw-nobody" "hold silent" "bad close-stray $MARK"; do
		t0=$(now_us)
		out=$(as_nobody "$PYTHON" "$QCLIENT" "$addr" $req)
		assert_eq closed "$out" "nobody's raw client ($req): closed without a byte, not even READY"
		assert_le "$(ms_since "$t0")" $((3000 * SLOW)) "... at once, not at the 10 s deadline (ms)"
	done
	unchanged "after nobody's tries"
	assert_eq "" "$(ls "$MARK")" "nothing nobody sent ran"
	assert_eq "$base0" "$(sockets "$SUP_PID")" "the supervisor holds no client of nobody's"
else
	note "not root, or no setpriv or user nobody: the other-user part is left out"
fi

# The same well-formed raw add as the owner: taken (the client is right).
out=$("$PYTHON" "$QCLIENT" "$addr" add "echo raw-add")
assert_eq "reply 0 1 1" "$out" "the owner's raw add: OK, id 1, one task"
expect_queue+=$'1\techo raw-add\n'
wait_state "$RUN" 1 COMPLETED 10

# --- 2. idle clients: bounded, cut at 10 s; the supervisor goes on --------
ctl -n "$RUN" add "$(gate_wait "$G"); echo gated-done"
assert_eq "0 2" "$CTL_RC $CTL_OUT" "a task added before the idle clients ($CTL_ERR)"
expect_queue+=$'2\t'"$(gate_wait "$G"); echo gated-done"$'\n'
wait_state "$RUN" 2 RUNNING 10
base=$(sockets "$SUP_PID")
snap
hold_pids=()
for i in 1 2 3 4 5 6 7 8; do
	mode=silent
	[ "$i" -gt 6 ] && mode=staged
	"$PYTHON" "$QCLIENT" "$addr" hold "$mode" >"$SANDBOX/hold.$i" 2>&1 &
	hold_pids+=($!)
done
t_hold=$(now_us)
holders() { cat "$SANDBOX"/hold.[1-8] 2>/dev/null; }
wait_for "[ \$(holders | grep -c '^ready$') -eq 8 ]" $((5 * SLOW)) ||
	fail "the 8 idle clients did not all get READY: $(holders | tr '\n' ' ')"
assert_eq $((base + 8)) "$(sockets "$SUP_PID")" "the supervisor holds the 8 idle clients"
# the 9th: told BUSY at once and closed, the 8 held
t0=$(now_us)
out=$("$PYTHON" "$QCLIENT" "$addr" hold silent)
assert_match $'^reply 6 0 0\nclosed [0-9.]+$' "$out" "a 9th client: a BUSY reply, then the end"
assert_le "$(ms_since "$t0")" $((2000 * SLOW)) "... at once (ms)"
assert_le "$(sockets "$SUP_PID")" $((base + 8)) "never more than 8 clients held"
# the supervisor is not blocked: the task added before them ends now
gate_open "$G"
wait_state "$RUN" 2 COMPLETED 5
assert_eq "" "$(holders | grep '^closed')" "task 2 completed while the idle clients still hung"
assert_le "$(ms_since "$t_hold")" 8000 "... well before their deadline (ms since they connected)"
# a real add from a 10th, 2 s after the idle clients came: told BUSY, it
# tries again until a place is free (the idle clients' end, at 10 s)
wait_for "[ \$(ms_since $t_hold) -ge 2000 ]" 3
t_ctl=$(now_us)
( timeout -k 5 30 "$CTL" -n "$RUN" add echo tenth >"$SANDBOX/tenth.out" 2>"$SANDBOX/tenth.err"
  echo "$? $(ms_since "$t_ctl")" >"$SANDBOX/tenth.rc" ) &
tenth_pid=$!
sleep 1
assert_eq "" "$(cat "$SANDBOX/tenth.rc" 2>/dev/null)" \
	"oneshot-ctl add while 8 idle clients hold every place: still waiting after 1 s ($(cat "$SANDBOX/tenth.err"))"
assert_eq "" "$(holders | grep '^closed')" "... while the idle clients still hang"
unchanged "while 8 idle clients hold every place"
# each idle client is cut off at its 10 s deadline, not before, no reply
wait_for "[ \$(holders | grep -c '^closed') -eq 8 ]" $((15 * SLOW)) ||
	fail "the idle clients were not all cut off within $((15 * SLOW)) s: $(holders | tr '\n' ' ')"
for i in 1 2 3 4 5 6 7 8; do
	out=$(cat "$SANDBOX/hold.$i")
	if assert_match $'^ready\nclosed [0-9.]+$' "$out" "idle client $i: READY, then closed without a reply"; then
		secs=${out#*closed }
		assert_le 9 "${secs%.*}" "idle client $i: not cut before the 10 s deadline (s: $secs)"
		assert_le "${secs%.*}" $((10 + 2 * SLOW)) "idle client $i: cut at the 10 s deadline (s: $secs)"
	fi
done
wait "${hold_pids[@]}" 2>/dev/null
# the 10th got its place
wait_for "[ -s '$SANDBOX/tenth.rc' ]" $((5 * SLOW)) || fail "oneshot-ctl add did not end once places were free"
wait "$tenth_pid" 2>/dev/null
read -r rc ms <"$SANDBOX/tenth.rc"
assert_eq "0 3" "$rc $(cat "$SANDBOX/tenth.out")" "the 10th add, once the idle clients are cut: id 3 ($(cat "$SANDBOX/tenth.err"))"
assert_le 6000 "$ms" "... after waiting for a place (ms)"
expect_queue+=$'3\techo tenth\n'
wait_state "$RUN" 3 COMPLETED 10
wait_for "[ \$(sockets $SUP_PID) -eq $base0 ]" 2 || fail "the supervisor still holds $(sockets "$SUP_PID") sockets"

# --- 2b. records that are not well formed ------------------------------------
snap
for bad in bad-magic bad-version short empty-record commit-too-long add-len-over \
	add-len-under add-zero add-nul add-newline add-cr-lf add-stray-b add-stray-c \
	add-too-long commit-more commit-fewer commit-zero commit-stray close-after-add \
	close-stray reply-from-client ready-from-client unknown-type type-zero; do
	out=$("$PYTHON" "$QCLIENT" "$addr" bad "$bad" "$MARK")
	assert_eq closed "$out" "$bad: the connection ends with no reply"
done
unchanged "after the broken records"
assert_eq "" "$(ls "$MARK")" "no command of a broken record ran"
assert_eq 1 "$(psx -n "$RUN" --json | "$PYTHON" -c 'import json,sys; print(1 if json.load(sys.stdin)["run"]["state"] == "active" else 0)')" \
	"the run is active"
assert_eq "reply 0 4 1" "$("$PYTHON" "$QCLIENT" "$addr" add "echo still-open")" \
	"the queue is still open: a well-formed add is taken"
expect_queue+=$'4\techo still-open\n'
wait_state "$RUN" 4 COMPLETED 10

# --- 3. adds over the limits ---------------------------------------------
snap
assert_eq "reply 2 0 0" "$("$PYTHON" "$QCLIENT" "$addr" many 65536 8 65536 10 2>"$SANDBOX/many.err")" \
	"65536 ADDs (QUEUE_ADD_MAX) and their COMMIT: answered (FULL: 8 slots)"
note "65536 adds: $(cat "$SANDBOX/many.err")"
# One more ADD is cut off as it comes, without waiting for a COMMIT (which
# could not match 65537 anyway) or for the 10 s deadline.
assert_eq closed "$("$PYTHON" "$QCLIENT" "$addr" many 65537 8 0 5 2>"$SANDBOX/many.err")" \
	"65537 ADDs: cut off at once, no reply"
note "65537 adds: $(cat "$SANDBOX/many.err")"
assert_eq "reply 2 0 0" "$("$PYTHON" "$QCLIENT" "$addr" many 64 131071 64 10 2>"$SANDBOX/many.err")" \
	"64 ADDs of 131071 bytes (under QUEUE_BYTES_MAX) and their COMMIT: answered (FULL)"
note "64 x 131071 bytes: $(cat "$SANDBOX/many.err")"
assert_eq closed "$("$PYTHON" "$QCLIENT" "$addr" many 65 131071 65 5 2>"$SANDBOX/many.err")" \
	"65 ADDs of 131071 bytes (over QUEUE_BYTES_MAX) and a matching COMMIT: cut off, no reply"
note "65 x 131071 bytes: $(cat "$SANDBOX/many.err")"
unchanged "after the adds over the limits"
wait_for "[ \$(sockets $SUP_PID) -eq $base0 ]" 2 || fail "the supervisor still holds $(sockets "$SUP_PID") sockets"

# --- the end: only the test's tasks, all completed -----------------------------
assert_eq "$expect_queue" "$(cat "$LOG/queue")"$'\n' "LOGDIR/queue holds exactly the tasks added"
assert_eq "" "$(ls "$MARK")" "no hostile command ever ran"
ctl -n "$RUN" close
assert_eq 0 "$CTL_RC" "oneshot-ctl close ($CTL_ERR)"
wait_exit "$SUP_PID" $((10 * SLOW))
assert_eq 0 "$EXIT_STATUS" "the run ends, every task COMPLETED ($(cat "$SANDBOX/sup.out"))"
assert_eq 0 "$(grep -c "@$addr" /proc/net/unix)" "the endpoint is gone with the run"
