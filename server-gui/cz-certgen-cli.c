/* cz-certgen-cli.c: causerie-server --generate-ca / --generate-cert. */
#include "config.h"

#include "cz-certgen-cli.h"
#include "cz-cert-generate.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "cz-cert-info.h"
#include "cz-error.h"

#define PROGRAM "causerie-server"
#define EXIT_USAGE 2
#define MAX_DAYS 36525

gboolean
cz_certgen_cli_wants (int argc, char **argv)
{
  for (int i = 1; i < argc && argv[i] != NULL; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        break;
      if (strcmp (argv[i], "--generate-ca") == 0 || strcmp (argv[i], "--generate-cert") == 0)
        return TRUE;
    }
  return FALSE;
}

G_GNUC_PRINTF (1, 2)
static int
usage_error (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("%s: %s\n", PROGRAM, message);
  g_printerr (_("Run “%s --help” for the options.\n"), PROGRAM);
  return EXIT_USAGE;
}

static void
print_summary (const CzCertInfo *info, gboolean ca, const char *out_cert, const char *out_key)
{
  g_print (ca ? _("Created a CA certificate.\n") : _("Created a certificate.\n"));
  g_print (_("  subject:      %s\n"), info->subject);
  g_print (_("  issuer:       %s\n"), info->issuer);
  g_print (_("  key:          %s\n"), info->key_type);
  if (info->sans != NULL && info->sans[0] != '\0')
    g_print (_("  names:        %s\n"), info->sans);
  g_print (_("  SHA-256:      %s\n"), info->fingerprint);
  g_print (_("  key pin:      %s\n"), info->spki_sha256);
  g_print (_("  valid until:  %s\n"), info->not_after);
  g_print (_("  certificate:  %s\n"), out_cert);
  g_print (_("  private key:  %s (keep it secret)\n"), out_key);
}

int
cz_certgen_cli_run (int argc, char **argv)
{
  gboolean generate_ca = FALSE, generate_cert = FALSE, client = FALSE;
  g_autofree char *cn = NULL, *key_type = NULL;
  g_autofree char *ca_cert = NULL, *ca_key = NULL, *out_cert = NULL, *out_key = NULL;
  g_autofree char *crl_url = NULL;
  g_auto(GStrv) sans = NULL;
  int days = -1;
  const GOptionEntry entries[] = {
    { "generate-ca", 0, 0, G_OPTION_ARG_NONE, &generate_ca,
      N_("Create a self-signed certificate authority"), NULL },
    { "generate-cert", 0, 0, G_OPTION_ARG_NONE, &generate_cert,
      N_("Create a server or client certificate signed by a CA"), NULL },
    { "cn", 0, 0, G_OPTION_ARG_STRING, &cn,
      N_("Common name of the new certificate"), N_("NAME") },
    { "ca-cert", 0, 0, G_OPTION_ARG_FILENAME, &ca_cert,
      N_("CA certificate that signs (PEM)"), N_("FILE") },
    { "ca-key", 0, 0, G_OPTION_ARG_FILENAME, &ca_key,
      N_("Private key of that CA (PEM)"), N_("FILE") },
    { "san", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sans,
      N_("Subject alternative name; repeat for several"), N_("DNS:name|IP:addr") },
    { "out-cert", 0, 0, G_OPTION_ARG_FILENAME, &out_cert,
      N_("Where to write the certificate (mode 0644)"), N_("FILE") },
    { "out-key", 0, 0, G_OPTION_ARG_FILENAME, &out_key,
      N_("Where to write the private key (mode 0600)"), N_("FILE") },
    { "key-type", 0, 0, G_OPTION_ARG_STRING, &key_type,
      N_("ecdsa-p256 (default), ed25519 or rsa-3072"), N_("TYPE") },
    { "days", 0, 0, G_OPTION_ARG_INT, &days,
      N_("Validity in days (default 365, for a CA 3650)"), N_("N") },
    { "client", 0, 0, G_OPTION_ARG_NONE, &client,
      N_("A client certificate (clientAuth) instead of a server one"), NULL },
    { "crl-url", 0, 0, G_OPTION_ARG_STRING, &crl_url,
      N_("Where clients find the CA's revocation list (a CRL distribution point)"), N_("URL") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CzCertInfo) info = NULL;
  g_auto(GStrv) args = NULL;
  CzCertRequest req = { 0 };

  args = g_new0 (char *, argc + 1);
  for (int i = 0; i < argc && argv[i] != NULL; i++)
    args[i] = g_strdup (argv[i]);

  context = g_option_context_new (NULL);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Create certificates for Causerie:\n"
      "  causerie-server --generate-ca --cn NAME --out-cert FILE --out-key FILE\n"
      "  causerie-server --generate-cert --ca-cert FILE --ca-key FILE --cn NAME\n"
      "                  [--san DNS:name|IP:addr]... --out-cert FILE --out-key FILE [--client]"));
  if (!g_option_context_parse_strv (context, &args, &error))
    return usage_error ("%s", error->message);

  if (args[0] != NULL && args[1] != NULL)
    return usage_error (_("unexpected argument “%s”"), args[1]);
  if (generate_ca == generate_cert)
    return usage_error (_("give either --generate-ca or --generate-cert"));
  if (cn == NULL)
    return usage_error (_("--cn is required"));
  if (out_cert == NULL || out_key == NULL)
    return usage_error (_("--out-cert and --out-key are required"));
  if (generate_ca && (ca_cert != NULL || ca_key != NULL || client || sans != NULL || crl_url != NULL))
    return usage_error (_("--ca-cert, --ca-key, --san, --client and --crl-url go with --generate-cert"));
  if (generate_cert && (ca_cert == NULL || ca_key == NULL))
    return usage_error (_("--generate-cert needs --ca-cert and --ca-key"));
  if (days != -1 && (days < 1 || days > MAX_DAYS))
    return usage_error (_("--days must be between 1 and %d"), MAX_DAYS);
  if (key_type != NULL && !cz_key_type_from_name (key_type, &req.key_type, &error))
    return usage_error ("%s", error->message);

  req.common_name = cn;
  req.sans = (const char *const *) sans;
  req.days = days == -1 ? 0 : (guint) days;
  req.client = client;
  req.crl_url = crl_url;

  if (generate_ca)
    info = cz_cert_generate_ca (&req, out_cert, out_key, &error);
  else
    info = cz_cert_generate_signed (&req, ca_cert, ca_key, out_cert, out_key, &error);

  if (info == NULL)
    {
      g_printerr ("%s: %s\n", PROGRAM, error->message);
      return g_error_matches (error, CZ_ERROR, CZ_ERROR_INVALID) ? EXIT_USAGE : 1;
    }
  print_summary (info, generate_ca, out_cert, out_key);
  return 0;
}
