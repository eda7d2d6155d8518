/*
 * NAME
 *	page_login - the console's sign-in and sign-out
 * SUMMARY
 *	GET /login (the form), POST /login, POST /logout
 * SYNOPSIS
 *	void page_login(struct web_req *r);
 *	void page_login_post(struct web_req *r);
 *	void page_logout(struct web_req *r);
 * DESCRIPTION
 *	POST /login hands the name and password to web_auth_login (rate-limited
 *	per client address and name): on success the session id goes into
 *	the cookie rw_session (HttpOnly, SameSite=Strict, Path=/, Secure under
 *	TLS) and the answer is 303 to /; a wrong name or password is 401 and
 *	a limited one 429, both with the same form and text (which names
 *	exist is not told). The login form carries no CSRF token (there is no
 *	session yet; SameSite=Strict and the rate limit stand in). POST
 *	/logout (CSRF-checked by the dispatcher) forgets the session and
 *	clears the cookie.
 * DIAGNOSTICS
 *	401 refused, 429 limited, 500 the store failed.
 * LIMITS
 *	WEB_USER_MAX, RW_WEB_PASSWORD_MAX.
 * STANDARDS
 *	RFC 6265 4.1 (Set-Cookie), RFC 6265bis (SameSite).
 */
#include "html.h"
#include "web_int.h"

#include "../core/limits.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* login_form - the page with an optional message */
static void login_form(struct web_req *r, int status, const char *msg)
{
	struct dbuf b;

	dbuf_init(&b, 0);
	html_begin(&b, r, "Sign in");
	if (msg) {
		dbuf_adds(&b, "<p class=\"msg\">");
		html_text(&b, msg);
		dbuf_adds(&b, "</p>");
	}
	dbuf_adds(&b, "<form method=\"post\" action=\"/login\" class=\"act\">"
	              "<p><label>User <input name=\"user\" autocomplete=\"username\" "
	              "required maxlength=\"64\"></label></p>"
	              "<p><label>Password <input name=\"password\" type=\"password\" "
	              "autocomplete=\"current-password\" required></label></p>"
	              "<p><button>Sign in</button></p></form>\n");
	html_end(&b);
	web_reply_html(r, status, &b);
}

void page_login(struct web_req *r)
{
	if (r->who.role != WEB_ROLE_NONE) {
		web_redirect(r, "/");
		return;
	}
	login_form(r, HTTP_OK, NULL);
}

void page_login_post(struct web_req *r)
{
	const char *user = web_form_get(r, "user"), *pw = web_form_get(r, "password");
	char sid[WEB_ID_HEX + 1], cookie[WEB_ID_HEX + 96];
	enum web_login rc = WEB_LOGIN_BAD;

	if (user && pw && strlen(user) <= WEB_USER_MAX && strlen(pw) <= RW_WEB_PASSWORD_MAX)
		rc = web_auth_login(web_server_auth(r->w), user, pw, r->client,
		                    (long long)time(NULL), sid);
	switch (rc) {
	case WEB_LOGIN_OK:
		snprintf(cookie, sizeof(cookie),
		         "rw_session=%s; HttpOnly; SameSite=Strict; Path=/%s", sid,
		         web_server_tls(r->w) ? "; Secure" : "");
		evhttp_add_header(evhttp_request_get_output_headers(r->req), "Set-Cookie", cookie);
		web_redirect(r, "/");
		return;
	case WEB_LOGIN_ERROR:
		login_form(r, HTTP_INTERNAL, "The store failed; try again later.");
		return;
	case WEB_LOGIN_LIMITED:
	case WEB_LOGIN_BAD:
		break;
	}
	login_form(r, rc == WEB_LOGIN_LIMITED ? 429 : 401,
	           "Wrong user name or password, or too many attempts.");
}

void page_logout(struct web_req *r)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Cookie");
	char sid[WEB_ID_HEX + 2];

	if (web_cookie_value(h, "rw_session", sid, sizeof(sid)) == 0)
		web_auth_logout(web_server_auth(r->w), sid);
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Set-Cookie",
	                  "rw_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
	web_redirect(r, "/login");
}
