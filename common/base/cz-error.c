#include "config.h"

#include "cz-error.h"

/* Indexed by CzErrorCode: the stable strings of `error {code}` frames
 * (DESIGN §2.7).  Never reorder or rename an entry: peers rely on them. */
static const char * const wire_codes[] = {
  [CZ_ERROR_INTERNAL] = "internal",
  [CZ_ERROR_BAD_FRAME] = "bad-frame",
  [CZ_ERROR_TOO_LARGE] = "too-large",
  [CZ_ERROR_UNKNOWN_KIND] = "unknown-kind",
  [CZ_ERROR_BAD_VERSION] = "bad-version",
  [CZ_ERROR_BAD_KEY] = "bad-key",
  [CZ_ERROR_DECRYPT] = "decrypt-failed",
  [CZ_ERROR_TLS] = "tls",
  [CZ_ERROR_CERT_UNTRUSTED] = "cert-untrusted",
  [CZ_ERROR_KEY_CHANGED] = "key-changed",
  [CZ_ERROR_AUTH_FAILED] = "auth-failed",
  [CZ_ERROR_THROTTLED] = "throttled",
  [CZ_ERROR_NO_SUCH_USER] = "no-such-user",
  [CZ_ERROR_USER_EXISTS] = "user-exists",
  [CZ_ERROR_BAD_NAME] = "bad-name",
  [CZ_ERROR_BAD_TEXT] = "bad-text",
  [CZ_ERROR_NOT_AUTHENTICATED] = "not-authenticated",
  [CZ_ERROR_ALREADY_AUTHENTICATED] = "already-authenticated",
  [CZ_ERROR_REGISTRATION_CLOSED] = "registration-closed",
  [CZ_ERROR_STORE] = "store",
  [CZ_ERROR_TIMEOUT] = "timeout",
  [CZ_ERROR_CLOSED] = "closed",
  [CZ_ERROR_IO] = "io",
  [CZ_ERROR_CERT] = "cert",
  [CZ_ERROR_FULL] = "server-full",
  [CZ_ERROR_INVALID] = "invalid",
  [CZ_ERROR_PROTOCOL] = "protocol",
  [CZ_ERROR_MAILBOX_FULL] = "mailbox-full",
  [CZ_ERROR_BAD_BUNDLE] = "bad-bundle",
  [CZ_ERROR_UNKNOWN_DEVICE] = "unknown-device",
  [CZ_ERROR_NO_DEVICE] = "no-device",
  [CZ_ERROR_IDENTITY_CHANGED] = "identity-changed",
  [CZ_ERROR_E2E_FAILED] = "e2e-failed",
  [CZ_ERROR_UNAVAILABLE] = "unavailable",
};

G_STATIC_ASSERT (G_N_ELEMENTS (wire_codes) == CZ_ERROR_UNAVAILABLE + 1);

GQuark
cz_error_quark (void)
{
  return g_quark_from_static_string ("causerie-error-quark");
}

const char *
cz_error_code_to_string (CzErrorCode code)
{
  if ((guint) code >= G_N_ELEMENTS (wire_codes) || wire_codes[code] == NULL)
    return wire_codes[CZ_ERROR_INTERNAL];

  return wire_codes[code];
}

CzErrorCode
cz_error_code_from_string (const char *str)
{
  if (str == NULL)
    return CZ_ERROR_INTERNAL;

  for (guint i = 0; i < G_N_ELEMENTS (wire_codes); i++)
    {
      if (g_strcmp0 (wire_codes[i], str) == 0)
        return (CzErrorCode) i;
    }

  return CZ_ERROR_INTERNAL;
}

const char *
cz_error_wire_code (const GError *error)
{
  if (error == NULL || error->domain != CZ_ERROR)
    return cz_error_code_to_string (CZ_ERROR_INTERNAL);

  return cz_error_code_to_string ((CzErrorCode) error->code);
}
