/*
 * argv.c: telling a task line that needs no shell from one that does.  A
 * line of plain words (no quoting, expansion, redirection, operators, globs
 * or comments) whose first word is not a shell builtin, keyword or
 * assignment means the same run as a program directly: it then costs no
 * shell process, and the program itself leads the task's process group.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "worker/worker.h"

/* Characters that mean nothing to the shell inside a word. */
static int plain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("_./-+=:,@%", c) != NULL;
}

/* dash's builtins and the POSIX reserved words: these must run in a shell
 * (`exit 3`, `cd`, `echo -e` differ from any program of the same name). */
static const char *const shell_words[] = {
	".", ":", "[", "alias", "bg", "break", "case", "cd", "chdir", "command",
	"continue", "do", "done", "echo", "elif", "else", "esac", "eval", "exec",
	"exit", "export", "false", "fc", "fg", "fi", "for", "function", "getopts",
	"hash", "if", "in", "jobs", "kill", "local", "printf", "pwd", "read",
	"readonly", "return", "select", "set", "shift", "test", "then", "times",
	"trap", "true", "type", "ulimit", "umask", "unalias", "unset", "until",
	"wait", "while", NULL,
};

static int needs_shell_word(const char *word, size_t len)
{
	if (memchr(word, '=', len))
		return 1; /* NAME=value is an assignment */
	for (const char *const *w = shell_words; *w; w++)
		if (strlen(*w) == len && memcmp(*w, word, len) == 0)
			return 1;
	return 0;
}

int worker_split_plain(const char *line, char ***argvp)
{
	size_t words = 0, len = strlen(line);
	char **argv, *copy;

	for (size_t i = 0; i < len; i++)
		if (!plain_char(line[i]) && line[i] != ' ' && line[i] != '\t')
			return 0;
	copy = strdup(line);
	argv = malloc((len / 2 + 2) * sizeof(*argv));
	if (!copy || !argv) {
		free(copy);
		free(argv);
		return -ENOMEM;
	}
	for (char *save = NULL, *w = strtok_r(copy, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save))
		argv[words++] = w;
	argv[words] = NULL;
	if (words == 0 || needs_shell_word(argv[0], strlen(argv[0]))) {
		free(copy);
		free(argv);
		return 0;
	}
	*argvp = argv;
	return 1;
}

void worker_argv_free(char **argv)
{
	if (argv) {
		free(argv[0]);
		free(argv);
	}
}
