/*
 * jsonread.h: the one JSON reader of the run's files (summary.json,
 * events.jsonl).  A cursor over LEN bytes that need not be NUL-terminated:
 * every step checks the end, and the first error is kept with its reason,
 * so a reader can say "FILE:LINE: what".  Small on purpose: the formats
 * are ours, flat, and a few hundred bytes.
 */
#ifndef ONESHOT_LOGDIR_JSONREAD_H
#define ONESHOT_LOGDIR_JSONREAD_H

#include <stddef.h>

/* Nesting of a value skipped by logdir_json_skip. */
#define LOGDIR_JSON_DEPTH_MAX 16

struct logdir_json {
	const char *start, *p, *end;
	const char *why;              /* set by the first error */
};

/* A cursor over the LEN bytes of TEXT. */
struct logdir_json logdir_json_over(const char *text, size_t len);

/* Keep WHY as the error (unless one is kept already); returns -1. */
int logdir_json_fail(struct logdir_json *c, const char *why);

/* Skip white space. */
void logdir_json_blank(struct logdir_json *c);

/* 1 if nothing but white space is left. */
int logdir_json_at_end(struct logdir_json *c);

/* After white space, the character CH; 0, or -1 with a reason. */
int logdir_json_expect(struct logdir_json *c, char ch);

/* 1 and past it if the next token is the literal WORD, else 0. */
int logdir_json_literal(struct logdir_json *c, const char *word);

/* 1 if the next token starts a value of the kind KIND ('"', '{', '[' or
 * '0' for a number). */
int logdir_json_next_is(struct logdir_json *c, char kind);

/* A string: its raw body (escapes kept) in *S, *N.  0 or -1. */
int logdir_json_string(struct logdir_json *c, const char **s, size_t *n);

/* A string decoded into OUT (room LEN, NUL-terminated; '?' for a \u escape
 * beyond ASCII), or only checked when OUT is NULL.  0 or -1 (malformed, or
 * longer than LEN - 1). */
int logdir_json_string_copy(struct logdir_json *c, char *out, size_t len);

/* An integer in [MIN, MAX] (both within 10^12 of 0), no fraction or
 * exponent.  0, or -1 with the cursor left before it. */
int logdir_json_integer(struct logdir_json *c, long long min, long long max, long long *out);

/* Any value, nested up to LOGDIR_JSON_DEPTH_MAX below DEPTH.  0 or -1. */
int logdir_json_skip(struct logdir_json *c, int depth);

/* Line (from 1) of the cursor's position, for FILE:LINE. */
unsigned logdir_json_line(const struct logdir_json *c);

#endif
