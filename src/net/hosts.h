/*
 * hosts.h - names in a hosts(5) file, looked up before DNS as getaddrinfo()
 * does ("files" before "dns"): localhost and an operator's own names
 */
#ifndef RW_HOSTS_H
#define RW_HOSTS_H

#include <stddef.h>
#include <sys/socket.h>

/* hosts_lookup - the addresses of name (case-insensitive, a trailing dot
 * ignored) in the hosts(5) text text[0..len), in file order, at most max,
 * each once, into out[] with their lengths (port 0). Returns the count. */
int hosts_lookup(const char *text, size_t len, const char *name, struct sockaddr_storage *out,
		 socklen_t *lens, int max);

/* hosts_read - the whole file (NULL: /etc/hosts), capped at RW_HOSTS_MAX
 * bytes; owned (free()), *len set; NULL when it cannot be read */
char *hosts_read(const char *path, size_t *len);

#endif
