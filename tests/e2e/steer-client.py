# steer-client.py: a hand-made client of a worker's steering endpoint, for
# tests/e2e/ctl-endpoint.sh and ctl-security.sh: it speaks the wire format
# of steer/proto.h, or deliberately breaks it.
#
#   steer-client.py ADDR MODE
# ADDR is the abstract name (without the leading @) as /proc/net/unix shows
# it.  Prints one word on stdout: what happened.
import array, os, socket, struct, sys, time

MAGIC, VERSION = 0x534F, 1
HELLO, REPLY, RESIZE = 1, 2, 3
F_INPUT, F_RESIZE = 1, 2


def record(kind, flags=0, rows=0, cols=0, status=0):
    return struct.pack("<HBBIHHi", MAGIC, VERSION, kind, flags, rows, cols, status)


def connect(addr):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect("\0" + addr)
    return s


def reply(s, timeout=3):
    """'fd' (a reply with a terminal), 'reply', 'closed' or 'timeout'."""
    s.settimeout(timeout)
    fds = array.array("i")
    try:
        msg, anc, _, _ = s.recvmsg(64, socket.CMSG_SPACE(4))
    except socket.timeout:
        return "timeout"
    except (ConnectionResetError, BrokenPipeError):
        return "closed"
    if not msg:
        return "closed"
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % 4)])
    for fd in fds:
        os.close(fd)
    return "fd" if fds else "reply"


def closed_by_peer(s, timeout):
    """True when the worker closes S within TIMEOUT seconds."""
    s.settimeout(timeout)
    try:
        return s.recv(64) == b""
    except socket.timeout:
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True


addr, mode = sys.argv[1], sys.argv[2]
try:
    s = connect(addr)
except OSError as e:
    print("refused", e.errno)
    sys.exit(0)
def send_or_closed(s, data):
    """False when the worker has already closed the connection."""
    try:
        s.send(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


if mode == "hello":            # a proper client asking for the terminal
    print(reply(s) if send_or_closed(s, record(HELLO, F_INPUT)) else "closed")
elif mode == "garbage":
    s.send(b"\xff" * 16)
    print("closed" if closed_by_peer(s, 3) else "kept")
elif mode == "short":          # half a record: on SEQPACKET, a short one
    s.send(record(HELLO, F_INPUT)[:7])
    print("closed" if closed_by_peer(s, 3) else "kept")
elif mode == "long":
    s.send(record(HELLO, F_INPUT) + b"x" * 100)
    print("closed" if closed_by_peer(s, 3) else "kept")
elif mode == "silent":         # connects and says nothing: cut off in time
    t0 = time.time()
    gone = closed_by_peer(s, 10)
    print("closed" if gone else "kept", "%.1f" % (time.time() - t0))
elif mode == "resize-flood":   # a sizing client that resizes without end
    s.send(record(HELLO, F_RESIZE, 30, 100))
    r = reply(s)
    n = 0
    try:
        for n in range(100000):
            s.send(record(RESIZE, 0, 20 + n % 10, 80))
    except OSError:
        pass
    print(r, "closed" if closed_by_peer(s, 3) else "kept")
elif mode == "hold":           # a proper client that stays (held by the test)
    s.send(record(HELLO, F_INPUT))
    print(reply(s), flush=True)
    sys.stdin.read()
else:
    sys.exit("unknown mode " + mode)
