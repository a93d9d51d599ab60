/*
 * queue.h: the wire format between `oneshot-ctl add`/`close` and the
 * supervisor of a queue run (supervisor/queue.c).
 *
 * The supervisor of a run started with --queue listens on a SOCK_SEQPACKET
 * unix socket in the abstract namespace, named by the owner's uid and a
 * random key kept in the table's header (readable by the owner and root
 * only); it takes a client only when the peer's credentials are the
 * owner's or root's, and the client takes the supervisor only when the
 * peer is the pid and uid the table names.
 *
 * Every record starts with a 16-byte head, fixed fields, little-endian:
 * magic 2, version 1, type 1, then three 32-bit words A, B, C.  An ADD
 * record is the head and exactly A bytes of command after it; every other
 * record is the head alone.  The supervisor speaks first: READY when the
 * client has one of its QUEUE_CLIENTS places, else a BUSY reply, and the
 * connection is over (the client has sent nothing yet, so nothing it sent
 * is thrown away unread, which would reset the connection before the
 * reply could be read).  After READY the client sends ADDs, then a COMMIT
 * naming how many (or a CLOSE alone), and gets one REPLY.  Anything else (a size that
 * does not match, a field out of range, a record out of turn) ends the
 * connection.
 *
 * Library code: pure, no I/O but the name; fuzzed by tests/fuzz/fuzz_steer.c.
 */
#ifndef ONESHOT_STEER_QUEUE_H
#define ONESHOT_STEER_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#define QUEUE_HEAD_SIZE 16
#define QUEUE_MAGIC 0x514fu      /* "OQ" */
#define QUEUE_VERSION 1
#define QUEUE_CMD_MAX 131071u    /* OS_CMD_MAX: a task line's longest */
#define QUEUE_ADD_MAX 65536u     /* tasks in one add */
#define QUEUE_BYTES_MAX (8u << 20) /* command bytes in one add */
#define QUEUE_CLIENTS 8          /* served at once; one more is told BUSY */
#define QUEUE_CLIENT_NS 10000000000LL /* a client has 10 s for its request */

enum queue_type {
	QUEUE_ADD = 1,     /* client: A = command length, the command follows */
	QUEUE_COMMIT = 2,  /* client: A = ADD records sent; take them all */
	QUEUE_CLOSE = 3,   /* client: take nothing more */
	QUEUE_REPLY = 4,   /* supervisor: A = enum queue_status, B = first id,
			    * C = tasks added (ids B .. B+C-1) */
	QUEUE_READY = 5,   /* supervisor, first: a place is yours, go ahead */
};

enum queue_status {
	QUEUE_OK = 0,
	QUEUE_CLOSED = 1,    /* closed: nothing is taken any more */
	QUEUE_FULL = 2,      /* as many tasks unfinished as the table holds */
	QUEUE_STOPPING = 3,  /* the run is stopping (SIGTERM) */
	QUEUE_REFUSED = 4,   /* a command the supervisor will not take */
	QUEUE_FAILED = 5,    /* the tasks could not be recorded (disk) */
	QUEUE_BUSY = 6,      /* every client place is taken: try again soon */
	QUEUE_STATUS_COUNT = 7
};

struct queue_msg {
	uint8_t type;        /* enum queue_type */
	uint32_t a, b, c;
	const unsigned char *cmd; /* ADD: A bytes, inside the decoded buffer */
};

/* Write M's head into OUT (an ADD's command goes after it). */
void queue_msg_encode(const struct queue_msg *m, unsigned char out[QUEUE_HEAD_SIZE]);

/*
 * Read the LEN bytes of BUF as one record into M: our magic and version, a
 * known type, the size its type gives, fields in range, and for an ADD a
 * command of 1..QUEUE_CMD_MAX bytes with no NUL and no line break, not
 * blanks only.
 * Returns 0, or -EPROTO with *WHY saying what is wrong.
 */
int queue_msg_decode(const unsigned char *buf, size_t len, struct queue_msg *m,
		     const char **why);

/* The queue endpoint of run owner UID with KEY, as a bindable address. */
void queue_address(uid_t uid, const uint64_t key[2], struct sockaddr_un *addr,
		   socklen_t *len);

#endif
