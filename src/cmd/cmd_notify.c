/*
 * NAME
 *	cmd_notify - relaywatch notify-test: send one message via a smarthost
 * SUMMARY
 *	relaywatch notify-test --smarthost HOST:PORT [--starttls MODE]
 *	    [--auth-user U --auth-pass-file F] --from A --to B --subject S < body
 * SYNOPSIS
 *	int cmd_notify(int argc, char **argv, struct cmd_ctx *ctx);
 * DESCRIPTION
 *	Composes a message (src/desk/mailmsg) from the flags and the UTF-8
 *	body on stdin and sends it through the smarthost with the outbox's
 *	own client (src/desk/submit, src/net/submit_io), so an operator can
 *	check the notifier's path and tests can drive it. The smarthost is
 *	resolved with getaddrinfo (the first address is used); the TLS name
 *	checked is --tls-name or the host part. One result line goes to
 *	stdout; -v prints the SMTP transcript (credentials hidden) to stderr.
 * DIAGNOSTICS
 *	Exit 0 sent to every recipient; 1 permanent failure or a recipient
 *	refused; 75 (EX_TEMPFAIL) temporary failure: retry later; 2 usage;
 *	3 runtime (body unreadable, name unresolved, CA file unreadable).
 * LIMITS
 *	RW_TPL_OUTPUT_MAX octets of body; RW_MAIL_RCPT_MAX recipients;
 *	RW_MAIL_REPLY_TIMEOUT, RW_MAIL_DOT_TIMEOUT, RW_MAIL_SESSION_TIMEOUT.
 * STANDARDS
 *	those of mailmsg and submit.
 */
#include "cmd.h"
#include "../core/dbuf.h"
#include "../core/limits.h"
#include "../core/netaddr.h"
#include "../core/xalloc.h"
#include "../desk/mailmsg.h"
#include "../desk/submit.h"
#include "../net/submit_io.h"

#include <event2/event.h>
#include <getopt.h>
#include <netdb.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXIT_TEMPFAIL 75 /* sysexits.h EX_TEMPFAIL, as sendmail(8) uses it */

static void usage(FILE *fp)
{
	fprintf(fp,
	        "usage: relaywatch notify-test --smarthost HOST:PORT --from ADDR --to ADDR\n"
	        "         [--to ADDR]... --subject TEXT [options] < body\n\n"
	        "Send one message (UTF-8 body on stdin) through the smarthost with the\n"
	        "notifier's own SMTP client.\n\n"
	        "  --smarthost HOST:PORT   the smarthost (port 25 when absent)\n"
	        "  --starttls MODE         require | auto | never (default auto)\n"
	        "  --tls-name NAME         name the certificate must match (default HOST)\n"
	        "  --ca-file FILE          trusted CA certificates (PEM; default the system's)\n"
	        "  --no-verify             do not verify the certificate at all\n"
	        "  --auth-user USER        AUTH with this user name ...\n"
	        "  --auth-pass-file FILE   ... and the password on FILE's first line\n"
	        "  --auth-mech MECH        PLAIN or LOGIN (default PLAIN if offered, else LOGIN)\n"
	        "  --auth-plaintext        allow AUTH without TLS (never by default)\n"
	        "  --from MAILBOX          sender, \"Name <addr>\" or addr (envelope: addr)\n"
	        "  --to MAILBOX            recipient (repeatable); --cc MAILBOX likewise\n"
	        "  --subject TEXT          subject (UTF-8)\n"
	        "  --reply-to MAILBOX      Reply-To\n"
	        "  --message-id ID         Message-ID (default a random one)\n"
	        "  --in-reply-to ID, --references IDS\n"
	        "  --helo NAME             our EHLO name (default this host's name)\n"
	        "  --timeout SECONDS       each reply (default %d)\n"
	        "  -v, --verbose           print the SMTP transcript on stderr\n"
	        "  -h, --help              this help\n\n"
	        "Prints one line: sent|tempfail|permfail with the details.\n"
	        "exit status: 0 sent, 1 permanent failure or a recipient refused,\n"
	        "75 temporary failure (retry later), 2 usage, 3 runtime error.\n",
	        RW_MAIL_REPLY_TIMEOUT);
}

/* read_all - stdin into b, bounded */
static int read_all(FILE *fp, struct dbuf *b)
{
	char buf[8192];
	size_t n;

	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		if (dbuf_add(b, buf, n) < 0)
			return -1;
	return ferror(fp) ? -1 : 0;
}

/* cmd_read_secret - the first line of a file, without its end (cmd.h) */
char *cmd_read_secret(const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[1024];

	if (fp == NULL)
		return NULL;
	if (fgets(line, sizeof(line), fp) == NULL)
		line[0] = '\0';
	fclose(fp);
	line[strcspn(line, "\r\n")] = '\0';
	char *s = xstrdup(line);
	memset(line, 0, sizeof(line));
	return s;
}

/* make_msgid - <time.random@domain of the sender> */
static void make_msgid(char *buf, size_t len, const char *from_addr)
{
	unsigned char r[8];
	const char *dom = strrchr(from_addr, '@');

	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0, sizeof(r));
	snprintf(buf, len, "<%lld.%02x%02x%02x%02x%02x%02x%02x%02x@%s>", (long long)time(NULL),
	         r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
	         dom ? dom + 1 : "relaywatch.invalid");
}

int cmd_notify(int argc, char **argv, struct cmd_ctx *ctx)
{
	enum {
		O_STARTTLS = 256,
		O_TLSNAME,
		O_CA,
		O_NOVERIFY,
		O_USER,
		O_PASSFILE,
		O_MECH,
		O_PLAIN,
		O_FROM,
		O_TO,
		O_CC,
		O_SUBJ,
		O_REPLYTO,
		O_MSGID,
		O_IRT,
		O_REFS,
		O_HELO,
		O_TIMEOUT,
		O_SMARTHOST
	};
	static const struct option opts[] = {
	    {"smarthost", required_argument, NULL, O_SMARTHOST},
	    {"starttls", required_argument, NULL, O_STARTTLS},
	    {"tls-name", required_argument, NULL, O_TLSNAME},
	    {"ca-file", required_argument, NULL, O_CA},
	    {"no-verify", no_argument, NULL, O_NOVERIFY},
	    {"auth-user", required_argument, NULL, O_USER},
	    {"auth-pass-file", required_argument, NULL, O_PASSFILE},
	    {"auth-mech", required_argument, NULL, O_MECH},
	    {"auth-plaintext", no_argument, NULL, O_PLAIN},
	    {"from", required_argument, NULL, O_FROM},
	    {"to", required_argument, NULL, O_TO},
	    {"cc", required_argument, NULL, O_CC},
	    {"subject", required_argument, NULL, O_SUBJ},
	    {"reply-to", required_argument, NULL, O_REPLYTO},
	    {"message-id", required_argument, NULL, O_MSGID},
	    {"in-reply-to", required_argument, NULL, O_IRT},
	    {"references", required_argument, NULL, O_REFS},
	    {"helo", required_argument, NULL, O_HELO},
	    {"timeout", required_argument, NULL, O_TIMEOUT},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *smarthost = NULL, *tls_name = NULL, *ca = NULL, *user = NULL;
	const char *passfile = NULL, *mech = NULL, *from = NULL, *subject = "";
	const char *reply_to = NULL, *msgid = NULL, *irt = NULL, *refs = NULL, *helo = NULL;
	const char *to[RW_MAIL_RCPT_MAX], *cc[RW_MAIL_RCPT_MAX], *rcpt[RW_MAIL_RCPT_MAX];
	char rcptbuf[RW_MAIL_RCPT_MAX][RW_MAIL_ADDR_MAX + 1], from_addr[RW_MAIL_ADDR_MAX + 1];
	char host[RW_DOMAIN_MAX + 1], idbuf[RW_MAIL_ADDR_MAX + 64], hname[RW_DOMAIN_MAX + 1];
	char err[256], portstr[8];
	size_t nto = 0, ncc = 0, nrcpt = 0;
	int c, verify = 1, plaintext = 0, verbose = ctx->verbose, timeout = RW_MAIL_REPLY_TIMEOUT;
	enum submit_tls tls = SUBMIT_TLS_AUTO;
	unsigned port;
	const char *e;
	struct dbuf body, msg;
	char *pass = NULL;
	int rc = EXIT_RUNTIME;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	SSL_CTX *ssl = NULL;
	struct event_base *base = NULL;
	struct submit *s = NULL;

	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case O_SMARTHOST:
			smarthost = optarg;
			break;
		case O_STARTTLS:
			if (strcmp(optarg, "require") == 0)
				tls = SUBMIT_TLS_REQUIRE;
			else if (strcmp(optarg, "auto") == 0)
				tls = SUBMIT_TLS_AUTO;
			else if (strcmp(optarg, "never") == 0)
				tls = SUBMIT_TLS_NEVER;
			else {
				fprintf(stderr, "relaywatch notify-test: --starttls: want require, "
				                "auto or never\n");
				return EXIT_USAGE;
			}
			break;
		case O_TLSNAME:
			tls_name = optarg;
			break;
		case O_CA:
			ca = optarg;
			break;
		case O_NOVERIFY:
			verify = 0;
			break;
		case O_USER:
			user = optarg;
			break;
		case O_PASSFILE:
			passfile = optarg;
			break;
		case O_MECH:
			mech = optarg;
			break;
		case O_PLAIN:
			plaintext = 1;
			break;
		case O_FROM:
			from = optarg;
			break;
		case O_TO:
		case O_CC:
			if (nto + ncc >= RW_MAIL_RCPT_MAX) {
				fprintf(stderr, "relaywatch notify-test: at most %d recipients\n",
				        RW_MAIL_RCPT_MAX);
				return EXIT_USAGE;
			}
			if (c == O_TO)
				to[nto++] = optarg;
			else
				cc[ncc++] = optarg;
			break;
		case O_SUBJ:
			subject = optarg;
			break;
		case O_REPLYTO:
			reply_to = optarg;
			break;
		case O_MSGID:
			msgid = optarg;
			break;
		case O_IRT:
			irt = optarg;
			break;
		case O_REFS:
			refs = optarg;
			break;
		case O_HELO:
			helo = optarg;
			break;
		case O_TIMEOUT:
			timeout = atoi(optarg);
			if (timeout <= 0 || timeout > 3600) {
				fprintf(stderr,
				        "relaywatch notify-test: --timeout: 1 to 3600 seconds\n");
				return EXIT_USAGE;
			}
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			return EXIT_CLEAN;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc || !smarthost || !from || nto + ncc == 0) {
		fprintf(stderr,
		        "relaywatch notify-test: --smarthost, --from and --to are required\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((user == NULL) != (passfile == NULL)) {
		fprintf(stderr,
		        "relaywatch notify-test: --auth-user and --auth-pass-file go together\n");
		return EXIT_USAGE;
	}
	if ((e = netaddr_split(smarthost, host, sizeof(host), &port, 25)) != NULL) {
		fprintf(stderr, "relaywatch notify-test: --smarthost %s: %s\n", smarthost, e);
		return EXIT_USAGE;
	}
	if ((e = mailmsg_addr_spec(from, from_addr, sizeof(from_addr))) != NULL) {
		fprintf(stderr, "relaywatch notify-test: --from: %s\n", e);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < nto + ncc; i++) {
		const char *mb = i < nto ? to[i] : cc[i - nto];
		if ((e = mailmsg_addr_spec(mb, rcptbuf[nrcpt], sizeof(rcptbuf[0]))) != NULL) {
			fprintf(stderr, "relaywatch notify-test: recipient %s: %s\n", mb, e);
			return EXIT_USAGE;
		}
		rcpt[nrcpt] = rcptbuf[nrcpt];
		nrcpt++;
	}
	if (helo == NULL) {
		if (gethostname(hname, sizeof(hname)) != 0 || hname[0] == '\0')
			snprintf(hname, sizeof(hname), "localhost");
		hname[sizeof(hname) - 1] = '\0';
		helo = hname;
	}
	if (msgid == NULL) {
		make_msgid(idbuf, sizeof(idbuf), from_addr);
		msgid = idbuf;
	}
	dbuf_init(&body, RW_TPL_OUTPUT_MAX);
	dbuf_init(&msg, 0);
	if (read_all(stdin, &body) < 0) {
		fprintf(stderr,
		        "relaywatch notify-test: body on stdin unreadable or over %d octets\n",
		        RW_TPL_OUTPUT_MAX);
		goto out;
	}
	{
		struct mailmsg m = {
		    .from = from,
		    .to = to,
		    .nto = nto,
		    .cc = cc,
		    .ncc = ncc,
		    .reply_to = reply_to,
		    .subject = subject,
		    .message_id = msgid,
		    .in_reply_to = irt,
		    .references = refs,
		    .date = (long long)time(NULL),
		    .body = dbuf_str(&body),
		    .body_len = body.len,
		};
		if (mailmsg_compose(&m, &msg, err, sizeof(err)) != 0) {
			fprintf(stderr, "relaywatch notify-test: %s\n", err);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (passfile && (pass = cmd_read_secret(passfile)) == NULL) {
		fprintf(stderr, "relaywatch notify-test: --auth-pass-file %s: unreadable\n",
		        passfile);
		goto out;
	}
	snprintf(portstr, sizeof(portstr), "%u", port);
	if ((c = getaddrinfo(host, portstr, &hints, &ai)) != 0) {
		fprintf(stderr, "relaywatch notify-test: %s: %s\n", host, gai_strerror(c));
		goto out;
	}
	if (tls != SUBMIT_TLS_NEVER &&
	    (ssl = submit_io_ssl_ctx(ca, verify, err, sizeof(err))) == NULL) {
		fprintf(stderr, "relaywatch notify-test: %s\n", err);
		goto out;
	}
	{
		struct submit_config cfg = {
		    .helo = helo,
		    .tls = tls,
		    .user = user,
		    .pass = pass,
		    .auth_mech = mech,
		    .auth_plaintext_ok = plaintext,
		    .mail_from = from_addr,
		    .rcpt = rcpt,
		    .nrcpt = nrcpt,
		    .data = msg.data,
		    .data_len = msg.len,
		    .reply_timeout_ms = timeout * 1000,
		    .dot_timeout_ms = RW_MAIL_DOT_TIMEOUT * 1000,
		};
		struct submit_io_env env = {
		    .ssl_ctx = ssl,
		    .tls_name = tls_name ? tls_name : host,
		    .session_timeout_ms = RW_MAIL_SESSION_TIMEOUT * 1000,
		};
		const struct submit_result *r;

		if ((s = submit_new(&cfg, err, sizeof(err))) == NULL) {
			fprintf(stderr, "relaywatch notify-test: %s\n", err);
			rc = EXIT_USAGE;
			goto out;
		}
		env.base = base = event_base_new();
		if (base == NULL) {
			fprintf(stderr, "relaywatch notify-test: cannot create the event loop\n");
			goto out;
		}
		submit_io_send(&env, s, ai->ai_addr, ai->ai_addrlen);
		r = submit_result(s);
		if (verbose)
			fputs(submit_transcript(s), stderr);
		printf("%s stage=%s code=%d esc=%s tls=%s auth=%s message_id=%s",
		       submit_outcome_name(r->outcome), r->stage, r->code, r->esc[0] ? r->esc : "-",
		       r->tls ? r->tls_version : "no", r->authenticated ? "yes" : "no", msgid);
		if (r->outcome == SUBMIT_SENT)
			printf(" queue_id=%s", r->queue_id);
		if (r->maybe_sent)
			printf(" maybe_sent=yes");
		printf(" text=\"%s\"\n", r->text);
		for (size_t i = 0; i < nrcpt; i++)
			if (r->rcpt[i].code && (r->rcpt[i].code < 200 || r->rcpt[i].code >= 300))
				printf("refused rcpt=%s code=%d text=\"%s\"\n", r->rcpt[i].addr,
				       r->rcpt[i].code, r->rcpt[i].text);
		fflush(stdout);
		rc = r->outcome == SUBMIT_SENT       ? (r->nrefused ? EXIT_FOUND : EXIT_CLEAN)
		     : r->outcome == SUBMIT_TEMPFAIL ? EXIT_TEMPFAIL
		                                     : EXIT_FOUND;
	}
out:
	submit_free(s);
	if (base)
		event_base_free(base);
	if (ssl)
		SSL_CTX_free(ssl);
	if (ai)
		freeaddrinfo(ai);
	if (pass) {
		memset(pass, 0, strlen(pass));
		free(pass);
	}
	dbuf_free(&body);
	dbuf_free(&msg);
	return rc;
}
