/* cz-cert-host.c: certificates for this host: the names and addresses a
 * server certificate should carry (the dialog's prefill), and the demo CA
 * and server certificate made on first run. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <glib/gi18n-lib.h>

#include "cz-cert-host.h"
#include "cz-cert-generate.h"
#include "cz-cert-info.h"
#include "cz-error.h"
#include "cz-util.h"

static void
add_unique (GPtrArray *sans, char *san)
{
  if (g_ptr_array_find_with_equal_func (sans, san, g_str_equal, NULL))
    g_free (san);
  else
    g_ptr_array_add (sans, san);
}

/* This host's name in lower-case ASCII if it is a usable DNS name. */
static char *
host_dns_name (void)
{
  g_autofree char *host = g_hostname_to_ascii (g_get_host_name ());

  return cz_cert_dns_name_valid (host) ? g_ascii_strdown (host, -1) : NULL;
}

char **
cz_cert_default_sans (void)
{
  GPtrArray *sans = g_ptr_array_new ();
  g_autofree char *host = host_dns_name ();
  struct ifaddrs *addrs = NULL;

  if (host != NULL)
    add_unique (sans, g_strconcat ("DNS:", host, NULL));
  add_unique (sans, g_strdup ("DNS:localhost"));
  add_unique (sans, g_strdup ("IP:127.0.0.1"));
  add_unique (sans, g_strdup ("IP:::1"));

  if (getifaddrs (&addrs) == 0)
    {
      for (struct ifaddrs *ifa = addrs; ifa != NULL; ifa = ifa->ifa_next)
        {
          const void *sa = ifa->ifa_addr;
          const void *raw = NULL;
          char text[INET6_ADDRSTRLEN];

          if (sa == NULL || !(ifa->ifa_flags & IFF_UP))
            continue;
          if (ifa->ifa_addr->sa_family == AF_INET)
            raw = &((const struct sockaddr_in *) sa)->sin_addr;
          else if (ifa->ifa_addr->sa_family == AF_INET6 &&
                   !IN6_IS_ADDR_LINKLOCAL (&((const struct sockaddr_in6 *) sa)->sin6_addr))
            raw = &((const struct sockaddr_in6 *) sa)->sin6_addr;
          if (raw != NULL && inet_ntop (ifa->ifa_addr->sa_family, raw, text, sizeof text))
            add_unique (sans, g_strconcat ("IP:", text, NULL));
        }
      freeifaddrs (addrs);
    }

  g_ptr_array_add (sans, NULL);
  return (char **) g_ptr_array_free (sans, FALSE);
}

gboolean
cz_cert_ensure_demo (const char *dir, GError **error)
{
  g_autofree char *ca = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *ca_key = g_build_filename (dir, "ca-key.pem", NULL);
  g_autofree char *server = g_build_filename (dir, "server.pem", NULL);
  g_autofree char *server_key = g_build_filename (dir, "server-key.pem", NULL);
  g_autofree char *host = host_dns_name ();
  g_autoptr(CzCertInfo) info = NULL;
  g_auto(GStrv) sans = NULL;
  CzCertRequest req = { .common_name = "Causerie demo CA" };

  g_return_val_if_fail (dir != NULL, FALSE);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, CZ_ERROR, CZ_ERROR_IO, _("cannot create the folder %s: %s"),
                   dir, g_strerror (saved));
      return FALSE;
    }
  if (!g_file_test (ca, G_FILE_TEST_EXISTS) || !g_file_test (ca_key, G_FILE_TEST_EXISTS))
    {
      info = cz_cert_generate_ca (&req, ca, ca_key, error);
      if (info == NULL)
        return FALSE;
      g_clear_pointer (&info, cz_cert_info_free);
    }
  else if (g_file_test (server, G_FILE_TEST_EXISTS) &&
           g_file_test (server_key, G_FILE_TEST_EXISTS))
    return TRUE;

  /* A new CA, or a missing server pair: (re)issue the server certificate. */
  sans = cz_cert_default_sans ();
  req.common_name = host != NULL ? host : "localhost";
  req.sans = (const char *const *) sans;
  info = cz_cert_generate_signed (&req, ca, ca_key, server, server_key, error);
  return info != NULL;
}
