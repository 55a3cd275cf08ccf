/* cz-cert-generate.h: minting certificates (DESIGN §4 --generate-ca /
 * --generate-cert, the server window's Create Certificate dialog): key
 * types, the request, and the two calls.  No GnuTLS in sight. */
#pragma once

#include <glib-object.h>
#include "cz-cert-info.h"

G_BEGIN_DECLS

typedef enum {
  CZ_KEY_ECDSA_P256,     /* default */
  CZ_KEY_ED25519,
  CZ_KEY_RSA_3072,
} CzKeyType;

#define CZ_TYPE_KEY_TYPE (cz_key_type_get_type ())
GType cz_key_type_get_type (void);

/* "ecdsa-p256", "ed25519", "rsa-3072" */
const char *cz_key_type_name (CzKeyType type);
gboolean cz_key_type_from_name (const char *name, CzKeyType *type, GError **error);

typedef struct {
  const char *common_name;
  const char *const *sans;   /* NULL-terminated, "DNS:name" or "IP:addr"; may be NULL */
  CzKeyType key_type;
  guint days;                /* validity; 0 means 365 (CA: 3650) */
  gboolean client;           /* clientAuth instead of serverAuth */
  const char *crl_url;       /* leaves: CRL distribution point (http/https), or NULL */
} CzCertRequest;

/* A self-signed CA (basicConstraints CA:TRUE critical, keyCertSign|cRLSign).
 * Writes @out_key (0600) and @out_cert (0644) atomically.  On success
 * returns the new certificate's facts. */
CzCertInfo *cz_cert_generate_ca (const CzCertRequest *req,
                                 const char *out_cert, const char *out_key,
                                 GError **error);

/* A leaf certificate signed by the CA in @ca_cert/@ca_key (which must match
 * and be a CA).  Server: digitalSignature (+keyEncipherment for RSA),
 * extKeyUsage serverAuth; client (@req->client): clientAuth.  SANs from
 * @req->sans (the CN is added as a DNS SAN for servers when no SAN is
 * given).  Errors say which file is unreadable or that the pair does not
 * match. */
CzCertInfo *cz_cert_generate_signed (const CzCertRequest *req,
                                     const char *ca_cert, const char *ca_key,
                                     const char *out_cert, const char *out_key,
                                     GError **error);

/* TRUE for a host name a DNS SAN may carry (letters, digits, hyphens and
 * dots, labels of 1 to 63 characters, a leading "*." allowed). */
gboolean cz_cert_dns_name_valid (const char *name);

G_END_DECLS
