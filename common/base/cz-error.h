/* cz-error.h: the Causerie error domain and the stable wire error codes.
 *
 * Every failure in libcauserie is a GError in CZ_ERROR.  Each code maps to
 * one stable string that travels in `error {code}` frames (DESIGN §2.7). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CZ_ERROR (cz_error_quark ())
GQuark cz_error_quark (void);

typedef enum {
  CZ_ERROR_INTERNAL,          /* "internal" */
  CZ_ERROR_BAD_FRAME,         /* "bad-frame": malformed frame or message */
  CZ_ERROR_TOO_LARGE,         /* "too-large": frame length 0 or > 65536, text too long */
  CZ_ERROR_UNKNOWN_KIND,      /* "unknown-kind" */
  CZ_ERROR_BAD_VERSION,       /* "bad-version" */
  CZ_ERROR_BAD_KEY,           /* "bad-key": DH public value refused */
  CZ_ERROR_DECRYPT,           /* "decrypt-failed": a sealed frame did not open */
  CZ_ERROR_TLS,               /* "tls": TLS failure (handshake, record) */
  CZ_ERROR_CERT_UNTRUSTED,    /* "cert-untrusted": peer certificate not trusted */
  CZ_ERROR_KEY_CHANGED,       /* "key-changed": pinned key differs */
  CZ_ERROR_AUTH_FAILED,       /* "auth-failed" */
  CZ_ERROR_THROTTLED,         /* "throttled" */
  CZ_ERROR_NO_SUCH_USER,      /* "no-such-user" */
  CZ_ERROR_USER_EXISTS,       /* "user-exists" */
  CZ_ERROR_BAD_NAME,          /* "bad-name" */
  CZ_ERROR_BAD_TEXT,          /* "bad-text" */
  CZ_ERROR_NOT_AUTHENTICATED, /* "not-authenticated" */
  CZ_ERROR_ALREADY_AUTHENTICATED, /* "already-authenticated" */
  CZ_ERROR_REGISTRATION_CLOSED,   /* "registration-closed" */
  CZ_ERROR_STORE,             /* "store": the database failed */
  CZ_ERROR_TIMEOUT,           /* "timeout" */
  CZ_ERROR_CLOSED,            /* "closed": the peer went away */
  CZ_ERROR_IO,                /* "io": socket or file error */
  CZ_ERROR_CERT,              /* "cert": certificate/key file problem */
  CZ_ERROR_FULL,              /* "server-full" */
  CZ_ERROR_INVALID,           /* "invalid": bad argument (CLI, options) */
  CZ_ERROR_PROTOCOL,          /* "protocol": message out of sequence */
  CZ_ERROR_MAILBOX_FULL,      /* "mailbox-full": too many messages wait for the recipient */
  CZ_ERROR_BAD_BUNDLE,        /* "bad-bundle": a device's key bundle is malformed or does not verify */
  CZ_ERROR_UNKNOWN_DEVICE,    /* "unknown-device": no such device of that user */
  CZ_ERROR_NO_DEVICE,         /* "no-device": the user has no end-to-end device */
  CZ_ERROR_IDENTITY_CHANGED,  /* "identity-changed": a verified user's devices changed */
  CZ_ERROR_E2E_FAILED,        /* "e2e-failed": an end-to-end ciphertext did not decrypt */
  CZ_ERROR_UNAVAILABLE,       /* "unavailable": the shared database is out of reach; retry */
} CzErrorCode;

/* Stable wire string of a code ("bad-frame"...); never NULL. */
const char *cz_error_code_to_string (CzErrorCode code);
/* Inverse; unknown strings give CZ_ERROR_INTERNAL. */
CzErrorCode cz_error_code_from_string (const char *str);

/* The wire code for any GError (CZ_ERROR codes map directly; others are
 * "internal"). */
const char *cz_error_wire_code (const GError *error);

G_END_DECLS
