/* cz-certgen-cli.h: the certificate generator on the command line
 * (DESIGN §4):
 *
 *   causerie-server --generate-ca --cn NAME --out-cert F --out-key F
 *                   [--key-type ecdsa-p256|ed25519|rsa-3072] [--days N]
 *   causerie-server --generate-cert --ca-cert F --ca-key F --cn NAME
 *                   [--san DNS:name|IP:addr]... --out-cert F --out-key F
 *                   [--key-type ...] [--days N] [--client]
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE if @argv asks for --generate-ca or --generate-cert (main.c
 * dispatches on it before starting GTK). */
gboolean cz_certgen_cli_wants (int argc, char **argv);

/* Parses @argv, generates and writes the files, prints a summary on
 * standard output.  Returns the process exit status: 0 on success, 1 when
 * generation fails, 2 for usage errors; messages go to standard error as
 * "causerie-server: <message>". */
int cz_certgen_cli_run (int argc, char **argv);

/* The same options as a group ("certificates") for causerie-server's main
 * --help to list; given there (without --generate-ca or --generate-cert)
 * they are an error. */
GOptionGroup *cz_certgen_cli_group (void);

G_END_DECLS
