/* cz-tls-options.c: the GTypes and names of the TLS choices
 * (cz-tls-options.h). */
#include "config.h"

#include "cz-tls-options.h"

G_DEFINE_ENUM_TYPE (CzClientCertMode, cz_client_cert_mode,
  G_DEFINE_ENUM_VALUE (CZ_CLIENT_CERT_NONE, "none"),
  G_DEFINE_ENUM_VALUE (CZ_CLIENT_CERT_REQUEST, "request"),
  G_DEFINE_ENUM_VALUE (CZ_CLIENT_CERT_REQUIRE, "require"))

G_DEFINE_ENUM_TYPE (CzTrustMode, cz_trust_mode,
  G_DEFINE_ENUM_VALUE (CZ_TRUST_CA, "ca"),
  G_DEFINE_ENUM_VALUE (CZ_TRUST_PIN, "pin"),
  G_DEFINE_ENUM_VALUE (CZ_TRUST_TOFU, "first-use"))

const char *
cz_trust_mode_name (CzTrustMode mode)
{
  switch (mode)
    {
    case CZ_TRUST_CA: return "ca";
    case CZ_TRUST_PIN: return "pin";
    case CZ_TRUST_TOFU: return "first-use";
    default: return "unknown";
    }
}
