/*
 * NAME
 *	smtpd - the SMTP dialogue of a lab server: commands, relay decisions
 * SUMMARY
 *	answer each command as the host's profile says
 * SYNOPSIS
 *	void smtpd_greet(struct server_conn *c);
 *	void smtpd_event(struct server_conn *c, enum smtpcmd_event ev);
 *	void smtpd_reset(struct server_conn *c);
 * DESCRIPTION
 *	smtpd_greet() writes the profile's first words (banner, 421, an
 *	HTTP error, junk) and smtpd_event() the answer to one parser event
 *	into c->out, setting c->act when the connection must change after
 *	the reply (close, STARTTLS, endless, silence); server.c sends them.
 *	Each RCPT is read with addr_route() as this host sees it: a local
 *	recipient is accepted and dropped; a relay is accepted when the
 *	profile relays the tricks used, for this sender and this client,
 *	else refused at RCPT or at end of DATA. At end of DATA a message
 *	with canary recipients gets a Received field and goes to
 *	deliver.c, with the envelope rewritten to localpart@canary; mail
 *	for any other domain is dropped: the lab never sends mail anywhere
 *	but the sink or the next lab hop. smtpd_reset() frees the
 *	transaction's recipients (also on connection free).
 * DIAGNOSTICS
 *	Postfix-style replies; 421 after LAB_ERRORS_MAX protocol errors.
 *	One log line per relay decision and per message.
 * LIMITS
 *	LAB_RCPT_MAX recipients, LAB_MSG_MAX per message (parser cap and
 *	advertised SIZE), RW_PATH_MAX per path, LAB_LONGLINE_LEN,
 *	LAB_BINARY_LEN.
 * STANDARDS
 *	RFC 5321 4.1 (commands), 4.2 (replies), 4.4 (Received), RFC 3463 and
 *	RFC 2034 (enhanced codes), RFC 2920, RFC 3207, RFC 3848 (ESMTPS),
 *	RFC 1123 5.2.16 / RFC 976 / RFC 5321 C (the relay tricks).
 */
#include "server_int.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../src/core/dbuf.h"
#include "../src/core/log.h"
#include "../src/core/xalloc.h"

/* proto_error - a 5xx for a bad command, counted like Postfix does */
static void proto_error(struct server_conn *c, const char *text)
{
	if (++c->errors >= LAB_ERRORS_MAX) {
		server_reply(c, "421 4.7.0 %s Error: too many errors", c->host->name);
		c->act = ACT_CLOSE;
		return;
	}
	server_reply(c, "%s", text);
}

/* smtpd_reset - forget the mail transaction (RSET, EHLO, after DATA) */
void smtpd_reset(struct server_conn *c)
{
	size_t i;

	for (i = 0; i < c->nrelay; i++) {
		free(c->relay[i]);
		c->relay[i] = NULL;
	}
	c->nrelay = 0;
	c->nrcpt = 0;
	c->has_mail = 0;
	c->sender[0] = '\0';
	c->sender_own = 0;
	c->refuse_data = 0;
}

/* first_word - copy the HELO argument's first word, bounded */
static void first_word(const char *arg, char *out, size_t outlen)
{
	size_t n = strcspn(arg, " \t");

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, arg, n);
	out[n] = '\0';
}

/* hostile_helo - the hostile profiles' answer to EHLO/HELO; 1 if given */
static int hostile_helo(struct server_conn *c)
{
	switch (c->host->prof->mode) {
	case MODE_LONGLINE: {
		size_t i, n = (size_t)evbuffer_get_length(c->out);

		evbuffer_add_printf(c->out, "250 %s ", c->host->name);
		for (i = evbuffer_get_length(c->out) - n; i < LAB_LONGLINE_LEN; i++)
			evbuffer_add(c->out, "x", 1);
		evbuffer_add(c->out, "\r\n", 2);
		return 1;
	}
	case MODE_CONTINUATION:
		server_reply(c, "250-%s", c->host->name);
		c->act = ACT_ENDLESS;
		return 1;
	default:
		return 0;
	}
}

/* An EHLO keyword and when it is offered. */
enum { CAP_ALWAYS, CAP_STARTTLS, CAP_AUTH };
static const struct {
	const char *text;
	int when;
} ehlo_caps[] = {
    {"PIPELINING", CAP_ALWAYS},
    {"SIZE", CAP_ALWAYS}, /* value appended */
    {"VRFY", CAP_ALWAYS},
    {"ETRN", CAP_ALWAYS},
    {"STARTTLS", CAP_STARTTLS},
    {"AUTH PLAIN LOGIN", CAP_AUTH},
    {"ENHANCEDSTATUSCODES", CAP_ALWAYS},
    {"8BITMIME", CAP_ALWAYS},
    {"DSN", CAP_ALWAYS},
};

/* one_greeting - OpenSMTPD takes one greeting per connection (per TLS
 * session): a second gets 503; answered here when so */
static int one_greeting(struct server_conn *c)
{
	if (!c->greeted || c->host->prof->flavor != FLAVOR_OPENSMTPD)
		return 0;
	server_reply(c, "503 5.5.1 Invalid command: Already identified");
	return 1;
}

/* on_ehlo - greeting and the Postfix-like keyword list */
static void on_ehlo(struct server_conn *c, const struct smtpcmd *cmd)
{
	const struct profile *p = c->host->prof;
	char line[RW_DOMAIN_MAX * 2 + 128];
	const char *keep[sizeof(ehlo_caps) / sizeof(ehlo_caps[0])];
	size_t i, n = 0;

	if (cmd->arg[0] == '\0') {
		proto_error(c, "501 5.5.4 Syntax: EHLO hostname");
		return;
	}
	if (one_greeting(c))
		return;
	first_word(cmd->arg, c->helo, sizeof(c->helo));
	c->greeted = 1;
	c->esmtp = 1;
	smtpd_reset(c);
	if (hostile_helo(c))
		return;
	for (i = 0; i < sizeof(ehlo_caps) / sizeof(ehlo_caps[0]); i++) {
		if ((ehlo_caps[i].when == CAP_STARTTLS && !(p->starttls && !c->tls)) ||
		    (ehlo_caps[i].when == CAP_AUTH && !p->auth))
			continue;
		keep[n++] = ehlo_caps[i].text;
	}
	lab_expand(profile_flavor(p->flavor)->ehlo, c->host->name, c->helo, c->peer, NULL, line,
	           sizeof(line));
	server_reply(c, "250-%s", line);
	for (i = 0; i < n; i++) {
		if (strcmp(keep[i], "SIZE") == 0)
			server_reply(c, "250%cSIZE %d", i + 1 == n ? ' ' : '-', LAB_MSG_MAX);
		else
			server_reply(c, "250%c%s", i + 1 == n ? ' ' : '-', keep[i]);
	}
}

/* on_helo - plain SMTP greeting */
static void on_helo(struct server_conn *c, const struct smtpcmd *cmd)
{
	if (cmd->arg[0] == '\0') {
		proto_error(c, "501 Syntax: HELO hostname");
		return;
	}
	if (one_greeting(c))
		return;
	first_word(cmd->arg, c->helo, sizeof(c->helo));
	c->greeted = 1;
	c->esmtp = 0;
	smtpd_reset(c);
	if (!hostile_helo(c))
		server_reply(c, "250 %s", c->host->name);
}

/* on_mail - the sender; where auth or TLS is required, refuse here */
static void on_mail(struct server_conn *c, const struct smtpcmd *cmd)
{
	const struct profile *p = c->host->prof;
	struct addr_route r;

	if (c->has_mail) {
		proto_error(c, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (!cmd->path_ok) {
		proto_error(c, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	if (p->starttls && !c->tls) {
		server_reply(c, "530 5.7.0 Must issue a STARTTLS command first");
		return;
	}
	if (p->auth) {
		server_reply(c, "530 5.7.0 Authentication required");
		return;
	}
	if (strlen(cmd->path) > RW_PATH_MAX) {
		proto_error(c, "501 5.1.7 Bad sender address syntax");
		return;
	}
	if (p->strict_sender && cmd->path[0] != '\0') {
		/* Sendmail: "Real domain name required" for a sender at an
		 * address literal (or bare address) of its own */
		const char *at = strrchr(cmd->path, '@');

		if (at == NULL || at[1] == '[' || strspn(at + 1, "0123456789.") == strlen(at + 1)) {
			server_reply(
			    c, "553 5.5.4 <%s>... Real domain name required for sender address",
			    cmd->path);
			return;
		}
	}
	c->has_mail = 1;
	snprintf(c->sender, sizeof(c->sender), "%s", cmd->path);
	c->sender_own =
	    c->sender[0] != '\0' && addr_route(c->sender, &c->host->self, &r) == NULL && r.local;
	server_reply(c, "250 2.1.0 Ok");
}

/* mailbox - localpart@domain, the local part quoted unless a dot-atom
 * (RFC 5321 4.1.2); owned */
static char *mailbox(const char *lp, const char *domain)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
	struct dbuf b;
	size_t i, n = strlen(lp);
	int atom = n > 0 && lp[0] != '.' && lp[n - 1] != '.' && strstr(lp, "..") == NULL;

	for (i = 0; atom && i < n; i++) {
		unsigned char ch = (unsigned char)lp[i];

		atom = (ch < 128 &&
		        (ch == '.' || (ch >= '0' && ch <= '9') ||
		         ((ch | 32) >= 'a' && (ch | 32) <= 'z') || strchr(atext, ch) != NULL));
	}
	if (atom)
		return xasprintf("%s@%s", lp, domain);
	dbuf_init(&b, 0);
	dbuf_addc(&b, '"');
	for (i = 0; i < n; i++) {
		if (lp[i] == '"' || lp[i] == '\\')
			dbuf_addc(&b, '\\');
		dbuf_addc(&b, lp[i]);
	}
	dbuf_printf(&b, "\"@%s", domain);
	return dbuf_steal(&b);
}

/* may_relay - profile, client and sender rules for a relay recipient */
static int may_relay(const struct server_conn *c, const struct addr_route *r)
{
	const struct profile *p = c->host->prof;

	if (p->trust != NULL && strcmp(c->peer, c->host->trusted) != 0)
		return 0;
	if (p->trust_ip != NULL && strcmp(c->peer, p->trust_ip) != 0)
		return 0;
	if (!profile_relays(p, r->tricks))
		return 0;
	switch (p->sender) {
	case SENDER_ANY:
		return 1;
	case SENDER_NULL_ONLY:
		return c->sender[0] == '\0';
	case SENDER_OWN:
		return c->sender_own;
	case SENDER_DOMAIN: {
		const char *at = strrchr(c->sender, '@');
		const char *parent = strchr(c->host->name, '.');

		return at && parent && strcasecmp(at + 1, parent + 1) == 0;
	}
	}
	return 0;
}

/* on_rcpt - local, relayed, dropped or refused */
static void on_rcpt(struct server_conn *c, const struct smtpcmd *cmd)
{
	const struct profile *p = c->host->prof;
	const char *canary = c->lab->cfg->canary;
	struct addr_route r;
	char tricks[128], line[RW_PATH_MAX + 128];
	const char *what;
	long long wait_ms;
	int relay;

	if (!c->has_mail) {
		proto_error(c, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (!cmd->path_ok) {
		proto_error(c, "501 5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	if (c->nrcpt >= LAB_RCPT_MAX) {
		server_reply(c, "452 4.5.3 Error: too many recipients");
		return;
	}
	if (strlen(cmd->path) > RW_PATH_MAX || addr_route(cmd->path, &c->host->self, &r) != NULL) {
		proto_error(c, "501 5.1.3 Bad recipient address syntax");
		return;
	}
	if (p->strict_sender && strchr(cmd->path, '@') == NULL) {
		server_reply(c, "553 5.5.4 <%s>... Domain name required for recipient", cmd->path);
		return;
	}
	if (p->greylist &&
	    !greylist_check(c->host->grey, c->peer, c->sender, cmd->path, lab_now_ms(c->lab),
	                    c->lab->cfg->greylist * 1000LL, &wait_ms)) {
		lab_info(c->lab,
		         "lab host=%s conn=%lu event=rcpt rcpt=<%s> decision=greylist wait_ms=%lld",
		         c->host->name, c->id, cmd->path, wait_ms);
		server_reply(c,
		             "451 4.7.1 <%s>: Recipient address rejected: Greylisted, try again in "
		             "%lld seconds",
		             cmd->path, (wait_ms + 999) / 1000);
		return;
	}
	addr_trick_names(r.tricks, tricks, sizeof(tricks));
	if (r.local) {
		what = "local";
		relay = 1;
	} else {
		relay = may_relay(c, &r);
		what = !relay ? (p->refuse_at == REFUSE_AT_RCPT ? "refuse" : "refuse-at-data")
		       : addr_domain_eq(r.domain, canary) ? "relay"
		                                          : "drop";
	}
	lab_info(
	    c->lab,
	    "lab host=%s conn=%lu event=rcpt sender=<%s> rcpt=<%s> domain=%s tricks=%s decision=%s",
	    c->host->name, c->id, c->sender, cmd->path, r.local ? "(local)" : r.domain,
	    tricks[0] ? tricks : "none", what);
	if (!relay && p->refuse_at == REFUSE_AT_RCPT) {
		lab_expand(profile_flavor(p->flavor)->relay_denied, c->host->name, c->helo, c->peer,
		           cmd->path, line, sizeof(line));
		server_reply(c, "%s", line);
		return;
	}
	if (!relay)
		c->refuse_data = 1;
	else if (!r.local && addr_domain_eq(r.domain, canary))
		c->relay[c->nrelay++] = mailbox(r.localpart, canary);
	c->nrcpt++;
	server_reply(c, "250 2.1.5 Ok");
}

/* on_data - 354 when there is someone to deliver to */
static void on_data(struct server_conn *c, const struct smtpcmd *cmd)
{
	if (!c->has_mail) {
		proto_error(c, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (c->nrcpt == 0) {
		proto_error(c, "503 5.5.1 Error: need RCPT command");
		return;
	}
	if (cmd->arg[0] != '\0') {
		proto_error(c, "501 5.5.4 Syntax: DATA");
		return;
	}
	if (c->nrelay > 0 && !c->refuse_data && !c->host->prof->discard && !deliver_room(c->lab)) {
		server_reply(c, "452 4.3.1 Insufficient system storage");
		return;
	}
	server_reply(c, "354 End data with <CR><LF>.<CR><LF>");
	smtpcmd_begin_data(c->cp);
	server_enter(c, CS_DATA);
}

/* make_qid - a Postfix-looking queue id */
static void make_qid(struct server_conn *c, char *out, size_t len)
{
	unsigned long n = ++c->lab->next_id;

	snprintf(out, len, "%05lX%06lX", (unsigned long)time(NULL) & 0xFFFFFUL, n & 0xFFFFFFUL);
}

/* send_bounce - a Postfix-style DSN to the envelope sender, only when the
 * sender is at the canary (the lab never sends anywhere else) */
static void send_bounce(struct server_conn *c, const char *msg, size_t len, const char *qid)
{
	const struct lab_host *h = c->host;
	const char *at = strrchr(c->sender, '@');
	const char *rcpts[1] = {c->sender};
	struct deliver_job job;
	struct dbuf b;
	char date[64];

	if (at == NULL || !addr_domain_eq(at + 1, c->lab->cfg->canary))
		return;
	dbuf_init(&b, 0);
	dbuf_printf(&b,
	            "Received: by %s ([%s]); %s\r\n"
	            "Date: %s\r\nFrom: MAILER-DAEMON@%s (Mail Delivery System)\r\n"
	            "Subject: Undelivered Mail Returned to Sender\r\nTo: %s\r\n"
	            "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
	            "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	            "\tboundary=\"%s.lab\"\r\n\r\n"
	            "--%s.lab\r\nContent-Type: text/plain\r\n\r\n"
	            "This is the mail system at host %s.\r\n"
	            "Your message could not be delivered.\r\n\r\n"
	            "--%s.lab\r\nContent-Type: message/delivery-status\r\n\r\n"
	            "Reporting-MTA: dns; %s\r\nX-Postfix-Queue-ID: %s\r\n\r\n"
	            "Final-Recipient: rfc822; %s\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
	            "--%s.lab\r\nContent-Type: message/rfc822\r\n\r\n",
	            h->name, h->ip, lab_date(date, sizeof(date)), date, h->name, c->sender, qid,
	            qid, h->name, qid, h->name, qid, c->relay[0], qid);
	dbuf_add(&b, msg, len);
	dbuf_printf(&b, "\r\n--%s.lab--\r\n", qid);
	memset(&job, 0, sizeof(job));
	job.from = h;
	job.to = (const struct sockaddr *)&c->lab->sink;
	job.tolen = c->lab->sinklen;
	job.sender = "";
	job.rcpts = rcpts;
	job.nrcpt = 1;
	job.msglen = b.len;
	job.msg = dbuf_steal(&b);
	job.qid = qid;
	if (deliver_submit(c->lab, &job) == 0)
		lab_info(c->lab, "lab host=%s conn=%lu event=bounce qid=%s to=%s", h->name, c->id,
		         qid, c->sender);
}

/* on_message - end of DATA: refuse, discard, or relay with a Received */
static void on_message(struct server_conn *c, const char *msg, size_t len)
{
	const struct lab_host *h = c->host;
	struct deliver_job job;
	struct dbuf b;
	char qid[32], date[64], line[256];

	make_qid(c, qid, sizeof(qid));
	if (c->refuse_data) {
		lab_expand(profile_flavor(h->prof->flavor)->data_denied, h->name, c->helo, c->peer,
		           NULL, line, sizeof(line));
		lab_info(c->lab, "lab host=%s conn=%lu event=message decision=refuse", h->name,
		         c->id);
		server_reply(c, "%s", line);
		smtpd_reset(c);
		return;
	}
	c->host->msgs++;
	if (c->nrelay > 0 && !h->prof->discard) {
		dbuf_init(&b, 0);
		dbuf_printf(&b,
		            "Received: from %s ([%s])\r\n\tby %s ([%s]) with %s id %s;\r\n\t%s\r\n",
		            c->greeted ? c->helo : "unknown", c->peer, h->name, h->ip,
		            !c->esmtp ? "SMTP"
		            : c->tls  ? "ESMTPS"
		                      : "ESMTP",
		            qid, lab_date(date, sizeof(date)));
		dbuf_add(&b, msg, len);
		memset(&job, 0, sizeof(job));
		job.from = h;
		if (h->next_hop != NULL) {
			job.to = (const struct sockaddr *)&h->next_hop->addr;
			job.tolen = h->next_hop->addrlen;
		} else {
			job.to = (const struct sockaddr *)&c->lab->sink;
			job.tolen = c->lab->sinklen;
		}
		job.sender = c->sender;
		job.rcpts = (const char *const *)c->relay;
		job.nrcpt = c->nrelay;
		job.msglen = b.len;
		job.msg = dbuf_steal(&b);
		job.delay_sec = h->prof->delayed ? c->lab->cfg->delay : 0;
		job.qid = qid;
		if (deliver_submit(c->lab, &job) < 0) {
			server_reply(c, "451 4.3.0 Error: queue file write error");
			smtpd_reset(c);
			return;
		}
		c->host->relayed++;
	}
	if (c->nrelay > 0 && h->prof->bounce)
		send_bounce(c, msg, len, qid);
	lab_info(c->lab,
	         "lab host=%s conn=%lu event=message qid=%s size=%zu relay_rcpts=%zu decision=%s",
	         h->name, c->id, qid, len, c->nrelay,
	         c->nrelay == 0     ? "drop"
	         : h->prof->discard ? "discard"
	                            : "deliver");
	server_reply(c, "250 2.0.0 Ok: queued as %s", qid);
	smtpd_reset(c);
}

/* on_rset - forget the transaction */
static void on_rset(struct server_conn *c, const struct smtpcmd *cmd)
{
	smtpd_reset(c);
	server_reply(c, "250 2.0.0 Ok");
}

/* on_noop - nothing */
static void on_noop(struct server_conn *c, const struct smtpcmd *cmd)
{
	server_reply(c, "250 2.0.0 Ok");
}

/* on_quit - goodbye, then close */
static void on_quit(struct server_conn *c, const struct smtpcmd *cmd)
{
	server_reply(c, "221 2.0.0 Bye");
	c->act = ACT_CLOSE;
}

/* on_vrfy - cannot verify, will accept (252, like Postfix) */
static void on_vrfy(struct server_conn *c, const struct smtpcmd *cmd)
{
	if (cmd->arg[0] == '\0')
		proto_error(c, "501 5.5.4 Syntax: VRFY address");
	else
		server_reply(c, "252 2.0.0 %s", cmd->arg);
}

/* on_starttls - only where the profile offers it, once */
static void on_starttls(struct server_conn *c, const struct smtpcmd *cmd)
{
	if (!c->host->prof->starttls || c->lab->tls == NULL)
		proto_error(c, "502 5.5.1 Error: command not implemented");
	else if (c->tls)
		proto_error(c, "554 5.5.1 Error: TLS already active");
	else if (cmd->arg[0] != '\0')
		proto_error(c, "501 5.5.4 Syntax: STARTTLS");
	else {
		server_reply(c, "220 2.0.0 Ready to start TLS");
		c->act = ACT_STARTTLS;
	}
}

/* on_auth - nobody knows the password */
static void on_auth(struct server_conn *c, const struct smtpcmd *cmd)
{
	if (!c->host->prof->auth)
		proto_error(c, "503 5.5.1 Error: authentication not enabled");
	else if (c->has_mail)
		proto_error(c, "503 5.5.1 Error: MAIL transaction in progress");
	else
		server_reply(c, "535 5.7.8 Error: authentication failed: authentication failure");
}

static void (*const handlers[CMD__COUNT])(struct server_conn *, const struct smtpcmd *) = {
    [CMD_HELO] = on_helo, [CMD_EHLO] = on_ehlo,         [CMD_MAIL] = on_mail, [CMD_RCPT] = on_rcpt,
    [CMD_DATA] = on_data, [CMD_RSET] = on_rset,         [CMD_NOOP] = on_noop, [CMD_QUIT] = on_quit,
    [CMD_VRFY] = on_vrfy, [CMD_STARTTLS] = on_starttls, [CMD_AUTH] = on_auth,
};

/* smtpd_event - one parser event, one reply */
void smtpd_event(struct server_conn *c, enum smtpcmd_event ev)
{
	const struct smtpcmd *cmd;
	const char *msg;
	size_t len;

	switch (ev) {
	case SMTPCMD_MORE:
		break;
	case SMTPCMD_TOOLONG:
		proto_error(c, "500 5.5.2 Error: line too long");
		break;
	case SMTPCMD_MSG_TOOBIG:
		server_enter(c, CS_COMMAND);
		server_reply(c, "552 5.3.4 Error: message file too big");
		smtpd_reset(c);
		break;
	case SMTPCMD_MESSAGE:
		server_enter(c, CS_COMMAND);
		msg = smtpcmd_message(c->cp, &len);
		on_message(c, msg, len);
		break;
	case SMTPCMD_COMMAND:
		cmd = smtpcmd_get(c->cp);
		rw_debug("lab host=%s conn=%lu event=command verb=%s arg=%s", c->host->name, c->id,
		         smtpcmd_verb_name(cmd->verb), cmd->arg);
		if (cmd->nul_seen)
			proto_error(c, "500 5.5.2 Error: bad syntax");
		else if ((unsigned)cmd->verb < CMD__COUNT && handlers[cmd->verb] != NULL)
			handlers[cmd->verb](c, cmd);
		else
			proto_error(c, "502 5.5.2 Error: command not recognized");
		break;
	}
}

/* junk - LAB_BINARY_LEN bytes no SMTP client can read as a reply */
static void junk(struct server_conn *c)
{
	unsigned char b[LAB_BINARY_LEN];
	unsigned long x = (unsigned long)time(NULL) ^ (c->id * 2654435761UL) ^ 0x9E3779B9UL;
	size_t i;

	for (i = 0; i < sizeof(b); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = (unsigned char)(x >> 24);
	}
	b[0] = (unsigned char)(0x80 | b[0]); /* never a digit */
	b[sizeof(b) - 2] = '\r';
	b[sizeof(b) - 1] = '\n';
	evbuffer_add(c->out, b, sizeof(b));
}

static const char http_body[] =
    "<html>\r\n<head><title>400 Bad Request</title></head>\r\n"
    "<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n</body>\r\n</html>\r\n";

/* smtpd_greet - the first words, as the profile's mode says */
void smtpd_greet(struct server_conn *c)
{
	const struct profile *p = c->host->prof;
	char line[512];

	switch (p->mode) {
	case MODE_BUSY:
		server_reply(c, "421 4.3.2 All server ports are busy");
		c->act = ACT_CLOSE;
		break;
	case MODE_NOT_SMTP:
		server_reply(c, "HTTP/1.1 400 Bad Request");
		server_reply(c, "Server: nginx");
		server_reply(c, "Content-Type: text/html");
		server_reply(c, "Content-Length: %zu", strlen(http_body));
		server_reply(c, "Connection: close");
		server_reply(c, "%s", "");
		evbuffer_add(c->out, http_body, strlen(http_body));
		c->act = ACT_CLOSE;
		break;
	case MODE_BINARY:
		junk(c);
		c->act = ACT_SILENT;
		break;
	default:
		lab_expand(p->banner ? p->banner : profile_flavor(p->flavor)->banner, c->host->name,
		           NULL, c->peer, NULL, line, sizeof(line));
		server_reply(c, "220 %s", line);
		break;
	}
}
