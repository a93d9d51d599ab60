# bench/latency.py: from a task's write to an attached client's terminal.
#
#   latency.py oneshot CTL RUN GOFILE N
#   latency.py tmux SOCKET SESSION GOFILE N
#
# Starts the client (oneshot-ctl attach, or tmux attach) on a pseudo-terminal
# of its own, waits until it has drawn the task's screen, creates GOFILE
# (the task then prints "T<CLOCK_MONOTONIC ns>" lines, one every 20 ms),
# reads the client's terminal and prints the latency of each marker in
# microseconds, one per line.  The task is bench/steer's TICKER.
import os, pty, re, select, sys, time

mode, a, b, go, n = sys.argv[1:6]
n = int(n)
argv = [a, "-n", b, "attach", "1"] if mode == "oneshot" else \
       ["tmux", "-L", a, "-f", "/dev/null", "attach", "-t", b]
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "xterm-256color"
    os.execvp(argv[0], argv)
import fcntl, struct, termios
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
buf, seen, lat = b"", set(), []
deadline = time.time() + 10
while b"ready" not in buf and time.time() < deadline:   # the screen is drawn
    if select.select([fd], [], [], 0.5)[0]:
        buf += os.read(fd, 65536)
open(go, "w").close()
marker = re.compile(rb"T(\d{12,})")
deadline = time.time() + 30
while len(lat) < n and time.time() < deadline:
    if not select.select([fd], [], [], 1)[0]:
        continue
    chunk = os.read(fd, 65536)
    now = time.monotonic_ns()
    buf = buf[-64:] + chunk
    for m in marker.finditer(buf):
        t = int(m.group(1))
        if t not in seen and m.end() < len(buf) and buf[m.end():m.end() + 1] in (b"\r", b"\n", b"\x1b"):
            seen.add(t)
            lat.append((now - t) // 1000)
for v in lat:
    print(v)
os.kill(pid, 9)
