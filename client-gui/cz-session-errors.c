/* cz-session-errors.c: what the connect form says when a session fails: a
 * headline and an explanation a person understands, for each engine error. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "cz-client-session.h"

void
cz_client_session_describe_error (CzErrorCode code, const char *message, guint retry_after,
                                  char **title, char **detail)
{
  const char *t;
  char *d = NULL;

  switch (code)
    {
    case CZ_ERROR_IO:
      t = _("Could not connect to the server");
      break;
    case CZ_ERROR_TIMEOUT:
      t = _("The server did not answer");
      d = g_strdup_printf (_("%s. Check the address and the port, and that the server is running."),
                           message);
      break;
    case CZ_ERROR_CERT_UNTRUSTED:
      t = _("The server’s certificate is not trusted");
      d = g_strdup_printf (_("%s. Choose the CA certificate that signed it, or trust the server "
                             "on first use."), message);
      break;
    case CZ_ERROR_KEY_CHANGED:
      t = _("Warning: the server’s key has changed");
      d = g_strdup_printf (_("%s\nSomeone may be intercepting the connection, or the server was "
                             "reinstalled. Causerie did not connect. Ask the server’s "
                             "administrator before trusting the new key."), message);
      break;
    case CZ_ERROR_AUTH_FAILED:
      t = _("Wrong user name or password");
      d = g_strdup (_("Check both and try again, or create an account."));
      break;
    case CZ_ERROR_THROTTLED:
      t = _("Too many failed attempts");
      d = retry_after > 0
            ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Try again in %u second.",
                                            "Try again in %u seconds.", retry_after),
                               retry_after)
            : g_strdup (_("Wait a moment before trying again."));
      break;
    case CZ_ERROR_USER_EXISTS:
      t = _("That user name is taken");
      d = g_strdup (_("Choose another name, or log in if the account is yours."));
      break;
    case CZ_ERROR_BAD_NAME:
      t = _("That user name is not allowed");
      break;
    case CZ_ERROR_REGISTRATION_CLOSED:
      t = _("This server does not accept new accounts");
      break;
    case CZ_ERROR_TLS:
      t = _("The secure connection failed");
      break;
    case CZ_ERROR_CLOSED:
      t = _("The server closed the connection");
      break;
    case CZ_ERROR_FULL:
      t = _("The server is full");
      d = g_strdup (_("Try again later."));
      break;
    default:
      t = _("Could not connect");
      break;
    }
  *title = g_strdup (t);
  *detail = d ? d : g_strdup (message ? message : "");
}

/* The server turned this side's certificate down (or asked for one and got
 * none).  The engine reports it as "cert-untrusted" like an untrusted
 * server certificate: tell them apart by the library's own messages. */
static gboolean
is_client_cert_refusal (const char *message)
{
  const char *required = g_dgettext (GETTEXT_PACKAGE, "the server requires a client certificate");
  const char *refused = g_dgettext (GETTEXT_PACKAGE, "the peer refused our certificate (%s)");
  const char *arg = strstr (refused, "%s");

  if (message == NULL)
    return FALSE;
  return g_str_equal (message, required)
         || (arg != NULL && arg > refused && strncmp (message, refused, arg - refused) == 0);
}

gboolean
cz_client_session_describe_cert_error (CzErrorCode code, const char *message,
                                       const char *cert_file, char **title, char **detail)
{
  g_autofree char *base = NULL;

  if (code != CZ_ERROR_CERT_UNTRUSTED || !is_client_cert_refusal (message))
    return FALSE;
  if (cert_file == NULL)
    {
      *title = g_strdup (_("This server requires a client certificate"));
      *detail = g_strdup (_("Choose your certificate and its private key under “Use a client "
                            "certificate”, then connect again."));
      return TRUE;
    }
  base = g_path_get_basename (cert_file);
  *title = g_strdup (_("The server did not accept your client certificate"));
  /* TRANSLATORS: the first %s is the reason (from the TLS library), the second a file name */
  *detail = g_strdup_printf (_("%s. The server accepts only certificates signed by its client "
                               "CA and made for client authentication; %s is not one of them."),
                             message, base);
  return TRUE;
}
