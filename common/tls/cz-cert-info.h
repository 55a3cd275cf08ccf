/* cz-cert-info.h: certificates as plain facts, with no GnuTLS in sight:
 * what a window shows of one (CzCertInfo), read from a file, and whether
 * a key belongs to a certificate.  The constructors from GnuTLS types are
 * in cz-cert.h; the code is cz-cert.c.  Minting is cz-cert-generate.h. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* What the windows and the `connected` event show of a certificate. */
typedef struct {
  char *subject;          /* RFC 4514 DN, e.g. "CN=chat.example" */
  char *issuer;
  char *subject_name;     /* the subject's common name, "chat.example" (else the DN) */
  char *issuer_name;      /* the issuer's, "Causerie demo CA" */
  char *not_before;       /* ISO 8601 UTC, "2026-11-24T10:00:00Z" */
  char *not_after;
  gint64 not_after_unix;
  char *fingerprint;      /* SHA-256 of the DER certificate, "AB:CD:..." */
  char *spki_sha256;      /* SHA-256 of the SubjectPublicKeyInfo, lower-case hex (pins) */
  char *key_type;         /* "ECDSA P-256", "Ed25519", "RSA 3072" */
  char *sans;             /* "DNS:chat.example, IP:127.0.0.1" or "" */
  gboolean is_ca;
} CzCertInfo;

void cz_cert_info_free (CzCertInfo *info);
CzCertInfo *cz_cert_info_copy (const CzCertInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzCertInfo, cz_cert_info_free)

/* First certificate of a PEM file. */
CzCertInfo *cz_cert_info_new_from_file (const char *path, GError **error);

/* Checks that a PEM certificate and key file load and belong together;
 * errors name the file and say what is wrong. */
gboolean cz_cert_check_pair (const char *cert_file, const char *key_file, GError **error);

G_END_DECLS
