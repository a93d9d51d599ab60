/*
 * ctl_keys.c: named keys, spelt as tmux's send-keys spells them, as the
 * bytes a terminal in its usual modes sends for them.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "ctl/ctl.h"

static const struct {
	const char *name, *bytes;
} keys[] = {
	{ "Enter", "\r" }, { "Tab", "\t" }, { "BTab", "\033[Z" }, { "Escape", "\033" },
	{ "Space", " " }, { "BSpace", "\177" }, { "Up", "\033[A" }, { "Down", "\033[B" },
	{ "Right", "\033[C" }, { "Left", "\033[D" }, { "Home", "\033[H" }, { "End", "\033[F" },
	{ "PageUp", "\033[5~" }, { "PPage", "\033[5~" }, { "PageDown", "\033[6~" },
	{ "NPage", "\033[6~" }, { "Delete", "\033[3~" }, { "DC", "\033[3~" },
	{ "Insert", "\033[2~" }, { "IC", "\033[2~" },
	{ "F1", "\033OP" }, { "F2", "\033OQ" }, { "F3", "\033OR" }, { "F4", "\033OS" },
};

int ctl_key_control(const char *name)
{
	const char *c = NULL;

	if (strncasecmp(name, "C-", 2) == 0 && name[2] && !name[3])
		c = name + 2;
	else if (name[0] == '^' && name[1] && !name[2])
		c = name + 1;
	if (!c)
		return -1;
	if (isalpha((unsigned char)*c))
		return toupper((unsigned char)*c) - '@';
	if (strchr("@[\\]^_", *c))
		return *c - '@';
	if (*c == '?')
		return 0x7f;
	return -1;
}

size_t ctl_key_bytes(const char *name, char *buf)
{
	int c;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcasecmp(name, keys[i].name) == 0) {
			strcpy(buf, keys[i].bytes);
			return strlen(buf);
		}
	}
	c = ctl_key_control(name);
	if (c < 0)
		return 0;
	buf[0] = (char)c;
	return 1;
}
