/*
 * NAME
 *	incjson - an incident and its timeline as JSON
 * SUMMARY
 *	the shape the CLI's --json and the web API share
 * SYNOPSIS
 *	json_t *incjson_incident(const struct store_incident *in);
 *	const struct store_outbox *incjson_outbox_of(const struct store_outboxes *ob,
 *		int64_t id);
 *	json_t *incjson_item(const struct store_timeline_item *it,
 *		const struct store_outboxes *ob);
 * DESCRIPTION
 *	incjson_incident() gives id, addr, port, class, state, policy, the
 *	contact snapshot (parsed), opened/updated/closed/due (RFC 3339 or
 *	null), level and rev. incjson_item() gives one timeline line: at,
 *	source, id, kind, state, and an event's detail parsed or a text; a
 *	notice also its recipient, attempts, sent time and last error. Text
 *	from the store is escaped as jsonx_text() does.
 * DIAGNOSTICS
 *	none.
 * LIMITS
 *	none.
 * STANDARDS
 *	RFC 8259, RFC 3339.
 */
#include "incjson.h"
#include "../core/jsonx.h"
#include "desk.h"
#include "policy.h"

#include <string.h>

json_t *incjson_incident(const struct store_incident *in)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(in->id));
	json_object_set_new(o, "addr", jsonx_text(in->addr));
	json_object_set_new(o, "port", json_integer(in->port));
	json_object_set_new(o, "class", json_string(desk_machine_class(in->machine)));
	json_object_set_new(o, "state", jsonx_text(in->state));
	json_object_set_new(o, "policy", jsonx_text(in->policy));
	json_object_set_new(o, "contact", jsonx_any(in->contact ? in->contact : "{}"));
	json_object_set_new(o, "opened", jsonx_time(in->opened_ms));
	json_object_set_new(o, "updated", jsonx_time(in->updated_ms));
	json_object_set_new(o, "closed", jsonx_time(in->closed_ms));
	json_object_set_new(o, "due", jsonx_time(in->due_ms));
	json_object_set_new(o, "level",
	                    json_string(policy_level_name((enum policy_level)in->level)));
	json_object_set_new(o, "rev", json_integer(in->rev));
	return o;
}

const struct store_outbox *incjson_outbox_of(const struct store_outboxes *ob, int64_t id)
{
	for (size_t i = 0; i < ob->n; i++)
		if (ob->v[i].id == id)
			return &ob->v[i];
	return NULL;
}

json_t *incjson_item(const struct store_timeline_item *it, const struct store_outboxes *ob)
{
	json_t *o = json_object();
	const struct store_outbox *m;

	json_object_set_new(o, "at", jsonx_time(it->at_ms));
	json_object_set_new(o, "source", json_string(it->source));
	json_object_set_new(o, "id", json_integer(it->id));
	json_object_set_new(o, "kind", jsonx_text(it->kind));
	json_object_set_new(o, "state", jsonx_text(it->state ? it->state : ""));
	if (strcmp(it->source, "event") == 0)
		json_object_set_new(o, "detail", jsonx_any(it->text ? it->text : "{}"));
	else
		json_object_set_new(o, "text", jsonx_text(it->text ? it->text : ""));
	if (strcmp(it->source, "outbox") == 0 && (m = incjson_outbox_of(ob, it->id)) != NULL) {
		json_object_set_new(o, "rcpt", jsonx_text(m->rcpt ? m->rcpt : ""));
		json_object_set_new(o, "attempts", json_integer(m->attempts));
		json_object_set_new(o, "sent", jsonx_time(m->sent_ms));
		json_object_set_new(o, "last_error",
		                    m->last_error ? jsonx_text(m->last_error) : json_null());
	}
	return o;
}
