/*
 * NAME
 *	route - the console's routing table
 * SUMMARY
 *	(methods, path prefix, handler, least role), first match wins
 * SYNOPSIS
 *	const struct web_route *web_route_find(unsigned method, const char *path);
 * DESCRIPTION
 *	A prefix matches whole path segments: "/api/v1/scans" matches itself
 *	and "/api/v1/scans/7/results", never "/api/v1/scansX"; ROUTE_EXACT
 *	rows match only themselves. The catch-all "/api/v1" row sits after
 *	the API's own rows, so an unknown API path still wants credentials
 *	(401 before 404: nothing is learned without a token). /metrics is
 *	open to loopback peers (ROUTE_LOOPBACK), anyone else needs a viewer's
 *	token. Viewers read; the
 *	pages' forms (ROUTE_CSRF) are operators'; the owner's page and the
 *	login need no session.
 * DIAGNOSTICS
 *	NULL: no row matches (the server answers 404).
 * LIMITS
 *	none.
 * STANDARDS
 *	RFC 9110 9.3.1-9.3.2 (GET, HEAD).
 */
#include "web_int.h"

#include <string.h>

#define READ (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD)
#define ANY  (~0u)
#define POST EVHTTP_REQ_POST
#define PG   ROUTE_PAGE
#define FORM (ROUTE_PAGE | ROUTE_CSRF)

static const struct web_route routes[] = {
    {READ, "/api/v1/openapi.json", ROUTE_EXACT, WEB_ROLE_VIEWER, openapi_get, "openapi"},
    {READ, "/api/v1/scans", 0, WEB_ROLE_VIEWER, api_scans, "scans"},
    {READ, "/api/v1/incidents", 0, WEB_ROLE_VIEWER, api_incidents, "incidents"},
    {READ, "/api/v1/hosts", 0, WEB_ROLE_VIEWER, api_hosts, "hosts"},
    {READ, "/api/v1/blocks", ROUTE_EXACT, WEB_ROLE_VIEWER, api_blocks, "blocks"},
    {READ, "/api/v1/dnsbl", ROUTE_EXACT, WEB_ROLE_VIEWER, api_dnsbl, "dnsbl"},
    {ANY, "/api/v1", 0, WEB_ROLE_VIEWER, api_not_found, "api"},
    {READ, "/metrics", ROUTE_EXACT | ROUTE_LOOPBACK, WEB_ROLE_VIEWER, metrics_get, "metrics"},
    /* the pages: reads for viewers, forms for operators */
    {READ, "/static/style.css", ROUTE_EXACT, WEB_ROLE_NONE, assets_css, "css"},
    {READ, "/login", ROUTE_EXACT, WEB_ROLE_NONE, page_login, "login"},
    {POST, "/login", ROUTE_EXACT, WEB_ROLE_NONE, page_login_post, "login"},
    {POST, "/logout", ROUTE_EXACT | FORM, WEB_ROLE_VIEWER, page_logout, "logout"},
    {READ, "/", ROUTE_EXACT | PG, WEB_ROLE_VIEWER, page_overview, "overview"},
    {READ, "/scans", PG, WEB_ROLE_VIEWER, page_scans, "page-scans"},
    {READ, "/hosts", ROUTE_EXACT | PG, WEB_ROLE_VIEWER, page_hosts, "page-hosts"},
    {READ, "/incidents", PG, WEB_ROLE_VIEWER, page_incidents, "page-incidents"},
    {POST, "/incidents", FORM, WEB_ROLE_OPERATOR, page_incident_post, "incident-form"},
    {READ, "/blocks", ROUTE_EXACT | PG, WEB_ROLE_VIEWER, page_blocks, "page-blocks"},
    {READ, "/dnsbl", ROUTE_EXACT | PG, WEB_ROLE_VIEWER, page_dnsbl, "page-dnsbl"},
    /* the host owner's page: behind its token, no login */
    {READ, "/owner", 0, WEB_ROLE_NONE, page_owner, "owner"},
    {POST, "/owner", 0, WEB_ROLE_NONE, page_owner_post, "owner-retest"},
};

/* web_route_find - the first row for method and path */
const struct web_route *web_route_find(unsigned method, const char *path)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct web_route *r = &routes[i];
		size_t n = strlen(r->prefix);

		if (!(r->methods & method) || strncmp(path, r->prefix, n) != 0)
			continue;
		if (path[n] == '\0' || (!(r->flags & ROUTE_EXACT) && path[n] == '/'))
			return r;
	}
	return NULL;
}
