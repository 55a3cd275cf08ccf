/* cz-cert-host.h: certificates for this host, as the server window and
 * --demo need them (names to prefill, the demo CA and server certificate). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* This host's names and addresses as SANs ("DNS:host", "DNS:localhost",
 * "IP:127.0.0.1", "IP:::1", and the addresses of up interfaces), for the
 * certificate dialog's prefill and the demo certificate. */
char **cz_cert_default_sans (void);

/* Makes sure a demo CA and server certificate exist in @dir (ca.pem,
 * ca-key.pem, server.pem, server-key.pem), creating them on first run.
 * Returns FALSE with @error if they cannot be created. */
gboolean cz_cert_ensure_demo (const char *dir, GError **error);

G_END_DECLS
