/* cz-cert.h: the certificate facts of cz-cert-info.h made from GnuTLS's
 * own types, for the TLS code (the library and the tests only). */
#pragma once

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include "cz-cert-info.h"

G_BEGIN_DECLS

CzCertInfo *cz_cert_info_new_from_crt (gnutls_x509_crt_t crt);
CzCertInfo *cz_cert_info_new_from_datum (const gnutls_datum_t *der);

G_END_DECLS
