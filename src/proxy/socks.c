/*
 * NAME
 *	socks - SOCKS5, SOCKS4 and SOCKS4a CONNECT to the canary
 * SUMMARY
 *	the greeting and CONNECT request; the method and connect replies
 * SYNOPSIS
 *	void socks5_start(a, out); void socks4_start(a, out);
 *	void socks4a_start(a, out);
 *	void socks_byte(a, c, out, now); void socks_end(a, e, now);
 * DESCRIPTION
 *	SOCKS5 offers "no authentication" and "username/password" (so a proxy
 *	that wants a password says so instead of refusing), and on 00 asks to
 *	CONNECT to the canary's address (ATYP 1 or 4), reading the whole
 *	variable-length reply before the tunnel starts. SOCKS4 names the
 *	canary's IPv4 address; SOCKS4a names it as text after the 0.0.0.1
 *	marker. Both send the user id "relaywatch" and accept VN 0 or 4 in
 *	the reply (some servers echo 4). A first byte that is not the
 *	protocol's version is a foreign answer (PXO_NOT_PROXY).
 * DIAGNOSTICS
 *	The report's status is the SOCKS5 REP or SOCKS4 CD code once read;
 *	the reason names it (RFC 1928 6 texts). A SOCKS5 proxy that takes
 *	the method and closes at the CONNECT request refused it
 *	(PXO_CLOSED); any other reply cut short is PXO_ERROR.
 * LIMITS
 *	None beyond the replies' fixed sizes (SOCKS5 BND.ADDR: 255 bytes).
 * STANDARDS
 *	RFC 1928 (SOCKS5), RFC 1929 (username/password), SOCKS4 and SOCKS4a
 *	protocol descriptions (Ying-Da Lee).
 */
#include "proxy_int.h"
#include "../core/xalloc.h"

#include <arpa/inet.h>
#include <string.h>

#define SOCKS_USER "relaywatch"

/* RFC 1928 6: REP texts */
static const char *const socks5_rep[] = {
    [1] = "general SOCKS server failure", [2] = "connection not allowed by ruleset",
    [3] = "network unreachable",          [4] = "host unreachable",
    [5] = "connection refused",           [6] = "TTL expired",
    [7] = "command not supported",        [8] = "address type not supported",
};

/* socks5_start - greeting: version 5, methods 00 and 02 */
void socks5_start(struct pxa *a, struct dbuf *out)
{
	static const unsigned char hello[] = {5, 2, 0, 2};

	px_send(a, out, hello, sizeof(hello));
	a->s.st = SK5_MVER;
}

/* socks5_connect - CONNECT to the canary's address */
static void socks5_connect(struct pxa *a, struct dbuf *out)
{
	unsigned char req[4 + 16 + 2];
	size_t n = 4;

	req[0] = 5;
	req[1] = 1; /* CONNECT */
	req[2] = 0;
	if (inet_pton(AF_INET, a->c.addr, req + 4) == 1) {
		req[3] = 1;
		n += 4;
	} else if (inet_pton(AF_INET6, a->c.addr, req + 4) == 1) {
		req[3] = 4;
		n += 16;
	} else {
		rw_panic("%s: canary %s is no address", __func__, a->c.addr);
	}
	req[n++] = (unsigned char)(a->c.port >> 8);
	req[n++] = (unsigned char)(a->c.port & 0xff);
	px_send(a, out, req, n);
}

/* socks4_start - CONNECT to the canary's IPv4 address */
void socks4_start(struct pxa *a, struct dbuf *out)
{
	unsigned char req[8 + sizeof(SOCKS_USER)];

	req[0] = 4;
	req[1] = 1;
	req[2] = (unsigned char)(a->c.port >> 8);
	req[3] = (unsigned char)(a->c.port & 0xff);
	if (inet_pton(AF_INET, a->c.addr, req + 4) != 1)
		rw_panic("%s: canary %s is no IPv4 address", __func__, a->c.addr);
	memcpy(req + 8, SOCKS_USER, sizeof(SOCKS_USER)); /* with its NUL */
	px_send(a, out, req, sizeof(req));
	a->s.st = SK4_VN;
}

/* socks4a_start - CONNECT to 0.0.0.1 and the canary's address as a name */
void socks4a_start(struct pxa *a, struct dbuf *out)
{
	unsigned char req[8 + sizeof(SOCKS_USER)] = {4, 1};

	req[2] = (unsigned char)(a->c.port >> 8);
	req[3] = (unsigned char)(a->c.port & 0xff);
	req[7] = 1;
	memcpy(req + 8, SOCKS_USER, sizeof(SOCKS_USER));
	px_send(a, out, req, sizeof(req));
	px_send(a, out, a->c.addr, strlen(a->c.addr) + 1);
	a->s.st = SK4_VN;
}

/* socks_byte - one byte of a reply */
void socks_byte(struct pxa *a, unsigned char c, struct dbuf *out, long long now)
{
	struct socks_rd *s = &a->s;

	switch (s->st) {
	case SK5_MVER:
		if (c != 5) {
			px_garbage(a, "not a SOCKS5 answer");
			return;
		}
		s->st = SK5_METH;
		return;
	case SK5_METH:
		if (c == 0) {
			socks5_connect(a, out);
			s->st = SK5_VER;
		} else if (c == 2) {
			px_decide(a, PXO_AUTH, "SOCKS5 requires username/password");
		} else if (c == 0xff) {
			px_decide(a, PXO_CLOSED, "SOCKS5: no acceptable method");
		} else {
			px_decide(a, PXO_CLOSED, "SOCKS5 chose method %02x", c);
		}
		return;
	case SK5_VER:
		if (c != 5)
			px_decide(a, PXO_ERROR, "SOCKS5 connect reply of version %u", c);
		s->st = SK5_REP;
		return;
	case SK5_REP:
		a->rep.status = c;
		if (c != 0) {
			if (c < sizeof(socks5_rep) / sizeof(socks5_rep[0]))
				px_decide(a, PXO_CLOSED, "SOCKS5 refused: %s (%u)", socks5_rep[c],
				          c);
			else
				px_decide(a, PXO_CLOSED, "SOCKS5 refused with reply %u", c);
		}
		s->st = SK5_RSV;
		return;
	case SK5_RSV:
		s->st = SK5_ATYP;
		return;
	case SK5_ATYP:
		if (c == 1) {
			s->need = 4 + 2;
		} else if (c == 4) {
			s->need = 16 + 2;
		} else if (c == 3) {
			s->st = SK5_ALEN;
			return;
		} else {
			px_decide(a, PXO_ERROR, "SOCKS5 connect reply with address type %u", c);
			return;
		}
		s->st = SK5_ADDR;
		return;
	case SK5_ALEN:
		s->need = (size_t)c + 2;
		s->st = SK5_ADDR;
		return;
	case SK5_ADDR:
	case SK4_REST:
		if (--s->need == 0)
			px_tunnel_begin(a, 0);
		return;
	case SK4_VN:
		if (c != 0 && c != 4) {
			px_garbage(a, "not a SOCKS4 answer");
			return;
		}
		s->st = SK4_CD;
		return;
	case SK4_CD:
		a->rep.status = c;
		if (c == 0x5a) {
			s->st = SK4_REST;
			s->need = 6;
		} else if (c == 0x5b) {
			px_decide(a, PXO_CLOSED, "SOCKS4: request rejected or failed (91)");
		} else if (c == 0x5c) {
			px_decide(a, PXO_CLOSED, "SOCKS4: rejected, needs identd (92)");
		} else if (c == 0x5d) {
			px_decide(a, PXO_CLOSED, "SOCKS4: rejected, identd mismatch (93)");
		} else {
			a->rep.status = -1;
			px_garbage(a, "not a SOCKS4 answer");
		}
		return;
	}
}

/* socks_end - EOF or timeout in the middle of a reply */
void socks_end(struct pxa *a, enum px_end e, long long now)
{
	if (e == PXE_EOF && a->s.st == SK5_VER)
		px_decide(a, PXO_CLOSED, "closed the connection at the CONNECT request");
	else if (e == PXE_EOF)
		px_decide(a, PXO_ERROR, "closed the connection mid-answer after %zu byte%s",
		          a->nrecv, a->nrecv == 1 ? "" : "s");
	else
		px_decide(a, PXO_ERROR, "timed out mid-answer after %zu byte%s", a->nrecv,
		          a->nrecv == 1 ? "" : "s");
}
