/* cz-tls-private.h: what the server and client configurations
 * (cz-tls-server.c, cz-tls-client.c) share, kept in cz-tls.c: trust files,
 * priority strings, the settings every session gets, and the sentence for
 * a certificate verification status. */
#pragma once

#include "cz-tls.h"

G_BEGIN_DECLS

/* Trusts the CA certificates in @file; errors name the file. */
gboolean cz_tls_load_trust_file (gnutls_certificate_credentials_t creds, const char *file,
                                 GError **error);
/* @string NULL means CZ_TLS_DEFAULT_PRIORITY. */
gboolean cz_tls_set_priority (gnutls_priority_t *priority, const char *string, GError **error);
/* Priorities, credentials and the mandatory ALPN, for either side. */
gboolean cz_tls_session_common (gnutls_session_t session, gnutls_priority_t priority,
                                gnutls_certificate_credentials_t creds, GError **error);
/* A sentence for a certificate verification status (GNUTLS_CERT_* bits):
 * "<whose> certificate has expired"; @ca_file (may be NULL) is named when
 * the signer is unknown. */
char *cz_tls_describe_status (unsigned int status, const char *whose, const char *ca_file);

G_END_DECLS
