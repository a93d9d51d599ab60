# slurm-lib.sh: a private one-node Slurm cluster for an end-to-end test,
# sourced after lib.sh (it uses SANDBOX, note, fail, fatal, skip, wait_for).
#
#   slurm_require           skip (77) unless root, installing Debian's
#                           slurm-wlm and munge when a program is missing
#   cluster_start           munged, slurmctld and slurmd, all in
#                           $SANDBOX/cluster, on loopback, on free ports; exports
#                           SLURM_CONF; returns once the node is idle
#   cluster_stop            stop every daemon it started, by pid, and check that
#                           none of them (nor a slurmstepd of theirs) is left;
#                           runs from the EXIT trap
#   cluster_logs            the daemons' logs, for a failure message
#
# Nothing outside $SANDBOX/cluster is used: the munge key, socket, pid, log
# and seed files, Slurm's state, spool, pid and log files are all there, the
# ports are chosen free, so a system munged or Slurm on this machine is left
# alone and does not get in the way. Slurm 22.05 (Debian 12) does not know
# CgroupPlugin=disabled, so there is no cgroup.conf at all:
# ProctrackType=proctrack/linuxproc and TaskPlugin=task/none need none.

SLURM_PROGS="slurmctld slurmd munged mungekey sbatch squeue sinfo scontrol munge unmunge"
CLUSTER_PIDS=()		# daemons started, for cluster_stop
CLUSTER_NAMES=()	# their names, same order
CLUSTER=		# $SANDBOX/cluster once cluster_start began

# slurm_missing: the programs of SLURM_PROGS not on PATH (sbin included)
slurm_missing() {
	local p out=
	for p in $SLURM_PROGS; do
		PATH=$PATH:/usr/sbin:/sbin command -v "$p" >/dev/null 2>&1 || out="$out $p"
	done
	echo "${out# }"
}

# slurm_require: root, setpriv, and Slurm and munge installed (apt-get
# install slurm-wlm munge when something is missing); skips otherwise.
slurm_require() {
	local missing t0 rc
	[ "$(id -u)" -eq 0 ] ||
		skip "needs root (munged runs as the munge user, slurmd as root); not root, so not run"
	command -v setpriv >/dev/null 2>&1 || skip "setpriv (util-linux) is missing"
	export PATH="$PATH:/usr/sbin:/sbin"
	missing=$(slurm_missing)
	if [ -n "$missing" ]; then
		command -v apt-get >/dev/null 2>&1 ||
			skip "missing $missing and no apt-get to install slurm-wlm and munge"
		note "missing $missing: installing slurm-wlm munge with apt-get"
		t0=$SECONDS
		# Debian's postinst would start munge, slurmctld and slurmd through
		# invoke-rc.d; a policy-rc.d (as in a container image) or no init
		# running them stops it, and the daemons here use their own key,
		# socket and ports anyway.
		DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q \
			--no-install-recommends slurm-wlm munge >"$SANDBOX/apt.log" 2>&1
		rc=$?
		if [ "$rc" -ne 0 ]; then
			DEBIAN_FRONTEND=noninteractive timeout 600 apt-get update -q \
				>>"$SANDBOX/apt.log" 2>&1 &&
			DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q \
				--no-install-recommends slurm-wlm munge >>"$SANDBOX/apt.log" 2>&1
			rc=$?
		fi
		if [ "$rc" -ne 0 ]; then
			tail -n 5 "$SANDBOX/apt.log" | sed 's/^/# apt-get: /'
			skip "apt-get install slurm-wlm munge failed (status $rc); cannot run Slurm here"
		fi
		note "installed slurm-wlm munge in $((SECONDS - t0)) s"
		missing=$(slurm_missing)
		[ -z "$missing" ] || skip "still missing after installing slurm-wlm munge: $missing"
	fi
	id munge >/dev/null 2>&1 || skip "no munge user (the munge package makes it)"
}

# free_ports N: N distinct TCP ports free on this machine right now, below
# the kernel's range for outgoing connections (so a client's connect cannot
# take one before its daemon binds it), from a random start
free_ports() {
	"$PYTHON" - "$1" <<'EOF'
import random, socket, sys
lo = 32768
try:
    lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except Exception:
    pass
lo = max(lo, 12000)
want, got = int(sys.argv[1]), []
ports = list(range(10000, lo))
random.shuffle(ports)
for port in ports:
    s = socket.socket()
    try:
        s.bind(("", port))      # every address: slurmctld and slurmd bind them all
    except OSError:
        continue
    finally:
        s.close()
    got.append(port)
    if len(got) == want:
        break
print(" ".join(map(str, got)))
EOF
}

# cluster_logs: the end of each daemon's log
cluster_logs() {
	local f
	for f in "$CLUSTER"/munge/munged.out "$CLUSTER"/slurmctld.log "$CLUSTER"/slurmctld.out \
		"$CLUSTER"/slurmd.log "$CLUSTER"/slurmd.out; do
		[ -s "$f" ] || continue
		echo "# ---- ${f#"$CLUSTER"/} (last 25 lines)"
		tail -n 25 "$f" | sed 's/^/#   /'
	done
}

# cluster_fatal MSG: stop the test, showing the daemons' logs
cluster_fatal() {
	cluster_logs >&2
	fatal "$*"
}

# daemon NAME USERSPEC CMD...: start CMD in the foreground mode of the daemon
# in the background, as USERSPEC ("root" or a user for setpriv), with stdout
# and stderr to $CLUSTER/NAME.out, and remember its pid. setpriv execs, so $!
# is the daemon itself. ONESHOT_E2E_CLUSTER marks it and what it starts
# (slurmstepd), for the check that nothing is left.
daemon() {
	local name=$1 user=$2 out
	shift 2
	out=$CLUSTER/$name.out
	[ "$name" = munged ] && out=$CLUSTER/munge/munged.out
	if [ "$user" = root ]; then
		env ONESHOT_E2E_CLUSTER="$CLUSTER" "$@" </dev/null >"$out" 2>&1 &
	else
		env ONESHOT_E2E_CLUSTER="$CLUSTER" \
			setpriv --reuid "$user" --regid "$user" --init-groups "$@" </dev/null >"$out" 2>&1 &
	fi
	CLUSTER_PIDS+=("$!")
	CLUSTER_NAMES+=("$name")
}

# daemon_alive NAME: the daemon NAME we started is still running
daemon_alive() {
	local i
	for i in "${!CLUSTER_NAMES[@]}"; do
		[ "${CLUSTER_NAMES[$i]}" = "$1" ] && proc_alive "${CLUSTER_PIDS[$i]}" && return 0
	done
	return 1
}

# node_state: the state sinfo gives our node (idle, mixed, down*, ...)
node_state() {
	sinfo -h -n "$CLUSTER_NODE" -o %T 2>/dev/null
}

# cluster_start: see the top of this file. Sets CLUSTER, CLUSTER_NODE,
# CLUSTER_PARTITION and exports SLURM_CONF.
cluster_start() {
	local m ports ctld_port d_port cpus conf
	CLUSTER=$SANDBOX/cluster
	CLUSTER_NODE=localhost
	CLUSTER_PARTITION=oneshot
	# munged runs as munge: it must reach its directory; it refuses one
	# writable by group or others anywhere on the path, and a socket
	# directory without execute permission for all.
	chmod 0711 "$SANDBOX"
	mkdir -p "$CLUSTER/state" "$CLUSTER/spool" "$CLUSTER/munge" || fatal "cannot make $CLUSTER"
	chmod 0711 "$CLUSTER" "$CLUSTER/munge"
	m=$CLUSTER/munge
	[ "${#m}" -lt 90 ] || skip "sandbox path $m too long for a unix socket; set TMPDIR shorter"

	# --- munge: its own key, socket, pid, log and seed file
	mungekey --create --keyfile="$m/munge.key" --bits=1024 >/dev/null 2>&1 ||
		dd if=/dev/urandom of="$m/munge.key" bs=128 count=1 status=none ||
		fatal "cannot make a munge key"
	chown -R munge:munge "$m" && chmod 0400 "$m/munge.key" || fatal "cannot give $m to munge"
	daemon munged munge munged --foreground --socket="$m/munge.socket" \
		--key-file="$m/munge.key" --pid-file="$m/munged.pid" \
		--log-file="$m/munged.log" --seed-file="$m/munged.seed"
	wait_for "[ -S '$m/munge.socket' ] && munge -S '$m/munge.socket' -n 2>/dev/null |
		unmunge -S '$m/munge.socket' >/dev/null 2>&1" 15 ||
		cluster_fatal "munged did not answer on $m/munge.socket within 15 s"

	# --- slurm.conf
	read -r ctld_port d_port < <(free_ports 2)
	[ -n "$d_port" ] || fatal "could not find two free TCP ports"
	cpus=$(nproc)
	conf=$CLUSTER/slurm.conf
	: >"$CLUSTER/plugstack.conf"
	cat >"$conf" <<EOF
# private one-node cluster of the oneshot e2e test $TEST (pid $$)
ClusterName=oneshote2e
# "localhost" is accepted as this machine, whatever its hostname
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$m/munge.socket
StateSaveLocation=$CLUSTER/state
SlurmdSpoolDir=$CLUSTER/spool
SlurmctldPidFile=$CLUSTER/slurmctld.pid
SlurmdPidFile=$CLUSTER/slurmd.pid
SlurmctldLogFile=$CLUSTER/slurmctld.log
SlurmdLogFile=$CLUSTER/slurmd.log
PlugStackConfig=$CLUSTER/plugstack.conf
# no cgroup.conf: 22.05 has no CgroupPlugin=disabled, and these need none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
# keep finished jobs (and their exit codes) in scontrol for 10 minutes
MinJobAge=600
NodeName=$CLUSTER_NODE NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=$cpus State=UNKNOWN
PartitionName=$CLUSTER_PARTITION Nodes=$CLUSTER_NODE Default=YES MaxTime=INFINITE State=UP
EOF
	export SLURM_CONF=$conf

	# --- slurmctld, then slurmd (-N: the node's name is not the hostname)
	daemon slurmctld root slurmctld -D -f "$conf"
	wait_for "! daemon_alive slurmctld || scontrol ping 2>/dev/null | grep -q 'is UP'" 30
	daemon_alive slurmctld && scontrol ping 2>/dev/null | grep -q 'is UP' ||
		cluster_fatal "slurmctld did not answer scontrol ping within 30 s (port $ctld_port):" \
			"$(scontrol ping 2>&1 | tr '\n' ' ')"
	daemon slurmd root slurmd -D -f "$conf" -N "$CLUSTER_NODE"
	wait_for "! daemon_alive slurmd || [ \"\$(node_state)\" = idle ]" 30
	daemon_alive slurmd && [ "$(node_state)" = idle ] ||
		cluster_fatal "node $CLUSTER_NODE not idle in sinfo within 30 s (state [$(node_state)])"
	daemon_alive munged || cluster_fatal "munged died"
	daemon_alive slurmctld || cluster_fatal "slurmctld died"
	note "cluster up: slurmctld :$ctld_port, slurmd :$d_port, $cpus CPUs, $m/munge.socket"
}

# cluster_procs: live processes marked as started by this cluster's daemons
cluster_procs() {
	local f p
	[ -n "$CLUSTER" ] || return 0
	for f in $(grep -lzx -- "ONESHOT_E2E_CLUSTER=$CLUSTER" /proc/[0-9]*/environ 2>/dev/null); do
		p=${f#/proc/}
		p=${p%/environ}
		proc_alive "$p" && echo "$p"
	done
}

# cluster_stop: SIGTERM to slurmd, slurmctld, munged (the reverse order of
# starting, by pid), wait for each, SIGKILL after 15 s; then no process of
# the cluster may be left. Safe to call twice.
cluster_stop() {
	local i p name left
	for ((i = ${#CLUSTER_PIDS[@]} - 1; i >= 0; i--)); do
		p=${CLUSTER_PIDS[$i]} name=${CLUSTER_NAMES[$i]}
		proc_alive "$p" || { wait "$p" 2>/dev/null; continue; }
		kill -TERM "$p" 2>/dev/null
		if ! wait_for "! proc_alive $p" 15; then
			fail "$name (pid $p) still running 15 s after SIGTERM; SIGKILL"
			kill -KILL "$p" 2>/dev/null
		fi
		wait "$p" 2>/dev/null
	done
	CLUSTER_PIDS=() CLUSTER_NAMES=()
	if ! wait_for '[ -z "$(cluster_procs)" ]' 10; then
		left=$(cluster_procs)
		fail "processes of the test cluster left after stopping it: $(describe_pids $left)"
		for p in $left; do kill -KILL "$p" 2>/dev/null; done
	fi
}
