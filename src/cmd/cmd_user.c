/*
 * NAME
 *	cmd_user - relaywatch user: the web console's users and API tokens
 * SUMMARY
 *	relaywatch user add NAME --role viewer|operator [--password-file F]
 *	relaywatch user list [--json]; user del NAME; user passwd NAME
 *	relaywatch user disable NAME; user enable NAME
 *	relaywatch user token add NAME [--label L]; token list NAME [--json];
 *	token del NAME ID
 * SYNOPSIS
 *	int cmd_user(int argc, char **argv, struct cmd_ctx *ctx);
 * DESCRIPTION
 *	add and passwd read the password from --password-file (its first
 *	line), else, on a terminal, prompt twice with echo off (termios on
 *	/dev/tty), else read one line from stdin; the store keeps only the
 *	scrypt hash (src/web/auth.h). disable stops the user's logins,
 *	sessions and tokens at once, enable restores them; del removes the
 *	user with its sessions and tokens. token add prints the new token
 *	("rwt_" + 64 hex) once: the store keeps its SHA-256 only. Every verb
 *	takes --db PATH (default: the configuration's `db`, else the default
 *	store).
 * DIAGNOSTICS
 *	Exit 0, 1 no such user or token, 2 usage (a bad name, role or
 *	password, the user exists already), 3 store or random-source errors.
 * LIMITS
 *	WEB_USER_MAX (names), RW_WEB_PASSWORD_MAX (passwords).
 */
#include "../core/jsonx.h"
#include "../core/limits.h"
#include "../core/xalloc.h"
#include "../store/store.h"
#include "../web/auth.h"
#include "../web/credential.h"
#include "cmd.h"
#include "cmd_desk.h"

#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* usage - the user subcommands */
static void usage(FILE *fp)
{
	fprintf(fp, "usage: relaywatch user add NAME --role viewer|operator [--password-file F]\n"
	            "       relaywatch user list [--json]\n"
	            "       relaywatch user del NAME\n"
	            "       relaywatch user passwd NAME [--password-file F]\n"
	            "       relaywatch user disable|enable NAME\n"
	            "       relaywatch user token add NAME [--label L]\n"
	            "       relaywatch user token list NAME [--json]\n"
	            "       relaywatch user token del NAME ID\n"
	            "every verb takes --db PATH (default: the configuration's db).\n"
	            "Without --password-file the password is prompted for twice on a terminal,\n"
	            "else read as one line from stdin.\n"
	            "exit status: 0 ok, 1 no such user or token, 2 usage, 3 store error.\n");
}

/* Parsed flags. */
struct opts {
	const char *db, *role, *password_file, *label;
	int json;
};

/* chomp - cut the line end */
static void chomp(char *s)
{
	s[strcspn(s, "\r\n")] = '\0';
}

/* prompt - one line from the terminal with echo off; owned or NULL */
static char *prompt(FILE *tty, const char *text)
{
	struct termios old, quiet;
	char line[RW_WEB_PASSWORD_MAX + 2];
	int fd = fileno(tty), restore;
	char *r;

	/* the prompt goes where the answer comes from (as getpass(3)) */
	fputs(text, tty == stdin ? stderr : tty);
	fflush(tty == stdin ? stderr : tty);
	restore = tcgetattr(fd, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(fd, TCSANOW, &quiet);
	}
	r = fgets(line, sizeof(line), tty);
	if (restore)
		tcsetattr(fd, TCSANOW, &old);
	if (r == NULL)
		return NULL;
	chomp(line);
	r = xstrdup(line);
	OPENSSL_cleanse(line, sizeof(line));
	return r;
}

/* free_secret - wipe and free a password */
static void free_secret(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/* read_password - from the file, the terminal (twice) or stdin; owned, or
 * NULL after a message */
static char *read_password(const char *file)
{
	char *p = NULL, *again;

	if (file != NULL) {
		if ((p = cmd_read_secret(file)) == NULL)
			fprintf(stderr, "relaywatch user: --password-file %s: unreadable\n", file);
		return p;
	}
	if (isatty(STDIN_FILENO)) {
		FILE *tty = fopen("/dev/tty", "r+");

		if (tty == NULL)
			tty = stdin;
		p = prompt(tty, "Password: ");
		again = p ? prompt(tty, "Password (again): ") : NULL;
		if (tty != stdin)
			fclose(tty);
		if (p == NULL || again == NULL || strcmp(p, again) != 0) {
			fprintf(stderr, "relaywatch user: %s\n",
			        p && again ? "the passwords differ" : "no password read");
			free_secret(p);
			free_secret(again);
			return NULL;
		}
		free_secret(again);
		return p;
	}
	{
		char line[RW_WEB_PASSWORD_MAX + 2];

		if (fgets(line, sizeof(line), stdin) == NULL) {
			fprintf(stderr, "relaywatch user: no password on stdin\n");
			return NULL;
		}
		chomp(line);
		p = xstrdup(line);
		OPENSSL_cleanse(line, sizeof(line));
	}
	return p;
}

/* new_hash - read a password and hash it into out: EXIT_CLEAN, or an exit
 * status after a message */
static int new_hash(const char *file, char out[WEB_HASH_MAX])
{
	char *p = read_password(file);
	int rc = EXIT_CLEAN;

	if (p == NULL)
		return EXIT_USAGE;
	if (*p == '\0' || strlen(p) > RW_WEB_PASSWORD_MAX) {
		fprintf(stderr, "relaywatch user: the password must be 1..%d bytes\n",
		        RW_WEB_PASSWORD_MAX);
		rc = EXIT_USAGE;
	} else if (web_password_hash(p, out) < 0) {
		fprintf(stderr, "relaywatch user: scrypt is not available from OpenSSL\n");
		rc = EXIT_RUNTIME;
	}
	free_secret(p);
	return rc;
}

/* store_fail - report a store error */
static int store_fail(struct store *st)
{
	fprintf(stderr, "relaywatch user: store: %s\n", store_error(st));
	return EXIT_RUNTIME;
}

/* get_user - the user NAME: EXIT_CLEAN and *u, or 1 / 3 after a message */
static int get_user(struct store *st, const char *name, struct store_user *u)
{
	int rc = store_user_get(st, name, u);

	if (rc < 0)
		return store_fail(st);
	if (rc == 0) {
		fprintf(stderr, "relaywatch user: no user %s\n", name);
		return EXIT_FOUND;
	}
	return EXIT_CLEAN;
}

/* when - unix seconds as UTC text, "-" for 0 */
static const char *when(int64_t t, char *buf, size_t len)
{
	return jsonx_iso(t * 1000, 0, buf, len);
}

/* print_json - one object as a line */
static void print_json(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	if (s)
		puts(s);
	free(s);
	json_decref(o);
}

/* do_add - a new user */
static int do_add(struct store *st, const char *name, const struct opts *o)
{
	char hash[WEB_HASH_MAX];
	struct store_user u = {0};
	int rc = store_user_get(st, name, &u);

	store_user_clear(&u);
	if (rc < 0)
		return store_fail(st);
	if (rc == 1) {
		fprintf(stderr,
		        "relaywatch user: %s exists (user passwd NAME changes a password)\n", name);
		return EXIT_USAGE;
	}
	if ((rc = new_hash(o->password_file, hash)) != EXIT_CLEAN)
		return rc;
	struct store_user nu = {
	    .name = name, .role = o->role, .hash = hash, .created = (int64_t)time(NULL)};

	if (store_user_put(st, &nu) < 0)
		return store_fail(st);
	printf("user %s added (%s)\n", name, o->role);
	return EXIT_CLEAN;
}

/* do_update - passwd, disable, enable: rewrite one field of a user */
static int do_update(struct store *st, const char *verb, const char *name, const struct opts *o)
{
	struct store_user u;
	char hash[WEB_HASH_MAX];
	int rc;

	if ((rc = get_user(st, name, &u)) != EXIT_CLEAN)
		return rc;
	struct store_user nu = u;

	if (strcmp(verb, "passwd") == 0) {
		if ((rc = new_hash(o->password_file, hash)) == EXIT_CLEAN)
			nu.hash = hash;
	} else {
		nu.disabled = strcmp(verb, "disable") == 0;
	}
	if (rc == EXIT_CLEAN && store_user_put(st, &nu) < 0)
		rc = store_fail(st);
	if (rc == EXIT_CLEAN)
		printf("user %s: %s\n", name,
		       strcmp(verb, "passwd") == 0 ? "password changed"
		       : nu.disabled               ? "disabled"
		                                   : "enabled");
	store_user_clear(&u);
	return rc;
}

/* do_list - every user */
static int do_list(struct store *st, const struct opts *o)
{
	struct store_users l;
	char buf[32];

	if (store_user_list(st, &l) < 0)
		return store_fail(st);
	if (!o->json)
		printf("%-24s %-9s %-21s %s\n", "NAME", "ROLE", "CREATED", "STATE");
	for (size_t i = 0; i < l.n; i++) {
		const struct store_user *u = &l.v[i];

		if (o->json)
			print_json(json_pack("{s:s, s:s, s:I, s:b}", "name", u->name, "role",
			                     u->role, "created", (json_int_t)u->created, "disabled",
			                     u->disabled));
		else
			printf("%-24s %-9s %-21s %s\n", u->name, u->role,
			       when(u->created, buf, sizeof(buf)),
			       u->disabled ? "disabled" : "active");
	}
	store_users_free(&l);
	return EXIT_CLEAN;
}

/* do_del - a user, its sessions and tokens */
static int do_del(struct store *st, const char *name)
{
	int rc = store_user_del(st, name);

	if (rc < 0)
		return store_fail(st);
	if (rc == 0) {
		fprintf(stderr, "relaywatch user: no user %s\n", name);
		return EXIT_FOUND;
	}
	printf("user %s deleted\n", name);
	return EXIT_CLEAN;
}

/* do_token - token add / list / del */
static int do_token(struct store *st, const char *verb, const char *name, const char *id,
                    const struct opts *o)
{
	struct store_user u;
	int rc;

	if ((rc = get_user(st, name, &u)) != EXIT_CLEAN)
		return rc;
	store_user_clear(&u);
	if (strcmp(verb, "add") == 0) {
		char tok[CREDENTIAL_TOKEN_LEN + 1], hash[65];
		int64_t tid = 0;

		if (credential_token_new(tok) < 0 || credential_sha256_hex(tok, hash) < 0) {
			fprintf(stderr, "relaywatch user: no random bytes from OpenSSL\n");
			return EXIT_RUNTIME;
		}
		struct store_apitoken t = {.hash = hash,
		                           .user = name,
		                           .label = o->label ? o->label : "",
		                           .created = (int64_t)time(NULL)};

		if (store_apitoken_put(st, &t, &tid) < 0)
			return store_fail(st);
		fprintf(stderr,
		        "token %lld for %s (shown once; send it as "
		        "\"Authorization: Bearer TOKEN\"):\n",
		        (long long)tid, name);
		printf("%s\n", tok);
		OPENSSL_cleanse(tok, sizeof(tok));
		return EXIT_CLEAN;
	}
	if (strcmp(verb, "list") == 0) {
		struct store_apitokens l;
		char b1[32], b2[32];

		if (store_apitoken_list(st, name, &l) < 0)
			return store_fail(st);
		if (!o->json)
			printf("%-6s %-21s %-21s %s\n", "ID", "CREATED", "LAST USED", "LABEL");
		for (size_t i = 0; i < l.n; i++) {
			const struct store_apitoken *t = &l.v[i];

			if (o->json)
				print_json(json_pack("{s:I, s:s, s:s, s:I, s:I}", "id",
				                     (json_int_t)t->id, "user", t->user, "label",
				                     t->label, "created", (json_int_t)t->created,
				                     "last_used", (json_int_t)t->last_used));
			else
				printf("%-6lld %-21s %-21s %s\n", (long long)t->id,
				       when(t->created, b1, sizeof(b1)),
				       when(t->last_used, b2, sizeof(b2)), t->label);
		}
		store_apitokens_free(&l);
		return EXIT_CLEAN;
	}
	char *end;
	long long n = strtoll(id, &end, 10);

	if (*id < '0' || *id > '9' || *end != '\0' || n <= 0) {
		fprintf(stderr, "relaywatch user: token id %s: not a number\n", id);
		return EXIT_USAGE;
	}
	if ((rc = store_apitoken_del(st, name, n)) < 0)
		return store_fail(st);
	if (rc == 0) {
		fprintf(stderr, "relaywatch user: %s has no token %lld\n", name, n);
		return EXIT_FOUND;
	}
	printf("token %lld of %s deleted\n", n, name);
	return EXIT_CLEAN;
}

/* arity - how many words each verb takes after it (token: its own verb) */
static int arity(const char *verb, const char *sub)
{
	static const struct {
		const char *verb, *sub;
		int words;
	} tab[] = {
	    {"add", NULL, 1},    {"list", NULL, 0},    {"del", NULL, 1},
	    {"passwd", NULL, 1}, {"disable", NULL, 1}, {"enable", NULL, 1},
	    {"token", "add", 2}, {"token", "list", 2}, {"token", "del", 3},
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(verb, tab[i].verb) == 0 &&
		    (tab[i].sub == NULL || (sub != NULL && strcmp(sub, tab[i].sub) == 0)))
			return tab[i].words;
	return -1;
}

/* cmd_user - add, list, del, passwd, disable, enable, token */
int cmd_user(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"role", required_argument, NULL, 'r'},
	    {"password-file", required_argument, NULL, 'p'},
	    {"label", required_argument, NULL, 'l'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct opts o = {0};
	const char *verb, *sub = NULL, *name = NULL;
	int c, rc, words;
	struct store *st;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.db = optarg;
			break;
		case 'r':
			o.role = optarg;
			break;
		case 'p':
			o.password_file = optarg;
			break;
		case 'l':
			o.label = optarg;
			break;
		case 'j':
			o.json = 1;
			break;
		default:
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? EXIT_CLEAN : EXIT_USAGE;
		}
	}
	verb = optind < argc ? argv[optind++] : NULL;
	if (verb != NULL && strcmp(verb, "token") == 0)
		sub = optind < argc ? argv[optind] : NULL;
	if (verb == NULL || (words = arity(verb, sub)) < 0 || argc - optind != words) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (sub != NULL)
		optind++;
	name = optind < argc ? argv[optind] : NULL;
	if (name != NULL && !credential_user_ok(name)) {
		fprintf(stderr, "relaywatch user: %s: a name is 1..%d of A-Z a-z 0-9 . _ -\n", name,
		        WEB_USER_MAX);
		return EXIT_USAGE;
	}
	if (strcmp(verb, "add") == 0 && (o.role == NULL || web_role_by_name(o.role) < 0)) {
		fprintf(stderr, "relaywatch user: add needs --role viewer or --role operator%s%s\n",
		        o.role ? ", not " : "", o.role ? o.role : "");
		return EXIT_USAGE;
	}
	if (o.role != NULL && strcmp(verb, "add") != 0) {
		fprintf(stderr, "relaywatch user: --role goes with add\n");
		return EXIT_USAGE;
	}
	if ((st = cmd_store_open("user", cmd_desk_db(ctx, o.db), strcmp(verb, "add") == 0, &rc)) ==
	    NULL)
		return rc;
	if (strcmp(verb, "add") == 0)
		rc = do_add(st, name, &o);
	else if (strcmp(verb, "list") == 0)
		rc = do_list(st, &o);
	else if (strcmp(verb, "del") == 0)
		rc = do_del(st, name);
	else if (sub != NULL)
		rc = do_token(st, sub, name, optind + 1 < argc ? argv[optind + 1] : NULL, &o);
	else
		rc = do_update(st, verb, name, &o);
	store_close(st);
	return rc;
}
