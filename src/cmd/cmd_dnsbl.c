/*
 * NAME
 *	cmd_dnsbl - relaywatch dnsbl export|check, and relaywatch delist
 * SUMMARY
 *	publish the DNSBL zone from the store; ask DNSBLs about addresses
 * SYNOPSIS
 *	relaywatch dnsbl export [--format rbldnsd|bind] [--output FILE]
 *		[--reload-command CMD] [--retest-url URL] [--db PATH]
 *	relaywatch dnsbl check ADDR... [--lists Z1,Z2] [--dns-server A[:P]] [--json]
 *	relaywatch delist ADDR [--user NAME] [--db PATH]
 * DESCRIPTION
 *	export reads every incident in a listed state (zone_listed_states:
 *	relaying verified, not repaired) page by page inside one store batch
 *	(one snapshot: a page boundary never loses or repeats an incident
 *	that changes state meanwhile; the batch writes nothing and is rolled
 *	back) and streams it through the zone writer (src/enforce/zone).
 *	With --output the zone goes to a temporary file in the same
 *	directory, is fsynced and renamed over FILE (a server reading FILE
 *	sees the old zone or the new one, never half), then the reload
 *	command runs: argv split on blanks, fork + execvp, no shell.
 *	check asks every list about every address at once (src/net/dnsbl)
 *	and prints one line (or JSON object) per address and list, in the
 *	order given. TXT texts from lists are escaped (\xNN) before printing.
 *	delist schedules a retest now (desk_command DESK_CMD_RETEST) of every
 *	open incident of ADDR; the listing ends when that retest passes and
 *	the zone is exported again.
 * DIAGNOSTICS
 *	export: 0, 2 usage or configuration, 3 store, write or reload failure.
 *	check: 0 none listed, 1 some listed, 2 usage, 3 only errors.
 *	delist: 0 scheduled, 1 no open incident (or the machine refused),
 *	2 usage, 3 store.
 * LIMITS
 *	RW_STORE_PAGE_MAX incidents per page; DNSBL_CHECK_MAX pairs per check;
 *	DNSBL_ARGV_MAX words in the reload command.
 * STANDARDS
 *	RFC 5782.
 */
#include "cmd.h"
#include "cmd_desk.h"
#include "../core/limits.h"
#include "../core/nslist.h"
#include "../core/xalloc.h"
#include "../desk/desk.h"
#include "../desk/deskclock.h"
#include "../enforce/zone.h"
#include "../net/dnsbl.h"
#include "../store/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* pairs (addresses x lists) one check asks at once */
#define DNSBL_CHECK_MAX 4096
/* words of the reload command */
#define DNSBL_ARGV_MAX 64
/* skipped incidents named one by one on stderr, then only counted */
#define DNSBL_SKIP_SHOWN 10

/* ---- export ------------------------------------------------------------ */

/* export_usage - the synopsis of dnsbl export */
static void export_usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: relaywatch dnsbl export [--format rbldnsd|bind] [--output FILE]\n"
	    "                               [--reload-command CMD] [--retest-url URL] [--db "
	    "PATH]\n\n"
	    "The DNSBL zone: every incident confirmed, notified or blocked (relaying verified,\n"
	    "not repaired), A " ZONE_A " and a TXT with the incident and where to ask for a\n"
	    "retest; RFC 5782 test entries. rbldnsd: a combined dataset (serve it as\n"
	    "ZONE:combined:FILE); bind: a zone file (needs dnsbl_zone and dnsbl_ns).\n"
	    "--output writes FILE atomically, then runs the reload command (dnsbl_reload_command;\n"
	    "split on blanks, no shell). Default: standard output.\n"
	    "exit status: 0 written, 2 usage or configuration error, 3 store, write or reload "
	    "error.\n");
}

/* split - cmd split on blanks into argv (owned copy in *buf); -1 too many words */
static int split(const char *cmd, char **buf, char *argv[DNSBL_ARGV_MAX + 1])
{
	int n = 0;
	char *save = NULL;

	*buf = xstrdup(cmd);
	for (char *w = strtok_r(*buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n == DNSBL_ARGV_MAX)
			return -1;
		argv[n++] = w;
	}
	argv[n] = NULL;
	return n;
}

/* run_reload - fork + execvp of the reload command, wait: 0 when it exits 0 */
static int run_reload(const char *cmd)
{
	char *buf, *argv[DNSBL_ARGV_MAX + 1];
	int n = split(cmd, &buf, argv), status;
	pid_t pid;

	if (n <= 0) {
		fprintf(stderr, "relaywatch dnsbl: reload command: %s\n",
		        n < 0 ? "too many words" : "empty");
		free(buf);
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		fprintf(stderr, "relaywatch dnsbl: reload command: fork: %s\n", strerror(errno));
		free(buf);
		return -1;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "relaywatch dnsbl: reload command %s: %s\n", argv[0],
		        strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "relaywatch dnsbl: reload command %s: %s %d\n", argv[0],
		        WIFEXITED(status) ? "exit" : "signal",
		        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

/* write_zone - every listed incident through the writer; an exit status */
static int write_zone(struct store *st, struct zone_writer *w, struct zone_stats *zs)
{
	unsigned long shown = 0;
	int rc = EXIT_CLEAN;

	/* no snapshot transaction: a batch is a write lock in SQLite, and an
	 * export of a large listing would hold the daemon's writes back for
	 * its whole run. An incident that changes state during the export is
	 * listed twice or not at all until the next export (the daemon's runs
	 * every dnsbl_export_interval). */
	for (size_t s = 0; s < zone_listed_states_n && rc == EXIT_CLEAN; s++) {
		struct store_page pg = {.limit = RW_STORE_PAGE_MAX, .offset = 0};

		for (;;) {
			struct store_incidents l;
			size_t n;

			if (store_incidents_list(st, zone_listed_states[s], &pg, &l) < 0) {
				fprintf(stderr, "relaywatch dnsbl: store: %s\n", store_error(st));
				rc = EXIT_RUNTIME;
				break;
			}
			for (size_t i = 0; i < l.n && rc == EXIT_CLEAN; i++) {
				struct zone_entry e = {.addr = l.v[i].addr, .incident = l.v[i].id};
				const char *why;
				int r = zone_writer_add(w, &e, &why);

				if (r < 0) {
					fprintf(stderr, "relaywatch dnsbl: write: %s\n",
					        strerror(errno));
					rc = EXIT_RUNTIME;
				} else if (r == 0 && shown++ < DNSBL_SKIP_SHOWN) {
					/* the address as JSON: a hostile one stays on its line */
					json_t *j = json_string(l.v[i].addr ? l.v[i].addr : "");
					char *q = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

					fprintf(stderr,
					        "relaywatch dnsbl: incident %lld: %s %s: skipped\n",
					        (long long)l.v[i].id, q ? q : "(not UTF-8)", why);
					free(q);
					json_decref(j);
				}
			}
			n = l.n;
			store_incidents_free(&l);
			if (rc != EXIT_CLEAN || n < (size_t)pg.limit)
				break;
			pg.offset += pg.limit;
		}
	}
	if (zone_writer_finish(w, zs) < 0 && rc == EXIT_CLEAN) {
		fprintf(stderr, "relaywatch dnsbl: write: %s\n", strerror(errno));
		rc = EXIT_RUNTIME;
	}
	if (zs->skipped > DNSBL_SKIP_SHOWN)
		fprintf(stderr, "relaywatch dnsbl: %lu incidents skipped in all\n", zs->skipped);
	return rc;
}

/* open_temp - a temporary file beside path; *tmp owned */
static FILE *open_temp(const char *path, char **tmp)
{
	char *d = xstrdup(path), *b = xstrdup(path);
	int fd;
	FILE *f;

	*tmp = xasprintf("%s/.%s.XXXXXX", dirname(d), basename(b));
	free(d);
	free(b);
	if ((fd = mkstemp(*tmp)) < 0)
		return NULL;
	fchmod(fd, 0644); /* a zone is public data; the server may run as another user */
	if ((f = fdopen(fd, "w")) == NULL)
		close(fd);
	return f;
}

/* commit_temp - fsync, rename over path, fsync the directory: 0 or -1 */
static int commit_temp(FILE *f, const char *tmp, const char *path)
{
	char *d = xstrdup(path);
	int fd, rc = 0;

	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc == 0 && (fd = open(dirname(d), O_RDONLY | O_DIRECTORY)) >= 0) {
		fsync(fd);
		close(fd);
	}
	free(d);
	return rc;
}

/* dnsbl_export - the zone to stdout or atomically to a file */
static int dnsbl_export(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},
	    {"reload-command", required_argument, NULL, 'r'},
	    {"retest-url", required_argument, NULL, 'u'},
	    {"db", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const struct rw_config *cfg = ctx->cfg;
	const char *format = "rbldnsd", *output = NULL, *reload = cfg->dnsbl_reload_command;
	const char *db = NULL, *retest_url = cfg->dnsbl_retest_url;
	struct zone_opts zo = {0};
	struct zone_writer *w;
	struct zone_stats zs = {0};
	struct store *st;
	char err[256], *tmp = NULL;
	FILE *out = stdout;
	int c, rc;

	while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'r':
			reload = optarg;
			break;
		case 'u':
			retest_url = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		default:
			export_usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? EXIT_CLEAN : EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "relaywatch dnsbl export: unexpected argument '%s'\n",
		        argv[optind]);
		return EXIT_USAGE;
	}
	if (zone_format_parse(format, &zo.format) < 0) {
		fprintf(stderr, "relaywatch dnsbl export: --format %s: rbldnsd or bind\n", format);
		return EXIT_USAGE;
	}
	if (reload && *reload && output == NULL) {
		fprintf(stderr, "relaywatch dnsbl export: a reload command needs --output FILE\n");
		return EXIT_USAGE;
	}
	zo.zone = cfg->dnsbl_zone;
	zo.ns = cfg->dnsbl_ns;
	zo.hostmaster = cfg->dnsbl_hostmaster;
	zo.serial = (long long)time(NULL);
	zo.retest_url = retest_url;
	zo.incident_url = cfg->incident_url;
	zo.contact = cfg->abuse_contact;
	/* check the options before touching the store or the file */
	{
		FILE *null = fopen("/dev/null", "w");
		struct zone_writer *probe =
		    null ? zone_writer_new(&zo, null, err, sizeof(err)) : NULL;

		if (null)
			fclose(null);
		if (probe == NULL) {
			fprintf(stderr, "relaywatch dnsbl export: %s\n",
			        null ? err : "cannot open /dev/null");
			return EXIT_USAGE;
		}
		zone_writer_free(probe);
	}
	if ((st = cmd_store_open("dnsbl", cmd_desk_db(ctx, db), 0, &rc)) == NULL)
		return rc;
	if (output && (out = open_temp(output, &tmp)) == NULL) {
		fprintf(stderr, "relaywatch dnsbl export: %s: %s\n", tmp, strerror(errno));
		free(tmp);
		store_close(st);
		return EXIT_RUNTIME;
	}
	w = zone_writer_new(&zo, out, err, sizeof(err));
	rc = write_zone(st, w, &zs);
	zone_writer_free(w);
	store_close(st);
	if (output) {
		if (rc == EXIT_CLEAN && commit_temp(out, tmp, output) < 0) {
			fprintf(stderr, "relaywatch dnsbl export: %s: %s\n", output,
			        strerror(errno));
			rc = EXIT_RUNTIME;
		} else if (rc != EXIT_CLEAN) {
			fclose(out);
		}
		if (rc != EXIT_CLEAN)
			unlink(tmp);
		free(tmp);
		if (rc == EXIT_CLEAN)
			fprintf(
			    stderr,
			    "relaywatch dnsbl: %s: %lu listed (%lu IPv4, %lu IPv6), %lu skipped\n",
			    output, zs.listed4 + zs.listed6, zs.listed4, zs.listed6, zs.skipped);
		if (rc == EXIT_CLEAN && reload && *reload && run_reload(reload) < 0)
			rc = EXIT_RUNTIME;
	} else if (fflush(stdout) != 0) {
		rc = EXIT_RUNTIME;
	}
	return rc;
}

/* ---- check ------------------------------------------------------------- */

/* check_usage - the synopsis of dnsbl check */
static void check_usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: relaywatch dnsbl check ADDR... [--lists ZONE,...] [--dns-server "
	    "ADDR[:PORT],...]\n"
	    "                              [--json]\n\n"
	    "Asks each list (default: dnsbl_lists) about each address: A of the reversed name,\n"
	    "and its TXT when listed. One line per address and list: listed (A, TXT),\n"
	    "not-listed (NXDOMAIN), or error (timeout, SERVFAIL, an answer outside 127/8).\n"
	    "Name servers: --dns-server, dns_servers, else /etc/resolv.conf.\n"
	    "exit status: 0 none listed, 1 some listed, 2 usage, 3 only errors.\n");
}

/* printable - s with bytes outside 0x20..0x7e (and the backslash) as \xNN; owned */
static char *printable(const char *s)
{
	size_t n = strlen(s);
	char *o = xmalloc(n * 4 + 1), *p = o;

	for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
		if (*q < 0x20 || *q > 0x7e || *q == '\\')
			p += sprintf(p, "\\x%02x", *q);
		else
			*p++ = (char)*q;
	}
	*p = '\0';
	return o;
}

/* dnsbl_check_cmd - every address against every list */
static int dnsbl_check_cmd(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
	    {"lists", required_argument, NULL, 'l'},
	    {"dns-server", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const struct rw_config *cfg = ctx->cfg;
	const char *lists_arg = cfg->dnsbl_lists, *servers = cfg->dns_servers;
	const char *lists[DNSBL_CHECK_MAX];
	struct dnsbl_opts o = {0};
	struct dnsbl_result *res;
	struct nslist ns;
	char err[256], *lbuf, *save = NULL;
	size_t nl = 0, na;
	int c, json = 0, listed = 0, errors = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			lists_arg = optarg;
			break;
		case 's':
			servers = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			check_usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? EXIT_CLEAN : EXIT_USAGE;
		}
	}
	na = (size_t)(argc - optind);
	if (na == 0) {
		check_usage(stderr);
		return EXIT_USAGE;
	}
	if (lists_arg == NULL || *lists_arg == '\0') {
		fprintf(stderr, "relaywatch dnsbl check: no lists (--lists or dnsbl_lists)\n");
		return EXIT_USAGE;
	}
	lbuf = xstrdup(lists_arg);
	for (char *z = strtok_r(lbuf, ", \t", &save); z; z = strtok_r(NULL, ", \t", &save)) {
		if (!zone_name_ok(z)) {
			fprintf(stderr, "relaywatch dnsbl check: list '%s' is not a DNS name\n", z);
			free(lbuf);
			return EXIT_USAGE;
		}
		if (nl == DNSBL_CHECK_MAX) {
			fprintf(stderr, "relaywatch dnsbl check: too many lists\n");
			free(lbuf);
			return EXIT_USAGE;
		}
		lists[nl++] = z;
	}
	if (nl == 0 || na > DNSBL_CHECK_MAX / nl) {
		fprintf(stderr, "relaywatch dnsbl check: %s\n",
		        nl ? "too many addresses x lists" : "no lists");
		free(lbuf);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < na; i++) {
		char rev[DNSBL_REVERSE_MAX];

		if (dnsbl_reverse(argv[optind + i], rev, sizeof(rev)) < 0) {
			fprintf(stderr, "relaywatch dnsbl check: '%s' is not an IP address\n",
			        argv[optind + i]);
			free(lbuf);
			return EXIT_USAGE;
		}
	}
	ns.n = 0;
	if (servers && *servers && nslist_parse(servers, &ns, err, sizeof(err)) != NULL) {
		fprintf(stderr, "relaywatch dnsbl check: --dns-server: %s\n", err);
		free(lbuf);
		return EXIT_USAGE;
	}
	o.servers = &ns;
	o.timeout = (unsigned)cfg->dns_timeout;
	/* bounded: every try of both queries, and a little */
	o.deadline = o.timeout * RW_DNS_TRIES * 2 + 2;
	res = xcalloc(na * nl, sizeof(*res));
	if (dnsbl_check((const char *const *)argv + optind, na, lists, nl, &o, res, err,
	                sizeof(err)) < 0) {
		fprintf(stderr, "relaywatch dnsbl check: %s\n", err);
		free(res);
		free(lbuf);
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nl; j++) {
			const struct dnsbl_result *r = &res[i * nl + j];
			char *txt = printable(r->txt), *why = printable(r->why);

			listed += r->status == DNSBL_LISTED;
			errors += r->status == DNSBL_ERROR;
			if (json) {
				json_t *o2 =
				    json_pack("{s:s, s:s, s:s}", "addr", argv[optind + i], "list",
				              lists[j], "status", dnsbl_status_name(r->status));

				if (r->status == DNSBL_LISTED) {
					/* JSON escapes what it must; bytes that are not
					 * UTF-8 fall back to the \xNN form */
					json_t *t = json_string(r->txt);

					json_object_set_new(o2, "a", json_string(r->a));
					json_object_set_new(o2, "txt", t ? t : json_string(txt));
				}
				if (*why)
					json_object_set_new(o2, "error", json_string(why));
				char *s = json_dumps(o2, JSON_COMPACT);
				printf("%s\n", s);
				free(s);
				json_decref(o2);
			} else if (r->status == DNSBL_LISTED) {
				printf("%s %s listed %s%s%s%s%s\n", argv[optind + i], lists[j],
				       r->a, *txt ? " \"" : "", txt, *txt ? "\"" : "",
				       *why ? " (" : "");
				if (*why)
					printf("%s)\n", why);
			} else if (r->status == DNSBL_NOT_LISTED) {
				printf("%s %s not-listed\n", argv[optind + i], lists[j]);
			} else {
				printf("%s %s error %s\n", argv[optind + i], lists[j], why);
			}
			free(txt);
			free(why);
		}
	free(res);
	free(lbuf);
	return listed ? EXIT_FOUND : errors ? EXIT_RUNTIME : EXIT_CLEAN;
}

/* cmd_dnsbl - export or check */
int cmd_dnsbl(int argc, char **argv, struct cmd_ctx *ctx)
{
	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return dnsbl_export(argc - 1, argv + 1, ctx);
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return dnsbl_check_cmd(argc - 1, argv + 1, ctx);
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		export_usage(stdout);
		check_usage(stdout);
		return EXIT_CLEAN;
	}
	fprintf(stderr, "usage: relaywatch dnsbl export|check ... (relaywatch dnsbl --help)\n");
	return EXIT_USAGE;
}

/* ---- delist ------------------------------------------------------------ */

/* delist_usage - the synopsis of delist */
static void delist_usage(FILE *fp)
{
	fprintf(fp,
	        "usage: relaywatch delist ADDR [--user NAME] [--db PATH]\n\n"
	        "Schedules a retest now of ADDR's open incident(s). The DNSBL listing ends when\n"
	        "the retest passes (closed or auth-required) and the zone is exported again.\n"
	        "exit status: 0 scheduled, 1 no open incident (or the retest was refused),\n"
	        "2 usage or configuration error, 3 store error.\n");
}

/* cmd_delist - retest now; the zone follows the store */
int cmd_delist(int argc, char **argv, struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"user", required_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *user = NULL;
	struct store_page pg = {.limit = RW_STORE_PAGE_MAX, .offset = 0};
	struct store_incidents l;
	struct deskclock clk = deskclock_system();
	struct desk *d = NULL;
	struct store *st;
	char canon[INET6_ADDRSTRLEN];
	unsigned char bin[16];
	int c, rc, done = 0, refused = 0, fam;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		default:
			delist_usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? EXIT_CLEAN : EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		delist_usage(stderr);
		return EXIT_USAGE;
	}
	fam = inet_pton(AF_INET, argv[optind], bin) == 1    ? AF_INET
	      : inet_pton(AF_INET6, argv[optind], bin) == 1 ? AF_INET6
	                                                    : -1;
	if (fam < 0) {
		fprintf(stderr, "relaywatch delist: '%s' is not an IP address\n", argv[optind]);
		return EXIT_USAGE;
	}
	inet_ntop(fam, bin, canon, sizeof(canon)); /* as the store keeps it */
	if (user == NULL) {
		struct passwd *pw = getpwuid(getuid());

		user = getenv("SUDO_USER");
		if (user == NULL || *user == '\0')
			user = getenv("USER");
		if ((user == NULL || *user == '\0') && pw)
			user = pw->pw_name;
	}
	if ((st = cmd_store_open("delist", cmd_desk_db(ctx, db), 0, &rc)) == NULL)
		return rc;
	if (store_incidents_of(st, canon, &pg, &l) < 0) {
		fprintf(stderr, "relaywatch delist: store: %s\n", store_error(st));
		store_close(st);
		return EXIT_RUNTIME;
	}
	rc = EXIT_CLEAN;
	for (size_t i = 0; i < l.n && rc == EXIT_CLEAN; i++) {
		int r;

		if (l.v[i].closed_ms != 0)
			continue;
		if (d == NULL && (d = cmd_desk_open("delist", ctx, st, &rc)) == NULL)
			break;
		r = desk_command(d, l.v[i].id, DESK_CMD_RETEST, user, NULL, deskclock_now(&clk));
		if (r > 0) {
			printf("incident %lld (%s:%u, %s): retest scheduled; the daemon runs it at "
			       "its "
			       "next tick\n",
			       (long long)l.v[i].id, canon, l.v[i].port, l.v[i].state);
			done++;
		} else if (r == 0) {
			fprintf(stderr, "relaywatch delist: incident %lld: retest refused: %s\n",
			        (long long)l.v[i].id, desk_error(d));
			refused++;
		} else {
			fprintf(stderr, "relaywatch delist: incident %lld: %s\n",
			        (long long)l.v[i].id, desk_error(d));
			rc = EXIT_RUNTIME;
		}
	}
	store_incidents_free(&l);
	desk_free(d);
	store_close(st);
	if (rc != EXIT_CLEAN)
		return rc;
	if (done == 0) {
		if (refused == 0)
			fprintf(stderr, "relaywatch delist: %s has no open incident\n", canon);
		return EXIT_FOUND;
	}
	printf("%s leaves the DNSBL when the retest passes and the zone is exported again "
	       "(relaywatch dnsbl export)\n",
	       canon);
	return EXIT_CLEAN;
}
