/* cz-server-main.h: causerie-server's command line (DESIGN §4), shared by
 * the window, --headless and --add-user. */
#pragma once

#include <glib.h>
#include "cz-server.h"

G_BEGIN_DECLS

typedef struct {
  gboolean headless;
  gboolean log_messages;     /* --headless: log every message with its text */
  gboolean demo;             /* window: demo CA and certificate, 127.0.0.1:7443 */
  char *add_user;
  char *bind;
  int port;                  /* -1 = not given */
  char *cert;
  char *key;
  char *db;
  char *dh_group;
  char *client_ca;
  gboolean require_client_cert;
  gboolean request_client_cert;
  gboolean no_registration;
  int scram_iterations;
  int max_clients;
} CzServerOptions;

void cz_server_options_clear (CzServerOptions *options);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CzServerOptions, cz_server_options_clear)

/* The option entries, for a GOptionContext or GApplication. */
GOptionGroup *cz_server_options_group (CzServerOptions *options);

/* Turns parsed options into an engine configuration (strings borrowed from
 * @options).  FALSE with a clear error for bad values. */
gboolean cz_server_options_to_config (const CzServerOptions *options, CzServerConfig *config,
                                      GError **error);

/* The whole program: dispatches to the certificate generator, --add-user,
 * --headless or the window.  Returns the exit status. */
int cz_server_main (int argc, char **argv);

G_END_DECLS
