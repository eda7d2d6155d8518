/*
 * NAME
 *	zone - the DNSBL zone: listed incidents as rbldnsd data or a BIND zone
 * SUMMARY
 *	streaming writer; addresses checked, TXT escaped per format
 * SYNOPSIS
 *	int zone_format_parse(const char *name, enum zone_format *out);
 *	int zone_name_ok(const char *name);
 *	size_t zone_txt(const struct zone_opts *o, const char *addr, long long incident,
 *		char *buf, size_t len);
 *	struct zone_writer *zone_writer_new(const struct zone_opts *o, FILE *out,
 *		char *err, size_t errlen);
 *	int zone_writer_add(struct zone_writer *w, const struct zone_entry *e, const char **why);
 *	int zone_writer_finish(struct zone_writer *w, struct zone_stats *stats);
 *	struct zone_writer *zone_writer_free(struct zone_writer *w);
 * DESCRIPTION
 *	The writer streams: one entry in, its lines out, nothing kept but
 *	counters. rbldnsd gets a "combined" dataset (one file, one zone on
 *	the command line: zone:combined:FILE) with an ip4set section and an
 *	ip6trie section; IPv6 lines wait in a tmpfile() until finish, so the
 *	caller can hand entries in any order. BIND gets $ORIGIN, $TTL, SOA,
 *	NS, then an A and a TXT record per address under its reversed name
 *	(octets, or 32 nibbles for IPv6). Both carry the RFC 5782 5 test
 *	entries: 127.0.0.2 and ::ffff:7f00:2 listed, 127.0.0.1 and
 *	::ffff:7f00:1 never (excluded in rbldnsd; an incident at either
 *	test address is skipped, not written twice or listed).
 *	Escaping: rbldnsd TXT templates expand '$', so a '$' is written "$$";
 *	bytes below 0x20 and 0x7f (a newline would start a new entry) become
 *	'?'. BIND TXT is a quoted string with \" and \\, and \DDD for every
 *	byte outside 0x20..0x7e. Names in SOA and NS must pass zone_name_ok.
 * DIAGNOSTICS
 *	zone_writer_new: NULL and a text in err. zone_writer_add: 0 and *why
 *	"not an IP address", "RFC 5782 test address"; -1 on a write error
 *	(sticky: finish returns -1 as well).
 * LIMITS
 *	ZONE_TXT_MAX bytes of TXT (one character-string); names 253 bytes.
 * STANDARDS
 *	RFC 5782 (DNSBL: 2.1 A 127.0.0.2, 2.2 TXT, 2.4 IPv6 nibbles, 5 test
 *	entries), RFC 1035 5.1 (master files: quoting, \DDD), rbldnsd(8).
 */
#include "zone.h"
#include "../core/xalloc.h"
#include "../net/dnsbl.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

const char *const zone_listed_states[] = {"confirmed", "notified", "blocked"};
const size_t zone_listed_states_n = sizeof(zone_listed_states) / sizeof(zone_listed_states[0]);

/* the RFC 5782 5 test addresses, as inet_pton gives them */
static const uint8_t test4_on[4] = {127, 0, 0, 2}, test4_off[4] = {127, 0, 0, 1};
static const uint8_t test6_on[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0x7f, 0, 0, 2};
static const uint8_t test6_off[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0x7f, 0, 0, 1};

struct zone_writer {
	struct zone_opts o;
	FILE *out;
	FILE *six; /* rbldnsd: the ip6trie lines until finish */
	int failed;
	struct zone_stats st;
};

/* zone_format_parse - a format by name */
int zone_format_parse(const char *name, enum zone_format *out)
{
	if (strcmp(name, "rbldnsd") == 0)
		*out = ZONE_RBLDNSD;
	else if (strcmp(name, "bind") == 0)
		*out = ZONE_BIND;
	else
		return -1;
	return 0;
}

/* zone_name_ok - letters, digits, '-', '_' in dot-separated labels */
int zone_name_ok(const char *name)
{
	size_t n = strlen(name), label = 0;

	if (n == 0 || n > 253 || name[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return 1;
}

/* zone_txt - "open relay, incident N; retest: ..." cut at ZONE_TXT_MAX */
size_t zone_txt(const struct zone_opts *o, const char *addr, long long incident, char *buf,
                size_t len)
{
	char t[ZONE_TXT_MAX * 4];
	size_t n;

	if (o->retest_url && *o->retest_url)
		snprintf(t, sizeof(t), "open relay, incident %lld; retest: %s%s", incident,
		         o->retest_url, addr);
	else if (o->incident_url && *o->incident_url)
		snprintf(t, sizeof(t), "open relay, incident %lld; retest: %s%lld", incident,
		         o->incident_url, incident);
	else if (o->contact && *o->contact)
		snprintf(t, sizeof(t), "open relay, incident %lld; retest: mail %s", incident,
		         o->contact);
	else
		snprintf(t, sizeof(t), "open relay, incident %lld", incident);
	n = strlen(t);
	if (n > ZONE_TXT_MAX)
		n = ZONE_TXT_MAX;
	if (len == 0)
		return 0;
	if (n >= len)
		n = len - 1;
	memcpy(buf, t, n);
	buf[n] = '\0';
	return n;
}

/* put_rbldnsd_txt - a TXT template: '$' doubled, control bytes as '?' */
static void put_rbldnsd_txt(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '$')
			fputs("$$", f);
		else if (*p < 0x20 || *p == 0x7f)
			fputc('?', f);
		else
			fputc(*p, f);
	}
}

/* put_bind_txt - a quoted character-string (RFC 1035 5.1) */
static void put_bind_txt(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p > 0x7e)
			fprintf(f, "\\%03u", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* absolute - name with its final dot, into buf */
static const char *absolute(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	snprintf(buf, len, "%s%s", name, n > 0 && name[n - 1] == '.' ? "" : ".");
	return buf;
}

/* hostmaster - SOA RNAME from "user@domain", a name, or hostmaster.ZONE;
 * NULL when it cannot be one */
static const char *hostmaster(const struct zone_opts *o, char *buf, size_t len)
{
	const char *h = o->hostmaster;
	char tmp[300];
	const char *at;

	if (h == NULL || *h == '\0') {
		snprintf(tmp, sizeof(tmp), "hostmaster.%s", o->zone);
	} else if ((at = strchr(h, '@')) != NULL) {
		/* the local part becomes one label: no dot in it */
		if (memchr(h, '.', (size_t)(at - h)) != NULL)
			return NULL;
		snprintf(tmp, sizeof(tmp), "%.*s.%s", (int)(at - h), h, at + 1);
	} else {
		snprintf(tmp, sizeof(tmp), "%s", h);
	}
	if (!zone_name_ok(tmp))
		return NULL;
	return absolute(tmp, buf, len);
}

/* head - what comes before the entries; NULL or the problem */
static const char *head(struct zone_writer *w)
{
	const struct zone_opts *o = &w->o;
	char z[300], ns[300], hm[300];
	FILE *f = w->out;

	if (o->zone && *o->zone && !zone_name_ok(o->zone))
		return "dnsbl_zone is not a DNS name";
	if (o->ns && *o->ns && !zone_name_ok(o->ns))
		return "dnsbl_ns is not a DNS name";
	if (o->format == ZONE_BIND) {
		if (o->zone == NULL || *o->zone == '\0')
			return "the BIND format needs dnsbl_zone (the zone's name)";
		if (o->ns == NULL || *o->ns == '\0')
			return "the BIND format needs dnsbl_ns (its name server)";
	}
	if (o->zone && *o->zone && o->ns && *o->ns && hostmaster(o, hm, sizeof(hm)) == NULL)
		return "dnsbl_hostmaster is neither user@domain (no dot before the @) nor a DNS "
		       "name";
	if (o->format == ZONE_BIND) {
		fprintf(
		    f,
		    "; relaywatch DNSBL: open relays (incidents confirmed, notified or blocked)\n");
		fprintf(f, "$ORIGIN %s\n$TTL %u\n", absolute(o->zone, z, sizeof(z)), o->ttl);
		fprintf(f, "@ IN SOA %s %s %lld 3600 600 604800 %u\n",
		        absolute(o->ns, ns, sizeof(ns)), hm, o->serial, o->ttl);
		fprintf(f, "@ IN NS %s\n", ns);
		fprintf(
		    f,
		    "; RFC 5782 5: test entries (127.0.0.1 and ::ffff:7f00:1 are never listed)\n");
		fprintf(f, "2.0.0.127 IN A " ZONE_A "\n2.0.0.127 IN TXT \"" ZONE_TEST_TXT "\"\n");
		dnsbl_reverse("::ffff:7f00:2", z, sizeof(z));
		fprintf(f, "%s IN A " ZONE_A "\n%s IN TXT \"" ZONE_TEST_TXT "\"\n", z, z);
		return NULL;
	}
	fprintf(f, "# relaywatch DNSBL: open relays (incidents confirmed, notified or blocked)\n");
	fprintf(f, "# rbldnsd combined dataset: rbldnsd ... ZONE:combined:THIS-FILE\n");
	if (o->zone && *o->zone && o->ns && *o->ns) {
		fprintf(f, "$SOA %u %s %s %lld 3600 600 604800 %u\n", o->ttl,
		        absolute(o->ns, ns, sizeof(ns)), hm, o->serial, o->ttl);
		fprintf(f, "$NS %u %s\n", o->ttl, ns);
	}
	fprintf(f, "$TTL %u\n", o->ttl);
	fprintf(f, "$DATASET ip4set:relays @\n:" ZONE_A ":open relay\n");
	fprintf(f, "127.0.0.2 :" ZONE_A ":" ZONE_TEST_TXT "\n!127.0.0.1\n");
	return NULL;
}

/* zone_writer_new - check the options, write the head */
struct zone_writer *zone_writer_new(const struct zone_opts *o, FILE *out, char *err, size_t errlen)
{
	struct zone_writer *w = xcalloc(1, sizeof(*w));
	const char *e;

	w->o = *o;
	if (w->o.ttl == 0)
		w->o.ttl = ZONE_TTL_DEFAULT;
	w->out = out;
	if ((e = head(w)) != NULL) {
		snprintf(err, errlen, "%s", e);
		free(w);
		return NULL;
	}
	return w;
}

/* zone_writer_add - one listed incident's lines */
int zone_writer_add(struct zone_writer *w, const struct zone_entry *e, const char **why)
{
	uint8_t bin[16];
	char canon[INET6_ADDRSTRLEN], rev[DNSBL_REVERSE_MAX], txt[ZONE_TXT_MAX + 1];
	int fam;

	*why = NULL;
	if (e->addr == NULL || strlen(e->addr) >= INET6_ADDRSTRLEN) {
		fam = -1;
	} else if (inet_pton(AF_INET, e->addr, bin) == 1) {
		fam = AF_INET;
	} else if (inet_pton(AF_INET6, e->addr, bin) == 1) {
		fam = AF_INET6;
	} else {
		fam = -1;
	}
	if (fam < 0) {
		w->st.skipped++;
		*why = "not an IP address";
		return 0;
	}
	if ((fam == AF_INET && (!memcmp(bin, test4_on, 4) || !memcmp(bin, test4_off, 4))) ||
	    (fam == AF_INET6 && (!memcmp(bin, test6_on, 16) || !memcmp(bin, test6_off, 16)))) {
		w->st.skipped++;
		*why = "RFC 5782 test address (its entry is fixed)";
		return 0;
	}
	inet_ntop(fam, bin, canon, sizeof(canon));
	zone_txt(&w->o, canon, e->incident, txt, sizeof(txt));
	if (w->o.format == ZONE_BIND) {
		if (dnsbl_reverse(canon, rev, sizeof(rev)) < 0)
			rw_panic("%s: no reversed name for %s", __func__, canon);
		fprintf(w->out, "%s IN A " ZONE_A "\n%s IN TXT ", rev, rev);
		put_bind_txt(w->out, txt);
		fputc('\n', w->out);
	} else if (fam == AF_INET) {
		fprintf(w->out, "%s :" ZONE_A ":", canon);
		put_rbldnsd_txt(w->out, txt);
		fputc('\n', w->out);
	} else {
		if (w->six == NULL && (w->six = tmpfile()) == NULL) {
			w->failed = 1;
			return -1;
		}
		/* /128: without a length ip6trie takes the groups written */
		fprintf(w->six, "%s/128 :" ZONE_A ":", canon);
		put_rbldnsd_txt(w->six, txt);
		fputc('\n', w->six);
	}
	if (fam == AF_INET)
		w->st.listed4++;
	else
		w->st.listed6++;
	if (ferror(w->out) || (w->six && ferror(w->six))) {
		w->failed = 1;
		return -1;
	}
	return 1;
}

/* zone_writer_finish - the ip6trie section (rbldnsd), the flush */
int zone_writer_finish(struct zone_writer *w, struct zone_stats *stats)
{
	if (w->o.format == ZONE_RBLDNSD) {
		char buf[65536];
		size_t n;

		fprintf(w->out, "$DATASET ip6trie:relays6 @\n:" ZONE_A ":open relay\n");
		fprintf(w->out,
		        "::ffff:7f00:2/128 :" ZONE_A ":" ZONE_TEST_TXT "\n!::ffff:7f00:1/128\n");
		if (w->six) {
			if (fflush(w->six) != 0 || fseek(w->six, 0, SEEK_SET) != 0)
				w->failed = 1;
			while (!w->failed && (n = fread(buf, 1, sizeof(buf), w->six)) > 0)
				if (fwrite(buf, 1, n, w->out) != n)
					w->failed = 1;
			if (ferror(w->six))
				w->failed = 1;
		}
	}
	if (fflush(w->out) != 0 || ferror(w->out))
		w->failed = 1;
	if (stats)
		*stats = w->st;
	return w->failed ? -1 : 0;
}

/* zone_writer_free - the spill file too */
struct zone_writer *zone_writer_free(struct zone_writer *w)
{
	if (w == NULL)
		return NULL;
	if (w->six)
		fclose(w->six);
	free(w);
	return NULL;
}
