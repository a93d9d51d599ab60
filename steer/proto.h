/*
 * proto.h: the wire format between oneshot-ctl and a task's worker.
 *
 * A worker serves its task's steering endpoint only once asked (a SIGUSR1,
 * which the kernel lets only the run's owner and root send): a
 * SOCK_SEQPACKET unix socket in the abstract namespace, named by the run
 * owner's uid and a random key the worker stores in the task's slot, which
 * only the owner and root can read.  The worker accepts a client only when
 * its peer credentials are the owner's or root's; the client accepts the
 * worker only when the socket's peer is the worker the slot names.
 *
 * Every message is one record of exactly STEER_MSG_SIZE bytes, fixed
 * fields, little-endian: a record of any other size, or with a field out of
 * range, ends the connection.  The client says hello; the worker replies
 * once, handing over a duplicate of the PTY master (SCM_RIGHTS) when the
 * hello asked for input; a client that asked to size the terminal may then
 * send resizes until it closes.
 *
 * Library code: pure, no I/O but the name; fuzzed by tests/fuzz/fuzz_steer.c.
 */
#ifndef ONESHOT_STEER_PROTO_H
#define ONESHOT_STEER_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#define STEER_MSG_SIZE 16
#define STEER_MAGIC 0x534fu      /* "OS" */
#define STEER_VERSION 1
#define STEER_SIZE_MAX 4096      /* rows and columns: 1..this */

enum steer_type {
	STEER_HELLO = 1,   /* client: flags, and with STEER_F_RESIZE its size */
	STEER_REPLY = 2,   /* worker: status 0 or -errno, the terminal's size */
	STEER_RESIZE = 3,  /* client with STEER_F_RESIZE: the new size */
};

#define STEER_F_INPUT  1u  /* hello: hand me the terminal to type into */
#define STEER_F_RESIZE 2u  /* hello: size the terminal while I am here */
#define STEER_F_ALL    (STEER_F_INPUT | STEER_F_RESIZE)

struct steer_msg {
	uint8_t type;         /* enum steer_type */
	uint32_t flags;       /* STEER_F_*: hello only, else 0 */
	uint16_t rows, cols;  /* 0 (none) or 1..STEER_SIZE_MAX */
	int32_t status;       /* reply: 0 or -errno; else 0 */
};

/* Write M as one record into OUT. */
void steer_msg_encode(const struct steer_msg *m, unsigned char out[STEER_MSG_SIZE]);

/*
 * Read the LEN bytes of BUF as one record into M: exactly STEER_MSG_SIZE
 * bytes, our magic and version, a known type, flags and sizes valid for it.
 * Returns 0, or -EPROTO with *WHY saying what is wrong.
 */
int steer_msg_decode(const unsigned char *buf, size_t len, struct steer_msg *m,
		     const char **why);

/* The abstract address "oneshot.KIND.UID.KEY" (KIND a short word). */
void steer_named_address(const char *kind, uid_t uid, const uint64_t key[2],
			 struct sockaddr_un *addr, socklen_t *len);

/* The endpoint of run owner UID with KEY, as a bindable address. */
void steer_address(uid_t uid, const uint64_t key[2], struct sockaddr_un *addr,
		   socklen_t *len);

#endif
