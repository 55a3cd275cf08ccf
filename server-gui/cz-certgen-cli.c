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

/* The options, parsed into one struct so that the same group serves the
 * generator and causerie-server --help. */
typedef struct {
  gboolean generate_ca, generate_cert, client;
  char *cn, *key_type, *ca_cert, *ca_key, *out_cert, *out_key, *crl_url;
  char **sans;
  int days;
} CertgenArgs;

static void
certgen_args_clear (CertgenArgs *a)
{
  g_clear_pointer (&a->cn, g_free);
  g_clear_pointer (&a->key_type, g_free);
  g_clear_pointer (&a->ca_cert, g_free);
  g_clear_pointer (&a->ca_key, g_free);
  g_clear_pointer (&a->out_cert, g_free);
  g_clear_pointer (&a->out_key, g_free);
  g_clear_pointer (&a->crl_url, g_free);
  g_clear_pointer (&a->sans, g_strfreev);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CertgenArgs, certgen_args_clear)

static void
certgen_args_free (gpointer data)
{
  certgen_args_clear (data);
  g_free (data);
}

static GOptionGroup *
certgen_group_new (CertgenArgs *a, GDestroyNotify destroy)
{
  const GOptionEntry entries[] = {
    { "generate-ca", 0, 0, G_OPTION_ARG_NONE, &a->generate_ca,
      N_("Create a self-signed certificate authority"), NULL },
    { "generate-cert", 0, 0, G_OPTION_ARG_NONE, &a->generate_cert,
      N_("Create a server or client certificate signed by a CA"), NULL },
    { "cn", 0, 0, G_OPTION_ARG_STRING, &a->cn,
      N_("Common name of the new certificate"), N_("NAME") },
    { "ca-cert", 0, 0, G_OPTION_ARG_FILENAME, &a->ca_cert,
      N_("CA certificate that signs (PEM)"), N_("FILE") },
    { "ca-key", 0, 0, G_OPTION_ARG_FILENAME, &a->ca_key,
      N_("Private key of that CA (PEM)"), N_("FILE") },
    { "san", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a->sans,
      N_("Subject alternative name; repeat for several"), N_("DNS:name|IP:addr") },
    { "out-cert", 0, 0, G_OPTION_ARG_FILENAME, &a->out_cert,
      N_("Where to write the certificate (mode 0644)"), N_("FILE") },
    { "out-key", 0, 0, G_OPTION_ARG_FILENAME, &a->out_key,
      N_("Where to write the private key (mode 0600)"), N_("FILE") },
    { "key-type", 0, 0, G_OPTION_ARG_STRING, &a->key_type,
      N_("ecdsa-p256 (default), ed25519 or rsa-3072"), N_("TYPE") },
    { "days", 0, 0, G_OPTION_ARG_INT, &a->days,
      N_("Validity in days (default 365, for a CA 3650)"), N_("N") },
    { "client", 0, 0, G_OPTION_ARG_NONE, &a->client,
      N_("A client certificate (clientAuth) instead of a server one"), NULL },
    { "crl-url", 0, 0, G_OPTION_ARG_STRING, &a->crl_url,
      N_("Where clients find the CA's revocation list (a CRL distribution point)"), N_("URL") },
    { NULL }
  };
  GOptionGroup *group = g_option_group_new ("certificates",
                                            _("Certificate options (with --generate-ca or "
                                              "--generate-cert):"),
                                            _("Show the certificate options"), a, destroy);

  a->days = -1;
  g_option_group_add_entries (group, entries);
  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  return group;
}

/* In the main parse, a certificate option came without --generate-ca or
 * --generate-cert (which cz_certgen_cli_wants dispatches on first). */
static gboolean
certgen_help_post_parse (GOptionContext *context, GOptionGroup *group, gpointer data,
                         GError **error)
{
  CertgenArgs *a = data;

  if (a->cn || a->key_type || a->ca_cert || a->ca_key || a->out_cert || a->out_key
      || a->crl_url || a->sans || a->client || a->days != -1)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           _("the certificate options go with --generate-ca or --generate-cert"));
      return FALSE;
    }
  return TRUE;
}

GOptionGroup *
cz_certgen_cli_group (void)
{
  GOptionGroup *group = certgen_group_new (g_new0 (CertgenArgs, 1), certgen_args_free);

  g_option_group_set_parse_hooks (group, NULL, certgen_help_post_parse);
  return group;
}

int
cz_certgen_cli_run (int argc, char **argv)
{
  g_auto(CertgenArgs) a = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CzCertInfo) info = NULL;
  g_auto(GStrv) args = NULL;
  CzCertRequest req = { 0 };

  args = g_new0 (char *, argc + 1);
  for (int i = 0; i < argc && argv[i] != NULL; i++)
    args[i] = g_strdup (argv[i]);

  context = g_option_context_new (NULL);
  g_option_context_set_main_group (context, certgen_group_new (&a, NULL));
  g_option_context_set_summary (context,
    _("Create certificates for Causerie:\n"
      "  causerie-server --generate-ca --cn NAME --out-cert FILE --out-key FILE\n"
      "  causerie-server --generate-cert --ca-cert FILE --ca-key FILE --cn NAME\n"
      "                  [--san DNS:name|IP:addr]... --out-cert FILE --out-key FILE [--client]"));
  if (!g_option_context_parse_strv (context, &args, &error))
    return usage_error ("%s", error->message);

  if (args[0] != NULL && args[1] != NULL)
    return usage_error (_("unexpected argument “%s”"), args[1]);
  if (a.generate_ca == a.generate_cert)
    return usage_error (_("give either --generate-ca or --generate-cert"));
  if (a.cn == NULL)
    return usage_error (_("--cn is required"));
  if (a.out_cert == NULL || a.out_key == NULL)
    return usage_error (_("--out-cert and --out-key are required"));
  if (a.generate_ca && (a.ca_cert != NULL || a.ca_key != NULL || a.client || a.sans != NULL || a.crl_url != NULL))
    return usage_error (_("--ca-cert, --ca-key, --san, --client and --crl-url go with --generate-cert"));
  if (a.generate_cert && (a.ca_cert == NULL || a.ca_key == NULL))
    return usage_error (_("--generate-cert needs --ca-cert and --ca-key"));
  if (a.days != -1 && (a.days < 1 || a.days > MAX_DAYS))
    return usage_error (_("--days must be between 1 and %d"), MAX_DAYS);
  if (a.key_type != NULL && !cz_key_type_from_name (a.key_type, &req.key_type, &error))
    return usage_error ("%s", error->message);

  req.common_name = a.cn;
  req.sans = (const char *const *) a.sans;
  req.days = a.days == -1 ? 0 : (guint) a.days;
  req.client = a.client;
  req.crl_url = a.crl_url;

  if (a.generate_ca)
    info = cz_cert_generate_ca (&req, a.out_cert, a.out_key, &error);
  else
    info = cz_cert_generate_signed (&req, a.ca_cert, a.ca_key, a.out_cert, a.out_key, &error);

  if (info == NULL)
    {
      g_printerr ("%s: %s\n", PROGRAM, error->message);
      return g_error_matches (error, CZ_ERROR, CZ_ERROR_INVALID) ? EXIT_USAGE : 1;
    }
  print_summary (info, a.generate_ca, a.out_cert, a.out_key);
  return 0;
}
