/*
 * daemon_dnsbl.h - the daemon's DNSBL duties: keep the exported zone in
 * step with the store, and watch whether our own servers get listed
 */
#ifndef RW_DAEMON_DNSBL_H
#define RW_DAEMON_DNSBL_H

#include <sys/types.h>

#include "../core/config.h"

/* daemon_dnsbl_export - `relaywatch dnsbl export --output dnsbl_output`
 * (with the configuration's format and reload command) as a child of
 * self; its pid, or -1 (logged). Nothing when dnsbl_output is unset (0). */
pid_t daemon_dnsbl_export(const char *self, const char *config_path, const char *db,
                          const struct rw_config *cfg);

/* daemon_dnsbl_watch - ask dnsbl_lists about the dnsbl_watch addresses in
 * a forked child that logs one line per address and list ("dnsbl
 * event=listed|not-listed|error host= list= txt=") and exits; its pid, or
 * -1. Nothing when either key is unset (0). */
pid_t daemon_dnsbl_watch(const struct rw_config *cfg);

#endif
