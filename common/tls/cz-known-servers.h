/* cz-known-servers.h: the client's pins for trust on first use (DESIGN
 * §2.1, SSH-style): one "host:port sha256-hex" line per server, the
 * SHA-256 of the server's SubjectPublicKeyInfo.  Plain files, no GnuTLS. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The pin stored for @host:@port (IPv6 literals as "[addr]:port"), or NULL
 * when there is none or the file cannot be read. */
char *cz_known_servers_lookup (const char *path, const char *host, guint16 port);
/* Stores (or replaces) the pin for @host:@port, creating the file and its
 * folder (0700) if needed; the file is rewritten atomically, 0600, under an
 * exclusive flock on "@path.lock" held from the read to the rename, so
 * concurrent clients never drop each other's pins. */
gboolean cz_known_servers_store (const char *path, const char *host, guint16 port,
                                 const char *fingerprint, GError **error);

G_END_DECLS
