/*
 * proxy_int.h - what the proxy handshake files share, not for callers
 *
 * An attempt (struct pxa) holds the report, the transcripts, the nonce
 * tracker and one reader's state per protocol family. proxy.c owns the
 * attempt and drives it: pxa_feed hands bytes to the current phase's
 * reader, which consumes what it can and says how much; a reader either
 * decides (px_decide), hands the rest to the tunnel (px_tunnel_begin) or
 * to the garbage collector (px_garbage), or wants more bytes.
 */
#ifndef RW_PROXY_INT_H
#define RW_PROXY_INT_H

#include "../core/limits.h"
#include "proxy.h"

/* bytes of the answer quoted in a reason ("not HTTP: \"SSH-2.0-\"") */
#define PX_QUOTE_MAX 32
/* bytes of what came through a tunnel quoted when no nonce did */
#define TUNNEL_QUOTE 48

/* what ends an undecided attempt */
enum px_end { PXE_EOF, PXE_TIMEOUT };

/* pxa phases: who reads the next byte */
enum px_phase {
	PH_HANDSHAKE, /* the protocol's reader (telnet stays here: IAC framing) */
	PH_TUNNEL,    /* tunnel.c: raw tunnel bytes */
	PH_GARBAGE,   /* not this protocol: collect a quote, then NOT_PROXY */
};

/* one protocol: a row of the table in proxy.c */
struct proxy_ops {
	const char *name;            /* "http-connect" ... */
	const char *tag;             /* probe id tag */
	const unsigned short *ports; /* defaults, 0-terminated */
	int ipv4_only;               /* names the canary by a 4-byte address */
	int waits;                   /* sends nothing until the peer speaks (telnet) */
	/* start - append the request to out (px_send) */
	void (*start)(struct pxa *a, struct dbuf *out);
	/* byte - one byte of the handshake (already in the transcript) */
	void (*byte)(struct pxa *a, unsigned char c, struct dbuf *out, long long now);
	/* end - EOF or timeout in the handshake phase with bytes received:
	 * must decide */
	void (*end)(struct pxa *a, enum px_end e, long long now);
	/* pause - optional: the peer is quiet with everything fed; decide
	 * when what came already tells (pxa_pause) */
	void (*pause)(struct pxa *a);
};

/* ---- per-family reader state ------------------------------------------ */

#define HTTP_LINE_KEEP 256 /* of a head line: a name and a value's start */

enum http_state {
	HS_VERSION, /* matching "HTTP/" */
	HS_LINE,    /* the status line or a header line */
	HS_BODY,    /* GET/POST: after the head, until EOF */
	HS_RAW,     /* GET/POST: not HTTP; maybe the canary's own bytes */
};

struct http_rd {
	enum http_state st;
	size_t vpos;       /* bytes of "HTTP/" matched */
	size_t head_bytes; /* of the current head */
	size_t answer;     /* GET/POST: every byte of the answer */
	int nlines;        /* lines of the current head */
	int raw_lines;     /* GET/POST answered without HTTP: its lines so far */
	char line[HTTP_LINE_KEEP];
	size_t len;      /* stored of the line */
	int status;      /* of the current head, 0 before its status line */
	int proxy_hdr;   /* Via, Proxy-Agent, X-Squid-Error, Proxy-Authenticate, X-Cache */
	char server[64]; /* Server: */
	char agent[64];  /* Proxy-Agent: */
	char via[64];    /* Via: */
};

enum socks_state {
	SK5_MVER, /* method reply: VER */
	SK5_METH, /* METHOD */
	SK5_VER,  /* connect reply: VER */
	SK5_REP,  /* REP */
	SK5_RSV,  /* RSV */
	SK5_ATYP, /* ATYP */
	SK5_ALEN, /* domain length */
	SK5_ADDR, /* BND.ADDR and BND.PORT */
	SK4_VN,   /* reply: VN */
	SK4_CD,   /* CD */
	SK4_REST, /* DSTPORT, DSTIP */
};

struct socks_rd {
	enum socks_state st;
	size_t need; /* bytes left in SK5_ADDR / SK4_REST */
};

enum telnet_state {
	TS_DATA,   /* text */
	TS_IAC,    /* after IAC */
	TS_OPT,    /* after IAC DO/DONT/WILL/WONT: the option */
	TS_SB,     /* inside IAC SB ... */
	TS_SB_IAC, /* IAC inside a subnegotiation */
};

#define TELNET_LINE_KEEP 128 /* of a line: enough for any prompt */

struct telnet_rd {
	enum telnet_state st;
	unsigned char verb; /* DO, DONT, WILL, WONT */
	int answers;        /* option refusals sent */
	size_t raw, text;   /* before the prompt */
	int lines;          /* complete lines of text before the prompt */
	int after_cr;       /* the last text byte was CR (CR NUL is a bare CR) */
	int tunnel;         /* a prompt was answered: text goes to the tunnel */
	char line[TELNET_LINE_KEEP];
	size_t len;
	int over; /* the line passed TELNET_LINE_KEEP: no prompt in it */
};

struct tunnel_rd {
	struct dbuf line; /* the line being read, RW_PROXY_LINE_MAX */
	size_t total;     /* bytes through the tunnel */
	int lines;
	int helo_sent;
	int replied;                       /* a final reply line came after HELO */
	int telnet;                        /* failure texts of a telnet proxy count */
	unsigned char first[TUNNEL_QUOTE]; /* the first bytes, for the reason */
	size_t nfirst;
};

/* the nonce tracker: the run of nonce characters being read */
struct nonce_run {
	char s[NONCE_MAX];
	size_t len;
	int over; /* longer than a nonce can be */
};

/* ---- the attempt ------------------------------------------------------- */

struct pxa {
	const struct proxy_ops *ops;
	struct proxy_canary c;
	const struct token_key *key;
	long long start_s;
	char id[NONCE_ID_MAX + 1];
	struct pxa_report rep;
	struct dbuf sent, recv; /* escaped transcripts */
	int started, decided, tunneled;
	enum px_phase phase;
	size_t nrecv;                      /* raw bytes consumed */
	unsigned char first[PX_QUOTE_MAX]; /* the first of them */
	const char *garbage_why;
	struct nonce_run run;
	int accepted;         /* 0 none, 1 banner nonce (bind "0"), 2 bound to our id */
	const char *rejected; /* why the first refused nonce was refused */
	struct http_rd h;
	struct socks_rd s;
	struct telnet_rd t;
	struct tunnel_rd tun;
};

/* proxy.c: the attempt's services to the readers */
void px_send(struct pxa *a, struct dbuf *out, const void *p, size_t n);
void px_sendf(struct pxa *a, struct dbuf *out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void px_decide(struct pxa *a, enum px_outcome o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void px_garbage(struct pxa *a, const char *why);
void px_tunnel_begin(struct pxa *a, int telnet);
int px_ipv6(const struct pxa *a);
void px_hostport(const struct pxa *a, char *buf, size_t len); /* A:P or [A]:P */
void px_quote(char *dst, size_t dstlen, const void *p, size_t n);
void px_quote_first(const struct pxa *a, char *dst, size_t dstlen);
int px_nonce_byte(struct pxa *a, unsigned char c, long long now);
int px_nonce_flush(struct pxa *a, long long now);
void px_decide_open(struct pxa *a, const char *how);

/* the readers */
void http_start_connect(struct pxa *a, struct dbuf *out);
void http_start_get(struct pxa *a, struct dbuf *out);
void http_start_post(struct pxa *a, struct dbuf *out);
void http_byte(struct pxa *a, unsigned char c, struct dbuf *out, long long now);
void http_end(struct pxa *a, enum px_end e, long long now);
void http_pause(struct pxa *a);

void socks5_start(struct pxa *a, struct dbuf *out);
void socks4_start(struct pxa *a, struct dbuf *out);
void socks4a_start(struct pxa *a, struct dbuf *out);
void socks_byte(struct pxa *a, unsigned char c, struct dbuf *out, long long now);
void socks_end(struct pxa *a, enum px_end e, long long now);

void telnet_start(struct pxa *a, struct dbuf *out);
void telnet_byte(struct pxa *a, unsigned char c, struct dbuf *out, long long now);
void telnet_end(struct pxa *a, enum px_end e, long long now);

void tunnel_init(struct pxa *a, int telnet);
void tunnel_byte(struct pxa *a, unsigned char c, struct dbuf *out, long long now);
void tunnel_end(struct pxa *a, enum px_end e, long long now);
void tunnel_free(struct pxa *a);

#endif
