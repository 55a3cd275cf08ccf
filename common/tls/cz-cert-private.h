/* cz-cert-private.h: what the two halves of the X.509 code share: reading
 * certificates (cz-cert.c) and minting them (cz-cert-generate.c). */
#pragma once

#include <time.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>
#include <gnutls/x509-ext.h>

#include "cz-cert.h"
#include "cz-error.h"

G_BEGIN_DECLS

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_crt_t, gnutls_x509_crt_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_privkey_t, gnutls_x509_privkey_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_privkey_t, gnutls_privkey_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_subject_alt_names_t, gnutls_subject_alt_names_deinit, NULL)

static inline void
datum_clear (gnutls_datum_t *d)
{
  g_clear_pointer (&d->data, gnutls_free);
  d->size = 0;
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (gnutls_datum_t, datum_clear)

G_GNUC_PRINTF (3, 4)
gboolean cz_cert_set_error (GError **error, CzErrorCode code, const char *format, ...);
/* The one place where a GnuTLS code becomes a GError of the X.509 code:
 * "<what failed>: <GnuTLS's reason>" (the reason from the TLS mapper). */
G_GNUC_PRINTF (3, 4)
gboolean cz_cert_set_gnutls_error (GError **error, int code, const char *format, ...);

/* For functions returning gboolean with a GError **error in scope. */
#define TRY(call, ...) \
  G_STMT_START { \
    int try_ret_ = (call); \
    if (try_ret_ < 0) \
      return cz_cert_set_gnutls_error (error, try_ret_, __VA_ARGS__); \
  } G_STMT_END

/* ISO 8601 UTC ("2026-11-24T10:00:00Z"). */
char *cz_cert_format_time (time_t t);

/* What a file should hold, for the message when it cannot be read. */
typedef enum {
  CZ_CERT_FILE_CERT,
  CZ_CERT_FILE_KEY,
  CZ_CERT_FILE_CA_CERT,
  CZ_CERT_FILE_CA_KEY,
} CzCertFileKind;

/* Loads the first certificate (@crt) or the private key (@key) of a PEM
 * file; errors name the file; the file's bytes are wiped after parsing. */
gboolean cz_cert_load_pem (const char *path, CzCertFileKind kind, gnutls_x509_crt_t *crt,
                           gnutls_x509_privkey_t *key, GError **error);
/* TRUE if @key is the private half of @crt's public key. */
gboolean cz_cert_key_matches (gnutls_x509_crt_t crt, gnutls_x509_privkey_t key);

G_END_DECLS
