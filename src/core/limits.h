/*
 * limits.h - every limit relaywatch enforces, named once
 *
 * Each constant says which standard it bends or follows. Config keys that
 * override a limit name the constant they default to.
 */
#ifndef RW_LIMITS_H
#define RW_LIMITS_H

/* SMTP replies read by the client (RFC 5321 4.5.3.1.5 says 512 octets per
 * reply line; real servers exceed it, so we allow 4 KiB and no more). */
#define RW_REPLY_LINE_MAX 4096
/* Lines in one multi-line reply (EHLO answers have ~15 in practice). */
#define RW_REPLY_LINES_MAX 64

/* Commands read by the sink and the lab (RFC 5321 4.5.3.1.4: 512). */
#define RW_CMD_LINE_MAX 4096
/* Text lines of a message read by the sink (RFC 5321 4.5.3.1.6: 1000). */
#define RW_DATA_LINE_MAX 4096
/* Whole message accepted by the sink; our test messages are ~1 KiB. */
#define RW_SINK_MSG_MAX (256 * 1024)
/* Recipients per transaction at the sink (RFC 5321 4.5.3.1.8: 100). */
#define RW_SINK_RCPT_MAX 100
/* Received: header fields kept per arrival. */
#define RW_RECEIVED_MAX 32
/* Concurrent sink connections. */
#define RW_SINK_CONN_MAX 1024
/* Sink connections from one peer address (the relays we wait for must
 * find a free slot whatever one host does). */
#define RW_SINK_CONN_PER_PEER 64
/* one log record's text (key=value fields); longer ones end in "..." */
#define RW_LOG_LINE_MAX 2048
/* the sink's listen backlog: a scan's burst of relays and proxy tunnels
 * must queue, not be dropped (the kernel caps it at net.core.somaxconn) */
#define RW_SINK_BACKLOG 4096
/* Sink connection lifetime, seconds: the idle timer restarts on each
 * command and every 4 KiB of DATA, so a slow feeder needs a hard end. */
#define RW_SINK_SESSION_SEC 900
/* Sink idle timeout per command, seconds (RFC 5321 4.5.3.2.7: 5 min). */
#define RW_SINK_IDLE_SEC 300
/* Sink: milliseconds it waits for a client to speak first before its
 * banner (config sink_greet_wait; 0 = banner at once). An HTTP proxy sends
 * its request at once; an SMTP client waits for the banner (RFC 5321
 * 3.1), so only the banner's latency grows. */
#define RW_SINK_GREET_WAIT_MS 200
/* Sink, the proxy canary's HTTP request head (RFC 9112 2.2 and 3 leave
 * the limits to the server; nginx's default large_client_header_buffers
 * is 8 KiB): bytes of the head, header lines, seconds to read it, and the
 * request target's bytes kept (a longer target is still HTTP, unbound). */
#define RW_HTTP_HEAD_MAX    (8 * 1024)
#define RW_HTTP_HEADERS_MAX 64
#define RW_HTTP_HEAD_SEC    10
#define RW_HTTP_TARGET_MAX  1024

/* Reply text kept per test and of the banner (the whole reply may be
 * RW_REPLY_LINES_MAX x RW_REPLY_LINE_MAX; the transcript has the rest). */
#define RW_TEST_TEXT_MAX 1024
/* Transcript kept per tested target. */
#define RW_TRANSCRIPT_MAX (64 * 1024)
/* Path (address) length (RFC 5321 4.5.3.1.3: 256). */
#define RW_PATH_MAX 256
/* Domain length (RFC 5321 4.5.3.1.2: 255). */
#define RW_DOMAIN_MAX 255
/* Tests in one battery. */
#define RW_BATTERY_MAX 64
/* Reconnects after 421 or a dropped connection mid-battery. */
#define RW_RECONNECT_MAX 3
/* Refusals (4xx/5xx) taken on one connection before the next test starts
 * on a fresh one: Postfix sleeps 1 s per reply after smtpd_soft_error_limit
 * (10) errors and drops the client at smtpd_hard_error_limit (20). */
#define RW_CONN_ERRORS_MAX 8
/* Greylisting retry rounds for tests answered 4xx. */
#define RW_GREYLIST_ROUNDS_MAX 4
/* Token string length (fits a header line easily). */
#define RW_TOKEN_MAX 256
/* Client bufferevent read high-watermark. */
#define RW_READ_HIGHWAT (16 * 1024)

/* Default timeouts, seconds (RFC 5321 4.5.3.2 gives 5 min per reply, but
 * a tester must not wait that long per host; config keys override). */
#define RW_CONNECT_TIMEOUT 10
#define RW_BANNER_TIMEOUT  30
#define RW_REPLY_TIMEOUT   30
#define RW_SESSION_TIMEOUT 600
#define RW_ARRIVAL_WAIT    30
/* one open-proxy protocol attempt, connect to decision (config proxy_timeout) */
#define RW_PROXY_TIMEOUT 10
/* a GET/POST answered without HTTP: lines read for the canary's nonce (a
 * raw pass-through has it on its first line) before it is judged */
#define RW_PROXY_RAW_LINES 2
#define RW_GREYLIST_DELAY  65

/* Sink: protocol errors before "421 too many errors" (Postfix's
 * smtpd_hard_error_limit); refused RCPTs do not count, so a tester running
 * its whole battery against the sink sees every refusal. */
#define RW_SINK_ERRORS_MAX 20
/* Sink: reply bytes a client may leave unread before the sink stops reading. */
#define RW_SINK_OUT_MAX (64 * 1024)
/* Sink: tokens remembered for replay detection (1 MiB of digests). */
#define RW_SINK_SEEN_MAX 65536
/* One Received: value kept (RFC 5322 2.1.1 lines are 998 octets; a folded
 * trace field is seldom longer). */
#define RW_RECEIVED_VALUE_MAX 1024
/* Address rewriting rounds before a path counts as a loop (the battery's
 * deepest form needs 3). */
#define RW_ADDR_ROUNDS_MAX 8
/* Test message: octets kept of any one field, and of the whole message. */
#define RW_MESSAGE_FIELD_MAX 512
#define RW_MESSAGE_BUF_MAX   16384
/* Targets of one `relaywatch test` run (scan is for more). */
#define RW_TEST_TARGETS_MAX 256

/* Desk notification templates (src/desk/template): a template file; tags
 * in one file; nesting of {{#if}}; a placeholder name; extra header lines;
 * an expanded header line (RFC 5322 2.1.1: 998 octets); a rendered body
 * (longer output is cut with a note); name/value pairs in one set. */
#define RW_TPL_FILE_MAX        (64 * 1024)
#define RW_TPL_NODES_MAX       4096
#define RW_TPL_DEPTH_MAX       8
#define RW_TPL_NAME_MAX        64
#define RW_TPL_HEADERS_MAX     16
#define RW_TPL_HEADER_LINE_MAX 998
#define RW_TPL_OUTPUT_MAX      (256 * 1024)
#define RW_TPL_VARS_MAX        64
/* Desk evidence (src/desk/evidence): transcript lines and octets quoted in
 * a notice; the whole transcript stays in the store. */
#define RW_NOTICE_EXCERPT_LINES 40
#define RW_NOTICE_EXCERPT_MAX   (8 * 1024)
/* protocols of one open-proxy result a notice lists (src/proxy: 7 today) */
#define RW_NOTICE_PROXY_PROTOS_MAX 16

/* Scan order: indexes of one scan, targets x ports (zmap's space of every
 * IPv4 address x every port is 2^48; the cyclic group needs p - 1 < 2^64). */
#define RW_SCAN_SPACE_MAX (1ULL << 48)
/* Scan: subnets (/24 or /64) with sessions in flight that the per-subnet
 * limiter tracks; above the tested --concurrency of 10000, so a full table
 * (which refuses new sessions) means a leak, not a busy scan. */
#define RW_SCAN_SUBNETS_MAX 16384
/* Scan: default --per-subnet, sessions in flight per /24 (IPv4) or /64
 * (IPv6), so a sweep never hammers one customer's network. */
#define RW_SCAN_PER_SUBNET 32
/* Scan progress as a heartbeat: a running scan with a store saves its
 * progress row (its counts carry "inflight", the sessions open) when that
 * number changed, at most once a second, and at least every
 * RW_SCAN_PROGRESS_EVERY seconds; the console's /metrics believes a
 * running scan's row for RW_SCAN_PROGRESS_STALE seconds, so a scanner
 * killed -9 stops counting a minute later. */
#define RW_SCAN_PROGRESS_EVERY 5
#define RW_SCAN_PROGRESS_STALE 60

/* Store: how long a write waits for another process's lock before it
 * fails (SQLite busy timeout, ms); rows in one page of a list (the JSON
 * API's largest page); error text kept per store handle. */
#define RW_STORE_BUSY_MS  10000
#define RW_STORE_PAGE_MAX 1000
/* shards a distributed scan is split into, per vantage (store_work.c) */
#define RW_STORE_SHARDS_MAX 65536
/* relaywatch worker: a shard's lease (seconds, renewed every third of it),
 * how recent a heartbeat makes a worker live (seconds), vantages per scan */
#define RW_WORKER_LEASE        30
#define RW_WORKER_LIVE         30
#define RW_WORKER_VANTAGES_MAX 16
#define RW_STORE_ERR_MAX       512
/* Store (PostgreSQL): seconds a connection attempt may take before open
 * fails (libpq's connect_timeout; a URL's own connect_timeout wins). The
 * lock wait is RW_STORE_BUSY_MS (lock_timeout), as SQLite's. */
#define RW_STORE_CONNECT_S 10
/* Store: largest scan params text (JSON: the command line and the whole
 * target space of a resumable scan); SQLite's own row limit is 1e9. */
#define RW_STORE_PARAMS_MAX (64L * 1024 * 1024)
/* Store (desk): the raw complaint kept (its first bytes; the size is
 * recorded); an ARF report with its original message fits. */
#define RW_STORE_RAW_MAX (1L * 1024 * 1024)

/* Complaint intake (src/desk/complaint): the whole message (an ARF report
 * carries the original message; Postfix's message_size_limit is 10 MB, a
 * spam sample far less); MIME parts walked and their nesting (an ARF report
 * has 3 parts, X-ARF 2 or 3); one header field, unfolded (RFC 5322 2.1.1
 * lines are 998 octets, a folded DKIM-Signature or Received 2-3 KiB);
 * header fields in one header section (a spam run's Received chain is ~30);
 * a decoded machine-readable part (message/feedback-report, X-ARF YAML) and
 * its fields; the original message's header section kept; the text fields
 * of a parsed complaint (summary, notes, error). */
#define RW_COMPLAINT_MAX               (4L * 1024 * 1024)
#define RW_COMPLAINT_PARTS_MAX         64
#define RW_COMPLAINT_DEPTH_MAX         8
#define RW_COMPLAINT_FIELD_MAX         8192
#define RW_COMPLAINT_FIELDS_MAX        512
#define RW_COMPLAINT_REPORT_MAX        (64 * 1024)
#define RW_COMPLAINT_REPORT_FIELDS_MAX 128
#define RW_COMPLAINT_HEADERS_MAX       (256 * 1024)
#define RW_COMPLAINT_TEXT_MAX          512

/* Scan targets: addresses in one scan, summed over port groups (the whole
 * IPv4 space, as zmap scans it; in IPv6 a /96). A larger IPv6 prefix (a /64
 * is 2^64) cannot be enumerated and is refused, not truncated. */
#define RW_SCAN_ADDRS_MAX (1ULL << 32)
/* Scan targets: one line of a target, exclusion or scope file (masscan -oL
 * and zmap CSV lines are under 200 bytes); longer lines are reported. */
#define RW_SCAN_LINE_MAX 1024
/* Scan targets: ports in one --ports list (the space is addresses x ports,
 * below RW_SCAN_SPACE_MAX). */
#define RW_SCAN_PORTS_MAX 64
/* Scan targets: host names waiting for resolution in one scan. */
#define RW_SCAN_NAMES_MAX 65536
/* Scan targets: error texts kept per parsed source; the rest are counted. */
#define RW_SCAN_ERRORS_KEPT 100

/* DNS (src/net/resolve): name servers in one dns_servers / --dns-server
 * list; names resolved at once (evdns queues past its own 64 per server);
 * seconds per try and tries per query (resolv.conf's timeout:5 attempts:2);
 * the whole resolution's deadline, seconds, after which what is left is
 * reported unanswered; MX hosts used per domain (RFC 5321 5.1 sets no
 * bound; real domains publish fewer than 10). */
#define RW_DNS_SERVERS_MAX 8
#define RW_DNS_INFLIGHT    256
#define RW_DNS_TIMEOUT     5
#define RW_DNS_TRIES       2
#define RW_DNS_DEADLINE    120
/* the hosts(5) file read before DNS, at most */
#define RW_HOSTS_MAX (1024 * 1024)
/* addresses taken for one name from it */
#define RW_HOSTS_ADDRS_MAX 16
#define RW_MX_HOSTS_MAX    32

/* Desk mail (src/desk/mailmsg, submit): a line of a message (RFC 5322
 * 2.1.1: 998 octets without CRLF); the folding target (2.1.1: 78); a
 * quoted-printable line with its soft break (RFC 2045 6.7: 76); an
 * encoded-word (RFC 2047 2: 75); an address (RFC 5321 4.5.3.1.3: 254);
 * recipients of one message; the submit transcript kept. */
#define RW_MAIL_LINE_MAX       998
#define RW_MAIL_FOLD           78
#define RW_MAIL_QP_LINE        76
#define RW_MAIL_EWORD_MAX      75
#define RW_MAIL_ADDR_MAX       254
#define RW_MAIL_RCPT_MAX       100
#define RW_MAIL_TRANSCRIPT_MAX (16 * 1024)
/* Desk mail timeouts in seconds (RFC 5321 4.5.3.2: 5 min for the banner
 * and each command, 10 min for the end of DATA; we are an impatient
 * client of our own smarthost, the outbox retries) and a whole session. */
#define RW_MAIL_REPLY_TIMEOUT   120
#define RW_MAIL_DOT_TIMEOUT     600
#define RW_MAIL_SESSION_TIMEOUT 900

/* Open-proxy attempts (src/proxy): the escaped sent/received transcripts
 * of one attempt; an HTTP response head and its lines (squid's
 * reply_header_max_size is 64 KiB, but a proxy's own answer head is under
 * 2 KiB); the bytes of a GET/POST answer read before it is judged; what
 * comes through a tunnel before the canary's nonce must have come (its
 * banner and HELO reply are ~200 bytes), in lines and per line; telnet
 * text, raw bytes (text plus IAC negotiation) and option answers before a
 * prompt; a nonce's age (the canary writes it a moment before it comes
 * back) and the slack for a banner nonce written before the attempt's
 * clock said it started (clocks of sink and prober, in seconds). */
#define RW_PROXY_EVIDENCE_MAX     4096
#define RW_PROXY_HEAD_MAX         8192
#define RW_PROXY_HEAD_LINES_MAX   100
#define RW_PROXY_ANSWER_MAX       (16 * 1024)
#define RW_PROXY_TUNNEL_MAX       4096
#define RW_PROXY_TUNNEL_LINES_MAX 32
#define RW_PROXY_LINE_MAX         1024
#define RW_PROXY_TELNET_TEXT_MAX  4096
#define RW_PROXY_TELNET_RAW_MAX   8192
#define RW_PROXY_TELNET_NEG_MAX   32
#define RW_PROXY_NONCE_AGE        600
#define RW_PROXY_NONCE_SLACK      5

/* The web console's logins (src/web/ratelimit_login.c): at most
 * RW_WEB_LOGIN_FAILS failed logins per client address and per user name
 * within RW_WEB_LOGIN_WINDOW seconds, then refused until the window
 * passes; RW_WEB_LOGIN_SLOTS keys remembered (the oldest is forgotten).
 * Password hashes: scrypt N = 2^RW_WEB_SCRYPT_LOG_N, r, p (RFC 7914 s. 2
 * suggests r = 8, p = 1; N = 2^15 costs 32 MiB), a salt and key of
 * RW_WEB_SALT_LEN and RW_WEB_KEY_LEN bytes. */
#define RW_WEB_LOGIN_FAILS   5
#define RW_WEB_LOGIN_WINDOW  900
#define RW_WEB_LOGIN_SLOTS   1024
#define RW_WEB_SCRYPT_LOG_N  15
#define RW_WEB_SCRYPT_R      8
#define RW_WEB_SCRYPT_P      1
#define RW_WEB_SCRYPT_MAXMEM (64ULL * 1024 * 1024)
#define RW_WEB_SALT_LEN      16
#define RW_WEB_KEY_LEN       32
#define RW_WEB_PASSWORD_MAX  1024
/* The web console (src/web). RFC 9110 and 9112 leave request limits to the
 * server: request line plus headers (nginx's large_client_header_buffers
 * is 4 x 8 KiB; we read no more than 8 KiB), a body (the API only reads;
 * forms are small), seconds to read a request or write a reply, and the
 * rows of a page (default and largest: the store's page). */
#define RW_WEB_HEADERS_MAX  (8 * 1024)
#define RW_WEB_BODY_MAX     (64 * 1024)
#define RW_WEB_TIMEOUT_SEC  30
#define RW_WEB_PAGE_DEFAULT 50
#define RW_WEB_PAGE_MAX     RW_STORE_PAGE_MAX
/* the default listener: loopback only (config web_listen) */
#define RW_WEB_LISTEN_DEFAULT "127.0.0.1:8025"
/* listeners in one web_listen list */
#define RW_WEB_LISTEN_MAX 8
/* bytes of a request path written to the request log */
#define RW_WEB_LOG_PATH_MAX 256
/* the console's session lifetime, seconds (auth.h's session_ttl) */
#define RW_WEB_SESSION_TTL (12 * 3600)
/* The console's pages (src/web/page_*.c): rows of a listing page, open
 * incidents the overview reads, weeks of its chart, at most one owner's
 * retest request per incident per RW_WEB_OWNER_RETEST_SEC (remembered for
 * RW_WEB_OWNER_SLOTS incidents), addresses of a CIDR on the host page. */
#define RW_WEB_PAGE_ROWS        200
#define RW_WEB_OVERVIEW_MAX     5000
#define RW_WEB_CHART_WEEKS      12
#define RW_WEB_OWNER_RETEST_SEC 600
#define RW_WEB_OWNER_SLOTS      1024
#define RW_WEB_HOST_CIDR_MAX    256

#endif
