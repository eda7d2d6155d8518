/*
 * NAME
 *	starttls - STARTTLS for lab hosts: a throw-away certificate and a filter
 * SUMMARY
 *	self-signed certificate made in memory, bufferevent_openssl upgrade
 * SYNOPSIS
 *	SSL_CTX *starttls_ctx_new(const char *cn, char *err, size_t errlen);
 *	void starttls_ctx_free(SSL_CTX *ctx);
 *	struct bufferevent *starttls_accept(base, ctx, under);
 *	const char *starttls_version(struct bufferevent *bev);
 * DESCRIPTION
 *	starttls_ctx_new() generates a key and a certificate for cn (and
 *	*.cn) valid for 30 days; nothing touches the disk. The key is ECDSA
 *	P-256: RSA 2048 generation takes tens of seconds under valgrind,
 *	longer than a tester waits for the lab to come up. The context is
 *	owned by the caller (starttls_ctx_free, NULL ok). starttls_accept() puts a
 *	server-side TLS filter over `under` right after the 220 to STARTTLS
 *	was queued on it; the filter owns `under` and its SSL, and tolerates
 *	a peer that closes without close_notify.
 * DIAGNOSTICS
 *	OpenSSL's first error text in err.
 * LIMITS
 *	TLS 1.2 or newer.
 * STANDARDS
 *	RFC 3207 (STARTTLS), RFC 5280 (certificates).
 */
#include "lab.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>

#define TLS_CURVE     "P-256"
#define TLS_CERT_DAYS 30

/* ssl_fail - the first queued OpenSSL error into err */
static void ssl_fail(const char *what, char *err, size_t errlen)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "tls: %s: %s", what, e ? buf : "failed");
	ERR_clear_error();
}

/* self_signed - a certificate for cn signed by its own key */
static X509 *self_signed(EVP_PKEY *pkey, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509_EXTENSION *ext;
	char san[300];

	if (x == NULL)
		return NULL;
	snprintf(san, sizeof(san), "DNS:%s,DNS:*.%s", cn, cn);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * TLS_CERT_DAYS);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"relaywatch lab",
	                           -1, -1, 0);
	X509_set_issuer_name(x, name);
	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
	if (ext != NULL) {
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (X509_set_pubkey(x, pkey) != 1 || X509_sign(x, pkey, EVP_sha256()) == 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* starttls_ctx_new - a context serving a fresh self-signed certificate */
struct ssl_ctx_st *starttls_ctx_new(const char *cn, char *err, size_t errlen)
{
	EVP_PKEY *pkey = EVP_EC_gen(TLS_CURVE);
	SSL_CTX *ctx = NULL;
	X509 *x = NULL;

	if (pkey == NULL) {
		ssl_fail("key generation", err, errlen);
		return NULL;
	}
	x = self_signed(pkey, cn);
	if (x == NULL) {
		ssl_fail("certificate", err, errlen);
		goto out;
	}
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate(ctx, x) != 1 || SSL_CTX_use_PrivateKey(ctx, pkey) != 1) {
		ssl_fail("context", err, errlen);
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
out:
	X509_free(x);
	EVP_PKEY_free(pkey);
	return ctx;
}

/* starttls_ctx_free - NULL ok */
void starttls_ctx_free(struct ssl_ctx_st *ctx)
{
	SSL_CTX_free(ctx);
}

/* starttls_accept - server-side TLS over an accepted connection */
struct bufferevent *starttls_accept(struct event_base *base, struct ssl_ctx_st *ctx,
                                    struct bufferevent *under)
{
	struct bufferevent *bev;
	SSL *ssl = SSL_new(ctx);

	if (ssl == NULL)
		return NULL;
	bev = bufferevent_openssl_filter_new(base, under, ssl, BUFFEREVENT_SSL_ACCEPTING,
	                                     BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* starttls_version - "TLSv1.3" and the like */
const char *starttls_version(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);

	return ssl ? SSL_get_version(ssl) : "";
}
