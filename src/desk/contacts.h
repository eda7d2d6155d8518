/*
 * contacts.h - the netblock owners file: who administers which addresses
 *
 * CSV, one netblock per line: CIDR, customer, admin email(s), account id.
 *   192.0.2.0/24,"Example Hosting",noc@example.net admin@example.net,C-1042
 *   2001:db8:10::/48,Lab,lab-admin@example.org,
 * Emails are separated by blanks or ';' inside their field; a field may be
 * quoted ("..." with "" for a quote). '#' lines and blank lines are
 * skipped; a first line starting with "cidr" (any case) is a header.
 * 0.0.0.0/0 or ::/0 is the default contact (the NOC) for its family.
 */
#ifndef RW_CONTACTS_H
#define RW_CONTACTS_H

#include <stddef.h>

#define CONTACT_EMAILS_MAX 8

struct contact {
	char netblock[64];   /* normalised CIDR text */
	unsigned prefix;     /* its prefix length */
	char customer[128];
	char account[64];
	size_t nemails;
	char emails[CONTACT_EMAILS_MAX][254];
};

/* contact_parse_line - one CSV line (no line end) into *c: 1 a contact,
 * 0 nothing on it (blank, comment, header), -1 with a reason in err */
int contact_parse_line(const char *line, struct contact *c, char *err, size_t errlen);

/* contact_email_ok - a plausible mailbox: local@domain, printable, no
 * blanks, CR, LF, comma or angle brackets (it goes into headers) */
int contact_email_ok(const char *e);

#endif
