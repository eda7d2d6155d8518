/*
 * NAME
 *	space - a scan's target space to and from JSON (for --resume)
 * SYNOPSIS
 *	json_t *space_to_json(struct targets *t, const struct targets_ports *ports);
 *	const char *space_from_json(const json_t *j, struct targets *t,
 *				    struct targets_ports *ports);
 * DESCRIPTION
 *	See space.h for the form. Saving the space, not the command line,
 *	makes a resume independent of files that changed, of stdin that is
 *	gone and of names that now resolve elsewhere.
 * LIMITS
 *	RW_SCAN_PORTS_MAX ports; ranges as targets_add() allows.
 */
#include "space.h"

#include "../core/limits.h"
#include "ipset.h"

#include <string.h>

json_t *space_to_json(struct targets *t, const struct targets_ports *ports)
{
	json_t *j = json_object(), *jp = json_array(), *jg = json_array();
	const struct targets_group *g;
	size_t n;
	char text[112];

	json_t *jpr = json_array();
	int probes = 0;

	for (size_t i = 0; i < ports->n; i++) {
		json_array_append_new(jp, json_integer(ports->port[i]));
		json_array_append_new(jpr, json_string(targets_probe_name(ports->probe[i])));
		probes |= ports->probe[i] != TARGETS_PROBE_SMTP;
	}
	/* a scan of relays only is saved as before issue 7 */
	if (probes || (ports->gprobes && ports->gprobes != 1u << TARGETS_PROBE_SMTP)) {
		json_t *jg2 = json_array();

		for (unsigned b = 0; b < TARGETS_PROBE__COUNT; b++)
			if (ports->gprobes & (1u << b))
				json_array_append_new(jg2, json_string(targets_probe_name(b)));
		json_object_set_new(j, "probes", jpr);
		json_object_set_new(j, "group_probes", jg2);
	} else {
		json_decref(jpr);
	}
	g = targets_groups(t, &n);
	for (size_t i = 0; i < n; i++) {
		json_t *grp = json_object(), *jr = json_array();

		for (int fam = IPSET_V4; fam <= IPSET_V6; fam++) {
			size_t nr;
			const struct ipset_range *r =
			    ipset_ranges(g[i].set, (enum ipset_fam)fam, &nr);

			for (size_t k = 0; k < nr; k++)
				json_array_append_new(
				    jr, json_string(ipset_range_text(&r[k], text, sizeof(text))));
		}
		json_object_set_new(grp, "port", json_integer(g[i].port));
		json_object_set_new(grp, "ranges", jr);
		json_array_append_new(jg, grp);
	}
	json_object_set_new(j, "ports", jp);
	json_object_set_new(j, "groups", jg);
	return j;
}

const char *space_from_json(const json_t *j, struct targets *t, struct targets_ports *ports)
{
	const json_t *jp = json_object_get(j, "ports"), *jg = json_object_get(j, "groups");
	const json_t *jpr = json_object_get(j, "probes"), *jg2 = json_object_get(j, "group_probes");
	size_t i, k;
	json_t *v, *grp;

	if (!json_is_array(jp) || !json_is_array(jg) || json_array_size(jp) == 0 ||
	    json_array_size(jp) > RW_SCAN_PORTS_MAX)
		return "no target space saved with this scan";
	if (jpr && (!json_is_array(jpr) || json_array_size(jpr) != json_array_size(jp)))
		return "bad probes in the saved space";
	ports->n = 0;
	ports->gprobes = 0;
	json_array_foreach(jp, i, v)
	{
		json_int_t p = json_integer_value(v);
		int pr = jpr ? targets_probe_by_name(json_string_value(json_array_get(jpr, i))
		                                         ? json_string_value(json_array_get(jpr, i))
		                                         : "")
		             : TARGETS_PROBE_SMTP;

		/* ascending by (port, probe) without duplicates, as
		 * targets_ports promises */
		if (!json_is_integer(v) || p < 1 || p > 65535 || pr < 0 ||
		    (ports->n &&
		     (p < ports->port[ports->n - 1] ||
		      (p == ports->port[ports->n - 1] && pr <= ports->probe[ports->n - 1]))))
			return "bad port in the saved space";
		ports->probe[ports->n] = (unsigned char)pr;
		ports->port[ports->n++] = (unsigned short)p;
	}
	if (jg2) {
		if (!json_is_array(jg2))
			return "bad group probes in the saved space";
		json_array_foreach(jg2, i, v)
		{
			int pr =
			    targets_probe_by_name(json_is_string(v) ? json_string_value(v) : "");

			if (pr < 0)
				return "bad group probes in the saved space";
			ports->gprobes |= 1u << pr;
		}
	}
	json_array_foreach(jg, i, grp)
	{
		const json_t *jr = json_object_get(grp, "ranges");
		const json_t *jport = json_object_get(grp, "port");
		json_int_t port = json_integer_value(jport);

		/* a missing or non-integer port is 0 to jansson: each port */
		if (!json_is_array(jr) || !json_is_integer(jport) || port < 0 || port > 65535)
			return "bad group in the saved space";
		json_array_foreach(jr, k, v)
		{
			struct ipset_range r;
			const char *e;

			if (!json_is_string(v) ||
			    ipset_range_parse(json_string_value(v), &r) != NULL)
				return "bad range in the saved space";
			if ((e = targets_add(t, &r, (unsigned)port)) != NULL)
				return e;
		}
	}
	return NULL;
}
