/*
 * NAME
 *	hosts - look a name up in a hosts(5) file
 * SYNOPSIS
 *	int hosts_lookup(const char *text, size_t len, const char *name,
 *			 struct sockaddr_storage *out, socklen_t *lens, int max);
 *	char *hosts_read(const char *path, size_t *len);
 * DESCRIPTION
 *	A line is an address, then names, separated by blanks; '#' starts a
 *	comment. Lines whose first field is not a numeric IPv4 or IPv6
 *	address are skipped. The resolver (src/net/resolve) asks here first,
 *	so `relaywatch scan localhost` and names an operator keeps in
 *	/etc/hosts work as with getaddrinfo().
 * LIMITS
 *	RW_HOSTS_MAX bytes of file; lines as long as the file.
 * STANDARDS
 *	hosts(5).
 */
#include "hosts.h"

#include "../core/limits.h"
#include "../core/xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* same_name - a field of length n equals name, case-insensitively, either
 * of them with one trailing dot */
static int same_name(const char *f, size_t n, const char *name)
{
	size_t k = strlen(name);

	if (k > 0 && name[k - 1] == '.')
		k--;
	if (n > 0 && f[n - 1] == '.')
		n--;
	return n == k && n > 0 && strncasecmp(f, name, n) == 0;
}

/* to_sa - a numeric address field into ss; its length, or 0 */
static socklen_t to_sa(const char *f, size_t n, struct sockaddr_storage *ss)
{
	char a[INET6_ADDRSTRLEN + 1];

	if (n == 0 || n >= sizeof(a))
		return 0;
	memcpy(a, f, n);
	a[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, a, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		return sizeof(struct sockaddr_in);
	}
	if (inet_pton(AF_INET6, a, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		return sizeof(struct sockaddr_in6);
	}
	return 0;
}

int hosts_lookup(const char *text, size_t len, const char *name, struct sockaddr_storage *out,
                 socklen_t *lens, int max)
{
	size_t i = 0;
	int n = 0;

	while (i < len && n < max) {
		size_t end = i, f0, f1, stop;
		int found = 0;
		struct sockaddr_storage ss;
		socklen_t sl;

		while (end < len && text[end] != '\n')
			end++;
		stop = i;
		while (stop < end && text[stop] != '#')
			stop++;
		/* first field: the address */
		f0 = i;
		while (f0 < stop && (text[f0] == ' ' || text[f0] == '\t' || text[f0] == '\r'))
			f0++;
		f1 = f0;
		while (f1 < stop && text[f1] != ' ' && text[f1] != '\t' && text[f1] != '\r')
			f1++;
		sl = to_sa(text + f0, f1 - f0, &ss);
		while (sl && !found && f1 < stop) {
			size_t a = f1, b;

			while (a < stop && (text[a] == ' ' || text[a] == '\t' || text[a] == '\r'))
				a++;
			b = a;
			while (b < stop && text[b] != ' ' && text[b] != '\t' && text[b] != '\r')
				b++;
			found = b > a && same_name(text + a, b - a, name);
			f1 = b;
		}
		if (found) {
			int dup = 0;

			for (int k = 0; k < n && !dup; k++)
				dup = lens[k] == sl && memcmp(&out[k], &ss, sl) == 0;
			if (!dup) {
				out[n] = ss;
				lens[n++] = sl;
			}
		}
		i = end + 1;
	}
	return n;
}

char *hosts_read(const char *path, size_t *len)
{
	int fd = open(path ? path : "/etc/hosts", O_RDONLY | O_CLOEXEC);
	char *buf;
	size_t n = 0;
	ssize_t r;

	if (fd < 0)
		return NULL;
	buf = xmalloc(RW_HOSTS_MAX + 1);
	while (n < RW_HOSTS_MAX && (r = read(fd, buf + n, RW_HOSTS_MAX - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			close(fd);
			return NULL;
		}
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}
